// What every product needs to know about the issuer: its URL, its endpoints (Grafana's
// generic OAuth takes them explicitly, it does no discovery), the scopes that return the
// groups claim, and how a user's groups map to the platform's two roles.
import { CILOGON_ISSUER, ISSUER_DEFAULTS, issuerKind } from "../../config/sso";

export type PlatformRole = "admin" | "viewer";

export interface OidcEndpoints {
  issuer: string;
  authorization: string;
  token: string;
  userinfo: string;
  jwks: string;
  discovery: string;
}

/** The settings each product is rendered from (plain, validated by components/config/sso.ts). */
export interface SsoSettings {
  endpoints: OidcEndpoints;
  scopes: readonly string[];
  groupsClaim: string;
  usernameClaim: string;
  adminGroups: readonly string[];
  viewerGroups: readonly string[];
}

/**
 * CILogon's endpoints, from www.cilogon.org/oidc ("CILogon's OAuth 2.0 endpoints"; checked
 * 2026-12): Authorization https://cilogon.org/authorize, User Info .../oauth2/userinfo,
 * JWKS .../oauth2/certs; the token endpoint .../oauth2/token.
 */
export const CILOGON_ENDPOINTS: OidcEndpoints = {
  issuer: CILOGON_ISSUER,
  authorization: `${CILOGON_ISSUER}/authorize`,
  token: `${CILOGON_ISSUER}/oauth2/token`,
  userinfo: `${CILOGON_ISSUER}/oauth2/userinfo`,
  jwks: `${CILOGON_ISSUER}/oauth2/certs`,
  discovery: `${CILOGON_ISSUER}/.well-known/openid-configuration`,
};

/** Keycloak's endpoints under a realm issuer (`<host>/realms/<realm>/protocol/openid-connect/...`). */
export function keycloakEndpoints(issuer: string): OidcEndpoints {
  const base = `${issuer}/protocol/openid-connect`;
  return {
    issuer,
    authorization: `${base}/auth`,
    token: `${base}/token`,
    userinfo: `${base}/userinfo`,
    jwks: `${base}/certs`,
    discovery: `${issuer}/.well-known/openid-configuration`,
  };
}

export function endpointsFor(
  kind: "cilogon" | "keycloak" | "other",
  issuer: string,
  given?: OidcEndpoints,
): OidcEndpoints {
  if (kind === "cilogon") return CILOGON_ENDPOINTS;
  if (kind === "keycloak") return keycloakEndpoints(issuer);
  if (!given)
    throw new Error(`sso: issuer ${issuer} is neither cilogon nor keycloak; its endpoints must be given`);
  return given;
}

export function settingsFor(sso: {
  issuer: string;
  issuerUrl: string;
  groupsClaim?: string;
  usernameClaim: string;
  adminGroups: readonly string[];
  viewerGroups: readonly string[];
  endpoints?: OidcEndpoints;
}): SsoSettings {
  const kind = issuerKind(sso.issuer);
  const d = ISSUER_DEFAULTS[kind];
  return {
    endpoints: endpointsFor(kind, sso.issuerUrl, sso.endpoints),
    scopes: [...d.scopes],
    groupsClaim: sso.groupsClaim ?? d.groupsClaim,
    usernameClaim: sso.usernameClaim,
    adminGroups: [...sso.adminGroups],
    viewerGroups: [...sso.viewerGroups],
  };
}

/** The role a user with these groups gets: admin wins, then viewer, else none (refused). */
export function roleOf(
  s: Pick<SsoSettings, "adminGroups" | "viewerGroups">,
  groups: readonly string[],
): PlatformRole | undefined {
  if (groups.some((g) => s.adminGroups.includes(g))) return "admin";
  if (groups.some((g) => s.viewerGroups.includes(g))) return "viewer";
  return undefined;
}

/** A JMESPath string literal (raw string `'...'`); group names never contain quotes (schema). */
export function jmesLiteral(s: string): string {
  if (/['\\]/.test(s)) throw new Error(`group "${s}" must not contain quotes or backslashes`);
  return `'${s}'`;
}
