// The `sso` section (both projects): single sign-on for Grafana and Kiali (cluster stacks) and
// Jenkins (site stack) through one OpenID Connect issuer. `issuer` is `cilogon` (what ACCESS
// and Jetstream2 users already log in with), `keycloak` (a Keycloak the platform runs in every
// cluster, its database in the cross-site PostgreSQL, so A/B switches and site failovers keep
// users and realm), or the https URL of another OpenID provider. Client secrets are Pulumi
// secrets (top-level keys, see SSO_SECRET_KEYS); groups map to admin and viewer roles.
import { z } from "zod";
import { dnsLabel, port } from "./fields";
import { hostname } from "./mesh";

export const CILOGON_ISSUER = "https://cilogon.org";
export const ISSUER_KINDS = ["cilogon", "keycloak"] as const;

/** Defaults per issuer kind: the claim that carries group membership, and the scopes asking for it. */
export const ISSUER_DEFAULTS = {
  // CILogon puts group memberships (from COmanage / the user's IdP) in isMemberOf, returned
  // with the org.cilogon.userinfo scope (cilogon.org "OIDC" documentation).
  cilogon: { groupsClaim: "isMemberOf", scopes: ["openid", "email", "profile", "org.cilogon.userinfo"] },
  // Keycloak: the realm we import adds a group-membership mapper emitting `groups`.
  keycloak: { groupsClaim: "groups", scopes: ["openid", "email", "profile"] },
  other: { groupsClaim: "groups", scopes: ["openid", "email", "profile"] },
} as const;

/** The contract with components/database: PostgreSQL in every cluster at Service jsp-db/postgres. */
export const KEYCLOAK_DB_DEFAULTS = {
  host: "postgres.jsp-db.svc.cluster.local",
  port: 5432,
  database: "keycloak",
  user: "keycloak",
} as const;

const claim = z
  .string({ error: "must be a string" })
  .regex(/^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/, { error: "must be a claim name (letters, digits, _ . : -)" });

