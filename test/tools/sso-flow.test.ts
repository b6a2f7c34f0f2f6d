// The login flow our SSO settings assume, against a real OpenID provider (oidc-provider
// 9.13.3, OpenID Certified) on 127.0.0.1 dressed as the issuer the configs name. Configs are
// rendered from stack config by the functions the stacks use; each product's side of the flow
// (what it sends, where it sends the browser back, which claims it reads) follows that
// product's own code at our pins, cited per step:
//   Grafana  generic OAuth: auth_url/token_url/api_url from grafana.ini (no discovery), redirect
//            <root_url>login/generic_oauth, PKCE S256 with use_pkce, Go oauth2 client_secret_basic;
//            role_attribute_path (JMESPath) over the ID token claims, then the UserInfo response.
//   Kiali    2.29.0 handlers/authentication/openid_auth_controller.go: discovery at
//            <issuer_uri>/.well-known/openid-configuration (issuer must equal issuer_uri),
//            redirect GuessKialiURL (server.web_*; trailing / trimmed), nonce = sha224 hex,
//            PKCE S256 always, basic auth with url.QueryEscape'd id/secret; username_claim from
//            the ID token; disable_rbac -> in-house ID token validation (iss, aud).
//   Jenkins  oic-auth 4.715.vf202e4229f61 OicSecurityRealm: discovery at the well-known URL,
//            redirect <root URL>securityRealm/finishLogin, PKCE with the pkce property, nonce
//            (pac4j default), groupsFieldName (JMESPath) over UserInfo first, then the ID token;
//            matrix-auth grants the permissions of every entry naming one of those groups.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import jmespath from "jmespath";
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from "jose";
import { parse as parseYaml } from "yaml";
import { parseStackConfig } from "../../components/config";
import { issuerUrl } from "../../components/config/sso";
import { renderJenkinsCasc } from "../../components/jenkins/render/casc";
import { grafanaValues, kialiValues } from "../../components/mesh/render/observability";
import {
  grafanaRedirectUri,
  jenkinsRedirectUri,
  keycloakRealm,
  kialiRedirectUri,
  settingsFor,
} from "../../components/sso";
import { keycloakInput, ssoSettings } from "../../stacks/paas/delivery";
import { clusterValues, raw, siteValues } from "../harness/configs";
import {
  authorize,
  basicAuth,
  type IssuerShape,
  type LocalIssuer,
  type ProviderClient,
  type ProviderUser,
  startIssuer,
} from "../harness/oidc";
import { requireTools } from "../harness/tools";

type Json = Record<string, unknown>;

const ADMINS = "CO:COU:jetstream-paas-admins:members:active";
const VIEWERS = "CO:COU:jetstream-paas-viewers:members:active";
const USERS: ProviderUser[] = [
  { id: "alice", email: "alice@example.org", name: "Alice Admin", groups: ["CO:members:active", ADMINS] },
  { id: "bob", email: "bob@example.org", name: "Bob Viewer", groups: [VIEWERS] },
  {
    id: "mallory",
    email: "mallory@example.org",
    name: "Mallory",
    groups: ["CO:COU:someone-else:members:active"],
  },
];
const JENKINS_URL = "https://203.0.113.10/"; // the controller's address: never contacted
const SECRETS = {
  grafana: "grafana-client-secret",
  kiali: "kiali-client-secret",
  jenkins: "jenkins-client-secret",
};

/**
 * CILogon as its documentation gives it (www.cilogon.org/oidc, read 2026-12): issuer, the
 * OAuth 2.0 endpoints, group memberships in isMemberOf with the org.cilogon.userinfo scope.
 * Written here from that page, not from our code, so the rendered URLs are checked against it.
 */
const CILOGON: IssuerShape = {
  issuer: "https://cilogon.org",
  authorization: "https://cilogon.org/authorize",
  token: "https://cilogon.org/oauth2/token",
  userinfo: "https://cilogon.org/oauth2/userinfo",
  jwks: "https://cilogon.org/oauth2/certs",
  groupsClaim: "isMemberOf",
  groupsScope: "org.cilogon.userinfo",
};

