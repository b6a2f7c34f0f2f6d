// Kiali's OpenID login (auth.strategy openid; keys as in the Kiali CR schema,
// kiali/kiali-operator crd-docs/crd/kiali.io_kialis.yaml at v2.29.0). Kiali reads the client
// secret from the Secret `kiali` (key oidc-secret) in its namespace. Kiali maps no groups to
// roles by itself (only the Kubernetes RBAC of the user's token, which needs the API server to
// trust the issuer): with `disable_rbac: true` it serves every signed-in user with its own
// service account, so it stays view-only for everyone (docs/delivery.md, "Who may do what").
import type { SsoSettings } from "./oidc";

export const KIALI_OIDC_SECRET = "kiali";
export const KIALI_OIDC_SECRET_KEY = "oidc-secret";

export interface KialiSsoInput {
  sso: SsoSettings;
  clientId: string;
  /** where browsers reach Kiali (its web root), without a trailing slash */
  url: string;
}

export function kialiOidcAuth(i: KialiSsoInput): Record<string, unknown> {
  return {
    strategy: "openid",
    openid: {
      client_id: i.clientId,
      issuer_uri: i.sso.endpoints.issuer,
      scopes: [...i.sso.scopes],
      username_claim: i.sso.usernameClaim,
      disable_rbac: true,
      api_token: "id_token",
      authentication_timeout: 300,
    },
  };
}

/**
 * Kiali's redirect URI. Kiali 2.29 sends `redirect_uri=<schema>://<host>[:<port>]<web_root>`
 * with the trailing `/` trimmed (kiali/kiali handlers/authentication/openid_auth_controller.go
 * and util/httputil GuessKialiURL at v2.29.0): the URL users reach it at, exactly.
 */
export function kialiRedirectUri(url: string): string {
  return kialiPublicUrl(kialiServerValues(url));
}

/**
 * `server.web_*` so that Kiali builds that URL from its config and never from request headers
 * (without `web_fqdn` it takes X-Forwarded-Host, which a client can set: Kiali warns about it).
 */
export function kialiServerValues(url: string): Record<string, string> {
  const u = new URL(url);
  return {
    web_fqdn: u.hostname,
    web_schema: u.protocol.replace(/:$/, ""),
    web_port: u.port || (u.protocol === "https:" ? "443" : "80"),
    web_root: u.pathname === "" ? "/" : u.pathname,
  };
}

/** What GuessKialiURL makes of those values (default ports left out, trailing / trimmed). */
function kialiPublicUrl(s: Record<string, string>): string {
  const defaultPort =
    (s.web_schema === "https" && s.web_port === "443") || (s.web_schema === "http" && s.web_port === "80");
  const host = defaultPort ? s.web_fqdn : `${s.web_fqdn}:${s.web_port}`;
  return `${s.web_schema}://${host}${s.web_root}`.replace(/\/+$/, "");
}
