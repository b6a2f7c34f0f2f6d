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

/** Kiali's redirect URI: its web root (Kiali sends `redirect_uri=<web root>`). */
export function kialiRedirectUri(url: string): string {
  return `${url}/`;
}