/** Keycloak's realm endpoints (Keycloak docs, "OpenID Connect endpoints": <realm>/protocol/openid-connect/...). */
function keycloakShape(issuer: string, groupsClaim: string): IssuerShape {
  const p = `${issuer}/protocol/openid-connect`;
  return {
    issuer,
    authorization: `${p}/auth`,
    token: `${p}/token`,
    userinfo: `${p}/userinfo`,
    jwks: `${p}/certs`,
    groupsClaim,
  };
}

// ---- rendering, as the stacks do it --------------------------------------------------------

interface Rendered {
  grafana: Json;
  kiali: Json;
  jenkins: Json;
}

function clusterConfig(sso: Json, extra: Json = {}) {
  const values = clusterValues({
    "jetstream-paas-cluster:sso": sso,
    "jetstream-paas-cluster:ssoGrafanaClientSecret": SECRETS.grafana,
    "jetstream-paas-cluster:ssoKialiClientSecret": SECRETS.kiali,
    ...extra,
  });
  const secret = Object.keys(values).filter((k) => /Secret|Password/.test(k));
  return parseStackConfig("cluster", raw(values, secret)).config;
}

function siteConfig(sso: Json) {
  const values = siteValues({
    "jetstream-paas:sso": sso,
    "jetstream-paas:ssoJenkinsClientSecret": SECRETS.jenkins,
  });
  return parseStackConfig("site", raw(values, ["jetstream-paas:ssoJenkinsClientSecret"])).config;
}

/** Grafana and Kiali values as stacks/paas/platform.ts builds them; JCasC as stacks/site/jenkins.ts. */
function render(clusterSso: Json, siteSso: Json, extra: Json = {}): Rendered {
  const cluster = clusterConfig(clusterSso, extra);
  const sso = ssoSettings(cluster)!;
  const c = cluster.sso!;
  const grafana = grafanaValues({ sso, clientId: c.grafana.clientId, url: c.grafana.url });
  const kiali = kialiValues(cluster.mesh.observability, "http://grafana.monitoring:80", {
    sso,
    clientId: c.kiali.clientId,
    url: c.kiali.url,
  });
  const site = siteConfig(siteSso);
  const s = site.sso!;
  const casc = renderJenkinsCasc({
    url: JENKINS_URL,
    adminUser: "admin",
    kubeconfigs: [],
    agents: [],
    seedJobs: false,
    systemMessage: "test",
    sso: { settings: settingsFor({ ...s, issuerUrl: issuerUrl(s) }), clientId: s.jenkins.clientId },
  });
  return { grafana, kiali, jenkins: parseYaml(casc) as Json };
}

// ---- each product's side of the flow ---------------------------------------------------------

interface RelyingParty {
  product: "grafana" | "kiali" | "jenkins";
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  scopes: string[];
  pkce: boolean;
  nonce: boolean;
  authorization: string;
  token: string;
  userinfo?: string;
  /** the issuer the product checks the ID token against */
  issuer: string;
  jwks: string;
}

const get = (o: unknown, path: string): unknown =>
  path.split(".").reduce<unknown>((v, k) => (v as Json | undefined)?.[k], o);

async function discover(issuer: LocalIssuer, url: string): Promise<Json> {
  const res = await issuer.request(url);
  assert.equal(res.status, 200, `discovery ${url}: HTTP ${res.status}`);
  return JSON.parse(res.body) as Json;
}

function grafanaIni(r: Rendered): Json {
  return r.grafana["grafana.ini"] as Json;
}

/** Grafana's generic OAuth does no discovery: it uses the three URLs as rendered. */
async function grafanaRp(r: Rendered, issuer: LocalIssuer, secret: string): Promise<RelyingParty> {
  const ini = grafanaIni(r);
  const g = ini["auth.generic_oauth"] as Json;
  const doc = await discover(issuer, `${issuer.shape.issuer}/.well-known/openid-configuration`);
  const rootUrl = String(get(ini, "server.root_url"));
  return {
    product: "grafana",
    clientId: String(g.client_id),
    clientSecret: secret,
    redirectUri: `${rootUrl.endsWith("/") ? rootUrl : `${rootUrl}/`}login/generic_oauth`,
    scopes: String(g.scopes).split(/[\s,]+/),
    pkce: g.use_pkce === true,
    nonce: false,
    authorization: String(g.auth_url),
    token: String(g.token_url),
    userinfo: String(g.api_url),
    issuer: String(doc.issuer),
    jwks: String(doc.jwks_uri),
  };
}