const group = z
  .string({ error: "must be a string" })
  .min(1, { error: "must not be empty" })
  .max(256, { error: "must be at most 256 characters" })
  .refine((s) => !/['"\\\n$`]/.test(s), { error: "must not contain quotes, backslashes, '$' or newlines" });

const clientId = z
  .string({ error: "must be a string" })
  .regex(/^[A-Za-z0-9:._/-]{1,200}$/, { error: "must be an OAuth client id (letters, digits, : . _ / -)" });

/** http(s) base URL without a trailing slash; http only for the loopback (port-forward). */
const appUrl = z
  .string({ error: "must be a string" })
  .regex(
    /^(https:\/\/[a-z0-9.-]+(:[0-9]+)?|http:\/\/(localhost|127\.0\.0\.1)(:[0-9]+)?)(\/[A-Za-z0-9._~/-]*[A-Za-z0-9._~-])?$/,
    {
      error:
        "must be an https:// URL (or http://localhost:<port> for a port-forward), without a trailing slash",
    },
  );

export const keycloakSchema = z.strictObject({
  /** public host name of Keycloak (through the edge); the issuer is https://<hostname>/realms/<realm> */
  hostname,
  realm: dnsLabel.default("jetstream"),
  replicas: z
    .number({ error: "must be a number" })
    .int({ error: "must be an integer" })
    .min(1, { error: "must be 1-5" })
    .max(5, { error: "must be 1-5" })
    .default(2),
  database: z
    .strictObject({
      host: z
        .string({ error: "must be a string" })
        .regex(/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/, { error: "must be a lowercase host name" })
        .default(KEYCLOAK_DB_DEFAULTS.host),
      port: port.default(KEYCLOAK_DB_DEFAULTS.port),
      database: z
        .string()
        .regex(/^[a-z_][a-z0-9_]{0,62}$/, { error: "must be a lowercase SQL identifier" })
        .default(KEYCLOAK_DB_DEFAULTS.database),
      user: z
        .string()
        .regex(/^[a-z_][a-z0-9_]{0,62}$/, { error: "must be a lowercase SQL identifier" })
        .default(KEYCLOAK_DB_DEFAULTS.user),
    })
    .prefault({}),
});

/** Fields both projects read. */
export const ssoBaseShape = {
  /** cilogon, keycloak, or the https:// issuer URL of another OpenID provider */
  issuer: z.union(
    [z.enum(ISSUER_KINDS), z.string().regex(/^https:\/\/[a-z0-9.-]+(:[0-9]+)?(\/[A-Za-z0-9._~/-]*)?$/)],
    {
      error: "must be cilogon, keycloak or an https:// issuer URL",
    },
  ),
  /** claim holding the user's groups; default per issuer (CILogon isMemberOf, otherwise groups) */
  groupsClaim: claim.optional(),
  /** claim shown as the user name */
  usernameClaim: claim.default("email"),
  /** members of any of these groups are administrators */
  adminGroups: z.array(group).min(1, { error: "must list at least one group (who administers)" }),
  /** members of any of these groups may look (read-only); everyone else is refused */
  viewerGroups: z.array(group).default([]),
};

export const siteSsoSchema = z.strictObject({
  ...ssoBaseShape,
  /** the Keycloak issuer URL when issuer is keycloak (the cluster stacks run it) */
  keycloakIssuerUrl: z
    .string()
    .regex(/^https:\/\/[a-z0-9.-]+(:[0-9]+)?\/realms\/[a-z0-9-]+$/, {
      error: "must be https://<host>/realms/<realm>",
    })
    .optional(),
  jenkins: z.strictObject({ clientId: clientId.default("jsp-jenkins") }).prefault({}),
});

export const clusterSsoSchema = z.strictObject({
  ...ssoBaseShape,
  grafana: z
    .strictObject({
      clientId: clientId.default("jsp-grafana"),
      /** where browsers reach Grafana: the port-forward by default (docs/mesh.md) */
      url: appUrl.default("http://localhost:3000"),
    })
    .prefault({}),
  kiali: z
    .strictObject({
      clientId: clientId.default("jsp-kiali"),
      url: appUrl.default("http://localhost:20001/kiali"),
    })
    .prefault({}),
  /** the Jenkins client the Keycloak realm registers (its secret: ssoJenkinsClientSecret) */
  jenkins: z.strictObject({ clientId: clientId.default("jsp-jenkins"), url: appUrl.optional() }).prefault({}),
  /** required when issuer is keycloak */
  keycloak: keycloakSchema.optional(),
});

export type SiteSsoConfig = z.output<typeof siteSsoSchema>;
export type ClusterSsoConfig = z.output<typeof clusterSsoSchema>;

/** The issuer URL a product is configured with. */
export function issuerUrl(sso: {
  issuer: string;
  keycloakIssuerUrl?: string;
  keycloak?: { hostname: string; realm: string };
}): string {
  if (sso.issuer === "cilogon") return CILOGON_ISSUER;
  if (sso.issuer === "keycloak") {
    if (sso.keycloak) return `https://${sso.keycloak.hostname}/realms/${sso.keycloak.realm}`;
    if (sso.keycloakIssuerUrl) return sso.keycloakIssuerUrl;
    throw new Error(
      "sso.issuer keycloak needs the Keycloak host (cluster: sso.keycloak; site: sso.keycloakIssuerUrl)",
    );
  }
  return sso.issuer;
}

export function issuerKind(issuer: string): keyof typeof ISSUER_DEFAULTS {
  return issuer === "cilogon" || issuer === "keycloak" ? issuer : "other";
}

/** Secret keys of the cluster project's SSO (all `pulumi config set --secret`). */
export const CLUSTER_SSO_SECRET_KEYS = [
  "ssoGrafanaClientSecret",
  "ssoKialiClientSecret",
  "ssoJenkinsClientSecret",
  "keycloakDbPassword",
] as const;
export const SITE_SSO_SECRET_KEYS = ["ssoJenkinsClientSecret"] as const;

/** Refusals shared by both projects (keycloak needs its host; a viewer group is not an admin group). */
export function checkSso(
  sso: { issuer: string; adminGroups: readonly string[]; viewerGroups: readonly string[] },
  ctx: z.RefinementCtx,
  keycloakPresent: boolean,
  keycloakKey: string,
): void {
  if (sso.issuer === "keycloak" && !keycloakPresent) {
    ctx.addIssue({
      code: "custom",
      path: ["sso", keycloakKey],
      input: undefined,
      message: "must be given when sso.issuer is keycloak",
    });
  }
  sso.viewerGroups.forEach((g, i) => {
    if (sso.adminGroups.includes(g)) {
      ctx.addIssue({
        code: "custom",
        path: ["sso", "viewerGroups", i],
        input: g,
        message: "is also an admin group; a group has one role",
      });
    }
  });
}
