// Jenkins' OpenID Connect login (plugin oic-auth, JCasC symbol `oic`; keys as in the plugin's
// own JCasC test files, src/test/resources/org/jenkinsci/plugins/oic/ConfigurationAsCode*.yml
// at 4.715.vf202e4229f61) and the group -> permission matrix (plugin matrix-auth,
// `globalMatrix.entries`, its configuration-as-code-v3.yml format at matrix-auth-3.2.8).
// The local admin survives only as oic-auth's escape hatch: break-glass, not a second realm.
import type { SsoSettings } from "./oidc";

export const JENKINS_CALLBACK_PATH = "securityRealm/finishLogin";

/** What each role may do in Jenkins (matrix-auth permission ids). */
export const JENKINS_PERMISSIONS = {
  admin: ["Overall/Administer"],
  viewer: ["Overall/Read", "Job/Read", "View/Read"],
} as const;

export interface JenkinsSsoInput {
  sso: SsoSettings;
  clientId: string;
  /** `${readFile:...}` reference to the client secret file (never the secret itself) */
  clientSecretRef: string;
  /** the break-glass local admin: user id and `${readFile:...}` of its password */
  breakGlassUser: string;
  breakGlassSecretRef: string;
}

export function jenkinsOicRealm(i: JenkinsSsoInput): Record<string, unknown> {
  return {
    oic: {
      clientId: i.clientId,
      clientSecret: i.clientSecretRef,
      serverConfiguration: {
        wellKnown: {
          wellKnownOpenIDConfigurationUrl: i.sso.endpoints.discovery,
          scopesOverride: i.sso.scopes.join(" "),
        },
      },
      userNameField: i.sso.usernameClaim,
      fullNameFieldName: "name",
      emailFieldName: "email",
      groupsFieldName: i.sso.groupsClaim,
      logoutFromOpenidProvider: true,
      rootURLFromRequest: false,
      sendScopesInTokenRequest: true,
      properties: ["pkce", { escapeHatch: { username: i.breakGlassUser, secret: i.breakGlassSecretRef } }],
    },
  };
}

export function jenkinsMatrix(i: Pick<JenkinsSsoInput, "sso" | "breakGlassUser">): Record<string, unknown> {
  const entries: Array<Record<string, unknown>> = [];
  for (const g of [...i.sso.adminGroups].sort())
    entries.push({ group: { name: g, permissions: [...JENKINS_PERMISSIONS.admin] } });
  for (const g of [...i.sso.viewerGroups].sort())
    entries.push({ group: { name: g, permissions: [...JENKINS_PERMISSIONS.viewer] } });
  entries.push({ user: { name: i.breakGlassUser, permissions: [...JENKINS_PERMISSIONS.admin] } });
  return { globalMatrix: { entries } };
}