/** util/httputil GuessKialiURL at v2.29.0, for a request through the port-forward (no forwarding headers). */
function guessKialiUrl(server: Json): string {
  const schema = String(server.web_schema ?? "http");
  const host = String(server.web_fqdn ?? "localhost");
  const port = String(server.web_port ?? server.port ?? 20001);
  const root = String(server.web_root ?? "/kiali");
  const dflt = (schema === "http" && port === "80") || (schema === "https" && port === "443");
  return `${schema}://${host}${dflt ? "" : `:${port}`}${root}`.replace(/\/+$/, "");
}

async function kialiRp(r: Rendered, issuer: LocalIssuer, secret: string): Promise<RelyingParty> {
  const o = get(r.kiali, "auth.openid") as Json;
  const issuerUri = String(o.issuer_uri);
  const doc = await discover(issuer, `${issuerUri.replace(/\/+$/, "")}/.well-known/openid-configuration`);
  assert.equal(doc.issuer, issuerUri, "Kiali refuses metadata whose issuer is not issuer_uri");
  const scopes = [...(o.scopes as string[])];
  if (!scopes.includes("openid")) scopes.unshift("openid");
  return {
    product: "kiali",
    clientId: String(o.client_id),
    clientSecret: secret,
    redirectUri: guessKialiUrl((r.kiali.server as Json | undefined) ?? {}),
    scopes,
    pkce: true,
    nonce: true,
    authorization: String(doc.authorization_endpoint),
    token: String(doc.token_endpoint),
    issuer: String(doc.issuer),
    jwks: String(doc.jwks_uri),
  };
}

function oic(r: Rendered): Json {
  return get(r.jenkins, "jenkins.securityRealm.oic") as Json;
}

async function jenkinsRp(r: Rendered, issuer: LocalIssuer, secret: string): Promise<RelyingParty> {
  const realm = oic(r);
  const wk = get(realm, "serverConfiguration.wellKnown") as Json;
  const doc = await discover(issuer, String(wk.wellKnownOpenIDConfigurationUrl));
  const root = String(get(r.jenkins, "unclassified.location.url"));
  return {
    product: "jenkins",
    clientId: String(realm.clientId),
    clientSecret: secret,
    redirectUri: `${root}securityRealm/finishLogin`,
    scopes: String(wk.scopesOverride).split(/\s+/),
    pkce: (realm.properties as unknown[]).includes("pkce"),
    nonce: true,
    authorization: String(doc.authorization_endpoint),
    token: String(doc.token_endpoint),
    userinfo: doc.userinfo_endpoint as string | undefined,
    issuer: String(doc.issuer),
    jwks: String(doc.jwks_uri),
  };
}

interface Login {
  ok: boolean;
  /** when refused by the provider: its answer */
  refusal?: string;
  idClaims?: Json;
  userinfo?: Json;
}

