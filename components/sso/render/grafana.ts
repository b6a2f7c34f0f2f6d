// Grafana's generic OAuth login (grafana.ini [auth.generic_oauth], keys as in Grafana's
// conf/defaults.ini) for the grafana-community chart: the client secret comes from a
// Kubernetes Secret through the chart's `envValueFrom` (GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET),
// roles from the groups claim with role_attribute_strict (no role, no login), and the local
// login form stays for the break-glass admin only.
import { jmesLiteral, SsoSettings } from "./oidc";

export const GRAFANA_OIDC_SECRET = "grafana-oidc";
export const GRAFANA_OIDC_SECRET_KEY = "client-secret";
export const GRAFANA_CALLBACK_PATH = "/login/generic_oauth";

export interface GrafanaSsoInput {
  sso: SsoSettings;
  clientId: string;
  /** where browsers reach Grafana, without a trailing slash */
  url: string;
}

/** JMESPath over the ID token/userinfo claims: Admin for admin groups, Viewer for viewer groups. */
export function grafanaRolePath(s: SsoSettings): string {
  const member = (groups: readonly string[]) =>
    groups.map((g) => `contains(${s.groupsClaim} || \`[]\`, ${jmesLiteral(g)})`).join(" || ");
  const parts = [`(${member(s.adminGroups)}) && 'Admin'`];
  if (s.viewerGroups.length > 0) parts.push(`(${member(s.viewerGroups)}) && 'Viewer'`);
  // no match yields null: with role_attribute_strict Grafana refuses the login
  return parts.join(" || ");
}

export function grafanaOidcIni(i: GrafanaSsoInput): Record<string, Record<string, unknown>> {
  const e = i.sso.endpoints;
  return {
    server: { root_url: `${i.url}/` },
    "auth.generic_oauth": {
      enabled: true,
      name: "Single sign-on",
      allow_sign_up: true,
      client_id: i.clientId,
      // the secret is the env variable GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET (envValueFrom)
      scopes: i.sso.scopes.join(" "),
      auth_url: e.authorization,
      token_url: e.token,
      api_url: e.userinfo,
      use_pkce: true,
      login_attribute_path: i.sso.usernameClaim,
      email_attribute_path: "email",
      name_attribute_path: "name",
      groups_attribute_path: i.sso.groupsClaim,
      role_attribute_path: grafanaRolePath(i.sso),
      role_attribute_strict: true,
      allow_assign_grafana_admin: false,
    },
    // the generated local admin (grafana-admin Secret) is the break-glass account
    auth: { disable_login_form: false, oauth_auto_login: false },
  };
}

/** Chart values added to grafanaValues(): the secret as an env variable, never in grafana.ini. */
export function grafanaOidcChartValues(): Record<string, unknown> {
  return {
    envValueFrom: {
      GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET: {
        secretKeyRef: { name: GRAFANA_OIDC_SECRET, key: GRAFANA_OIDC_SECRET_KEY },
      },
    },
  };
}