/** The authorization-code flow as the product runs it, with a browser that signs in as `user`. */
async function login(
  issuer: LocalIssuer,
  rp: RelyingParty,
  user: string,
  redirectUri = rp.redirectUri,
): Promise<Login> {
  const state = randomBytes(16).toString("hex");
  const verifier = randomBytes(32).toString("base64url");
  const nonce = createHash("sha224").update(randomBytes(15)).digest("hex");
  const q = new URLSearchParams({
    client_id: rp.clientId,
    response_type: "code",
    redirect_uri: redirectUri,
    scope: rp.scopes.join(" "),
    state,
  });
  if (rp.nonce) q.set("nonce", nonce);
  if (rp.pkce) {
    q.set("code_challenge", createHash("sha256").update(verifier).digest("base64url"));
    q.set("code_challenge_method", "S256");
  }
  const res = await authorize(issuer, `${rp.authorization}?${q}`, user);
  if (!res.location)
    return {
      ok: false,
      refusal: `HTTP ${res.status}: ${/<pre>([\s\S]*?)<\/pre>|error_description[^<]*/.exec(res.body)?.[0] ?? res.body.slice(0, 200)}`,
    };
  const back = res.location;
  const sent = new URL(redirectUri);
  assert.equal(
    `${back.origin}${back.pathname}`,
    `${sent.origin}${sent.pathname}`,
    "the browser goes to the redirect URI",
  );
  assert.equal(back.searchParams.get("state"), state);
  const error = back.searchParams.get("error");
  if (error) return { ok: false, refusal: `${error}: ${back.searchParams.get("error_description") ?? ""}` };
  const form: Record<string, string> = {
    grant_type: "authorization_code",
    code: back.searchParams.get("code") ?? "",
    redirect_uri: redirectUri,
  };
  if (rp.pkce) form.code_verifier = verifier;
  const tok = await issuer.request(rp.token, {
    headers: { authorization: basicAuth(rp.clientId, rp.clientSecret) },
    form,
  });
  if (tok.status !== 200) return { ok: false, refusal: `token endpoint HTTP ${tok.status}: ${tok.body}` };
  const tokens = JSON.parse(tok.body) as { id_token: string; access_token: string };
  const jwks = JSON.parse((await issuer.request(rp.jwks)).body) as JSONWebKeySet;
  const { payload } = await jwtVerify(tokens.id_token, createLocalJWKSet(jwks), {
    issuer: rp.issuer,
    audience: rp.clientId,
  });
  if (rp.nonce) assert.equal(payload.nonce, nonce, "the ID token carries the product's nonce");
  let userinfo: Json | undefined;
  if (rp.userinfo) {
    const ui = await issuer.request(rp.userinfo, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    assert.equal(ui.status, 200, `userinfo: HTTP ${ui.status}`);
    userinfo = JSON.parse(ui.body) as Json;
  }
  return { ok: true, idClaims: payload as Json, userinfo };
}

// ---- what each product makes of the claims -------------------------------------------------

const GRAFANA_ROLES = ["Viewer", "Editor", "Admin", "GrafanaAdmin"];

/** Grafana: role_attribute_path over the ID token, then UserInfo; strict -> no valid role, no login. */
function grafanaRole(r: Rendered, l: Login): string {
  const g = grafanaIni(r)["auth.generic_oauth"] as Json;
  const path = String(g.role_attribute_path);
  let role: unknown = null;
  for (const data of [l.idClaims, l.userinfo]) {
    if (!data) continue;
    role = jmespath.search(data, path);
    if (typeof role === "string" && role !== "") break;
  }
  if (typeof role === "string" && GRAFANA_ROLES.includes(role)) return role;
  return g.role_attribute_strict === true ? "refused" : "Viewer";
}

/** oic-auth groups (UserInfo first) -> matrix-auth: the permissions of every entry for those groups. */
function jenkinsPermissions(r: Rendered, l: Login): string[] {
  const field = String(oic(r).groupsFieldName);
  let groups: unknown = l.userinfo ? jmespath.search(l.userinfo, field) : null;
  if (groups === null && l.idClaims) groups = jmespath.search(l.idClaims, field);
  const names = Array.isArray(groups)
    ? groups.filter((g): g is string => typeof g === "string")
    : typeof groups === "string"
      ? groups.split(/[\s[\],]/).filter(Boolean)
      : [];
  const entries = get(r.jenkins, "jenkins.authorizationStrategy.globalMatrix.entries") as Array<Json>;
  const perms = new Set<string>();
  for (const e of entries) {
    const g = e.group as { name: string; permissions: string[] } | undefined;
    if (g && names.includes(g.name)) g.permissions.forEach((p) => perms.add(p));
  }
  return [...perms].sort();
}

/** Kiali: who is signed in, and what the rendered settings let them do. */
function kialiAccess(r: Rendered, l: Login): { user: unknown; access: string } {
  const o = get(r.kiali, "auth.openid") as Json;
  const viewOnly = get(r.kiali, "deployment.view_only_mode") === true && o.disable_rbac === true;
  return {
    user: l.idClaims?.[String(o.username_claim)],
    access: viewOnly ? "view-only" : "per the user's RBAC",
  };
}

// ---- the suites ----------------------------------------------------------------------------

const issuers: LocalIssuer[] = [];
after(async () => {
  for (const i of issuers) await i.close();
});

before(() => requireTools(["openssl"]));

interface Flow {
  issuer: LocalIssuer;
  rendered: Rendered;
  rps: RelyingParty[];
}

async function rps(r: Rendered, issuer: LocalIssuer): Promise<RelyingParty[]> {
  return [
    await grafanaRp(r, issuer, SECRETS.grafana),
    await kialiRp(r, issuer, SECRETS.kiali),
    await jenkinsRp(r, issuer, SECRETS.jenkins),
  ];
}

function checkRoles(flow: () => Flow): void {
  const byUser = new Map<string, Map<string, Login>>();
  before(async () => {
    const f = flow();
    for (const u of USERS) {
      const m = new Map<string, Login>();
      for (const rp of f.rps) m.set(rp.product, await login(f.issuer, rp, u.id));
      byUser.set(u.id, m);
    }
  });
  const at = (user: string, product: string) => byUser.get(user)!.get(product)!;

  it("every product completes the flow for every user (code, token with the client secret, ID token, UserInfo)", () => {
    for (const u of USERS)
      for (const p of ["grafana", "kiali", "jenkins"]) {
        const l = at(u.id, p);
        assert.ok(l.ok, `${p} / ${u.id}: ${l.refusal}`);
        assert.equal(l.idClaims?.sub, u.id);
      }
  });

  it("an admin group member is Grafana Admin, Jenkins Overall/Administer, Kiali view-only", () => {
    const r = flow().rendered;
    assert.equal(grafanaRole(r, at("alice", "grafana")), "Admin");
    assert.deepEqual(jenkinsPermissions(r, at("alice", "jenkins")), ["Overall/Administer"]);
    assert.deepEqual(kialiAccess(r, at("alice", "kiali")), {
      user: "alice@example.org",
      access: "view-only",
    });
  });

  it("a viewer group member is Grafana Viewer, Jenkins read-only, Kiali view-only", () => {
    const r = flow().rendered;
    assert.equal(grafanaRole(r, at("bob", "grafana")), "Viewer");
    assert.deepEqual(jenkinsPermissions(r, at("bob", "jenkins")), ["Job/Read", "Overall/Read", "View/Read"]);
    assert.deepEqual(kialiAccess(r, at("bob", "kiali")), { user: "bob@example.org", access: "view-only" });
  });

  it("a user in neither group: Grafana refuses the login, Jenkins grants nothing, Kiali no more than view-only", () => {
    const r = flow().rendered;
    assert.equal(grafanaRole(r, at("mallory", "grafana")), "refused");
    assert.deepEqual(jenkinsPermissions(r, at("mallory", "jenkins")), []);
    assert.equal(kialiAccess(r, at("mallory", "kiali")).access, "view-only");
  });
}

const CILOGON_CLUSTER_SSO = {
  issuer: "cilogon",
  adminGroups: [ADMINS],
  viewerGroups: [VIEWERS],
  grafana: { clientId: "cilogon:/client_id/jsp-grafana", url: "http://localhost:3000" },
  kiali: { clientId: "cilogon:/client_id/jsp-kiali", url: "http://localhost:20001/kiali" },
};
const CILOGON_SITE_SSO = {
  issuer: "cilogon",
  adminGroups: [ADMINS],
  viewerGroups: [VIEWERS],
  jenkins: { clientId: "cilogon:/client_id/jsp-jenkins" },
};

/** The clients as registered at CILogon with the redirect URIs docs/delivery.md tells operators to register. */
function cilogonClients(
  clusterSso: typeof CILOGON_CLUSTER_SSO,
  siteSso: typeof CILOGON_SITE_SSO,
): ProviderClient[] {
  return [
    {
      clientId: clusterSso.grafana.clientId,
      clientSecret: SECRETS.grafana,
      redirectUris: [grafanaRedirectUri(clusterSso.grafana.url)],
      requirePkce: false,
    },
    {
      clientId: clusterSso.kiali.clientId,
      clientSecret: SECRETS.kiali,
      redirectUris: [kialiRedirectUri(clusterSso.kiali.url)],
      requirePkce: false,
    },
    {
      clientId: siteSso.jenkins.clientId,
      clientSecret: SECRETS.jenkins,
      redirectUris: [jenkinsRedirectUri(JENKINS_URL)],
      requirePkce: false,
    },
  ];
}

describe("SSO login flow, issuer cilogon (the example stacks)", () => {
  let f: Flow;
  before(async () => {
    const issuer = await startIssuer(CILOGON, cilogonClients(CILOGON_CLUSTER_SSO, CILOGON_SITE_SSO), USERS);
    issuers.push(issuer);
    const rendered = render(CILOGON_CLUSTER_SSO, CILOGON_SITE_SSO);
    f = { issuer, rendered, rps: await rps(rendered, issuer) };
  });

  it("discovery: the URLs in grafana.ini are the ones CILogon's discovery document names; Kiali's issuer_uri is its issuer", async () => {
    const doc = await discover(f.issuer, "https://cilogon.org/.well-known/openid-configuration");
    const g = grafanaIni(f.rendered)["auth.generic_oauth"] as Json;
    assert.deepEqual(
      [g.auth_url, g.token_url, g.api_url],
      [doc.authorization_endpoint, doc.token_endpoint, doc.userinfo_endpoint],
    );
    assert.equal(get(f.rendered.kiali, "auth.openid.issuer_uri"), doc.issuer);
    assert.equal(
      get(oic(f.rendered), "serverConfiguration.wellKnown.wellKnownOpenIDConfigurationUrl"),
      "https://cilogon.org/.well-known/openid-configuration",
    );
    const scopes = doc.scopes_supported as string[];
    for (const rp of f.rps)
      for (const s of rp.scopes) assert.ok(scopes.includes(s), `${rp.product} asks for ${s}`);
  });

  it("each product sends the redirect URI it is registered with", () => {
    assert.deepEqual(
      f.rps.map((rp) => [rp.product, rp.redirectUri]),
      [
        ["grafana", "http://localhost:3000/login/generic_oauth"],
        ["kiali", "http://localhost:20001/kiali"],
        ["jenkins", "https://203.0.113.10/securityRealm/finishLogin"],
      ],
    );
  });

  checkRoles(() => f);

  it("a redirect URI the registration does not list is refused by the provider (no code issued)", async () => {
    const [grafana, kiali, jenkins] = f.rps;
    for (const [rp, wrong] of [
      [grafana, "http://localhost:3001/login/generic_oauth"],
      [kiali, "http://localhost:20001/kiali/"], // the trailing slash Kiali 2.29 does not send
      [jenkins, "https://203.0.113.10/securityRealm/finishLogin/../"],
    ] as const) {
      const l = await login(f.issuer, rp, "alice", wrong);
      assert.equal(l.ok, false);
      assert.match(l.refusal ?? "", /redirect_uri/, `${rp.product}: ${l.refusal}`);
    }
  });

  it("fails when the rendered Grafana URL moves away from the registered one", async () => {
    const moved = render(
      { ...CILOGON_CLUSTER_SSO, grafana: { ...CILOGON_CLUSTER_SSO.grafana, url: "http://localhost:3001" } },
      CILOGON_SITE_SSO,
    );
    const l = await login(f.issuer, await grafanaRp(moved, f.issuer, SECRETS.grafana), "alice");
    assert.equal(l.ok, false, "a Grafana moved to another URL must not get a code");
  });

  it("fails when the rendered group mapping changes: the admin is no longer Admin", async () => {
    const other = { adminGroups: ["CO:COU:jetstream-paas-operators:members:active"] };
    const r = render({ ...CILOGON_CLUSTER_SSO, ...other }, { ...CILOGON_SITE_SSO, ...other });
    const rp = await rps(r, f.issuer);
    assert.equal(grafanaRole(r, await login(f.issuer, rp[0], "alice")), "refused");
    assert.deepEqual(jenkinsPermissions(r, await login(f.issuer, rp[2], "alice")), []);
  });

  it("a wrong client secret gets no token", async () => {
    const l = await login(f.issuer, { ...f.rps[0], clientSecret: "not-the-secret" }, "alice");
    assert.equal(l.ok, false);
    assert.match(l.refusal ?? "", /invalid_client/);
  });
});

describe("SSO login flow, issuer keycloak (the platform's realm import)", () => {
  const host = "keycloak.example.org";
  const clusterSso = {
    issuer: "keycloak",
    adminGroups: ["jsp-admins"],
    viewerGroups: ["jsp-viewers"],
    keycloak: { hostname: host },
    grafana: { url: "https://grafana.example.org" },
    kiali: { url: "https://kiali.example.org" },
    jenkins: { url: "https://203.0.113.10" },
  };
  const siteSso = {
    issuer: "keycloak",
    keycloakIssuerUrl: `https://${host}/realms/jetstream`,
    adminGroups: ["jsp-admins"],
    viewerGroups: ["jsp-viewers"],
  };
  const users: ProviderUser[] = USERS.map((u) => ({
    ...u,
    groups: u.groups.map((g) => (g === ADMINS ? "jsp-admins" : g === VIEWERS ? "jsp-viewers" : g)),
  }));
  let f: Flow;
  let realm: Json;
  before(async () => {
    const cluster = clusterConfig(clusterSso, {
      "jetstream-paas-cluster:ssoJenkinsClientSecret": SECRETS.jenkins,
      "jetstream-paas-cluster:keycloakDbPassword": "db-password",
    });
    realm = keycloakRealm(keycloakInput(cluster)!, SECRETS);
    // the realm as Keycloak would serve it: its clients, PKCE policy and group mapper's claim
    const clients = (realm.clients as Json[]).map((cl) => ({
      clientId: String(cl.clientId),
      clientSecret: String(cl.secret),
      redirectUris: cl.redirectUris as string[],
      requirePkce:
        get(cl, "attributes") !== undefined &&
        (cl.attributes as Json)["pkce.code.challenge.method"] === "S256",
    }));
    const mapper = ((realm.clients as Json[])[0].protocolMappers as Json[])[0].config as Json;
    const shape = keycloakShape(
      `https://${host}/realms/${String(realm.realm)}`,
      String(mapper["claim.name"]),
    );
    const issuer = await startIssuer(shape, clients, users);
    issuers.push(issuer);
    const rendered = render(clusterSso, siteSso, {
      "jetstream-paas-cluster:ssoJenkinsClientSecret": SECRETS.jenkins,
      "jetstream-paas-cluster:keycloakDbPassword": "db-password",
    });
    f = { issuer, rendered, rps: await rps(rendered, issuer) };
  });

  it("the realm's clients are the products' client ids with exactly the redirect URIs they send", () => {
    const registered = Object.fromEntries((realm.clients as Json[]).map((c) => [c.clientId, c.redirectUris]));
    assert.deepEqual(Object.fromEntries(f.rps.map((rp) => [rp.clientId, [rp.redirectUri]])), registered);
  });

  checkRoles(() => f);

  it("the realm requires PKCE S256 and every product sends it; a request without it is refused", async () => {
    for (const rp of f.rps) assert.ok(rp.pkce, `${rp.product} must send PKCE: the realm requires it`);
    const l = await login(f.issuer, { ...f.rps[0], pkce: false }, "alice");
    assert.equal(l.ok, false);
    assert.match(l.refusal ?? "", /invalid_request.*code_challenge|PKCE/i);
  });

  it("a redirect URI the realm does not list is refused", async () => {
    const l = await login(f.issuer, f.rps[1], "alice", "https://kiali.example.org/kiali");
    assert.equal(l.ok, false);
    assert.match(l.refusal ?? "", /redirect_uri/);
  });
});

describe("SSO login flow, another issuer (sso.endpoints from its discovery document)", () => {
  const shape: IssuerShape = {
    issuer: "https://id.example.org",
    authorization: "https://id.example.org/auth",
    token: "https://id.example.org/token",
    userinfo: "https://id.example.org/me",
    jwks: "https://id.example.org/jwks",
    groupsClaim: "groups",
  };
  const endpoints = {
    authorization: shape.authorization,
    token: shape.token,
    userinfo: shape.userinfo,
    jwks: shape.jwks,
  };
  const clusterSso = {
    issuer: shape.issuer,
    endpoints,
    adminGroups: [ADMINS],
    viewerGroups: [VIEWERS],
  };
  const siteSso = { issuer: shape.issuer, endpoints, adminGroups: [ADMINS], viewerGroups: [VIEWERS] };
  let f: Flow;
  before(async () => {
    const rendered = render(clusterSso, siteSso);
    const clients: ProviderClient[] = [
      {
        clientId: "jsp-grafana",
        clientSecret: SECRETS.grafana,
        redirectUris: [grafanaRedirectUri("http://localhost:3000")],
        requirePkce: true,
      },
      {
        clientId: "jsp-kiali",
        clientSecret: SECRETS.kiali,
        redirectUris: [kialiRedirectUri("http://localhost:20001/kiali")],
        requirePkce: true,
      },
      {
        clientId: "jsp-jenkins",
        clientSecret: SECRETS.jenkins,
        redirectUris: [jenkinsRedirectUri(JENKINS_URL)],
        requirePkce: true,
      },
    ];
    const issuer = await startIssuer(shape, clients, USERS);
    issuers.push(issuer);
    f = { issuer, rendered, rps: await rps(rendered, issuer) };
  });

  checkRoles(() => f);
});
