// A real OpenID provider (oidc-provider 9.13.3, OpenID Certified) on 127.0.0.1, dressed as the
// issuer our configs name (https://cilogon.org, https://<keycloak>/realms/<realm>, ...), and an
// HTTP client that reaches it: every request for the issuer's host goes to the provider's
// loopback port over TLS (SNI and certificate for that host, from a throw-away CA), so the
// rendered URLs are used byte for byte and nothing leaves the machine. Requests for any other
// host are refused.
import { generateKeyPairSync } from "node:crypto";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import Provider, { type Configuration } from "oidc-provider";
import { selfSignedCertificate } from "./tls";

export interface ProviderClient {
  clientId: string;
  clientSecret: string;
  redirectUris: readonly string[];
  /** the provider refuses an authorization request without a PKCE S256 challenge */
  requirePkce: boolean;
}

export interface ProviderUser {
  id: string;
  email: string;
  name: string;
  groups: readonly string[];
}

/** What the issuer serves: its identifier, endpoint URLs and the claim that carries groups. */
export interface IssuerShape {
  issuer: string;
  authorization: string;
  token: string;
  userinfo: string;
  jwks: string;
  groupsClaim: string;
  /** scope that releases the groups claim (CILogon: org.cilogon.userinfo); none: always released */
  groupsScope?: string;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface LocalIssuer {
  shape: IssuerShape;
  /** HTTP(S) to the issuer's host only, with a cookie jar (the browser) or without (a server) */
  request(url: string, opts?: RequestOptions): Promise<HttpResponse>;
  close(): Promise<void>;
}

export interface RequestOptions {
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  form?: Record<string, string>;
  jar?: CookieJar;
}

function pathOf(url: string): string {
  return new URL(url).pathname;
}

/** The provider's routes are relative to its mount path (the issuer's path). */
function routes(shape: IssuerShape): { mount: string; routes: Record<string, string> } {
  const mount = pathOf(shape.issuer).replace(/\/+$/, "");
  const rel = (url: string) => {
    const p = pathOf(url);
    if (!p.startsWith(`${mount}/`)) throw new Error(`${url} is not under the issuer ${shape.issuer}`);
    return p.slice(mount.length);
  };
  return {
    mount,
    routes: {
      authorization: rel(shape.authorization),
      token: rel(shape.token),
      userinfo: rel(shape.userinfo),
      jwks: rel(shape.jwks),
    },
  };
}

function configuration(
  shape: IssuerShape,
  clients: readonly ProviderClient[],
  users: readonly ProviderUser[],
) {
  const byId = new Map(users.map((u) => [u.id, u]));
  const pkceClients = new Set(clients.filter((c) => c.requirePkce).map((c) => c.clientId));
  const groupsScope = shape.groupsScope ?? "openid";
  const claims: Record<string, string[]> = {
    openid: ["sub"],
    email: ["email", "email_verified"],
    profile: ["name"],
  };
  claims[groupsScope] = [...(claims[groupsScope] ?? []), shape.groupsClaim];
  const config: Configuration = {
    clients: clients.map((c) => ({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      redirect_uris: [...c.redirectUris],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
    })),
    claims,
    // Keycloak (with id.token.claim) and CILogon put the scope's claims into the ID token too;
    // Kiali and oic-auth read them there.
    conformIdTokenClaims: false,
    pkce: { required: (_ctx, client) => pkceClients.has(client.clientId) },
    cookies: { keys: ["jsp-test-cookie-key-not-a-secret"] },
    // a signing key made for this run (RS256, what all three products accept)
    jwks: {
      keys: [
        {
          ...generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "jwk" }),
          kid: "test",
          alg: "RS256",
          use: "sig",
        },
      ],
    },
    ttl: {
      Interaction: 600,
      Session: 600,
      Grant: 600,
      AccessToken: 600,
      IdToken: 600,
      AuthorizationCode: 60,
    },
    routes: routes(shape).routes,
    features: { devInteractions: { enabled: true } },
    async findAccount(_ctx, id) {
      const u = byId.get(id);
      if (!u) return undefined;
      return {
        accountId: id,
        async claims() {
          return {
            sub: id,
            email: u.email,
            email_verified: true,
            name: u.name,
            [shape.groupsClaim]: [...u.groups],
          };
        },
      };
    },
  };
  return config;
}

/** Starts the provider on 127.0.0.1:0; `close()` stops it. */
export async function startIssuer(
  shape: IssuerShape,
  clients: readonly ProviderClient[],
  users: readonly ProviderUser[],
): Promise<LocalIssuer> {
  const host = new URL(shape.issuer).host;
  const { mount } = routes(shape);
  const provider = new Provider(shape.issuer, configuration(shape, clients, users));
  const callback = provider.callback();
  const { key, cert } = selfSignedCertificate(host, `DNS:${new URL(shape.issuer).hostname}`);
  const server = https.createServer({ key, cert }, (req, res) => {
    const url = req.url ?? "/";
    if (mount !== "" && !(url === mount || url.startsWith(`${mount}/`) || url.startsWith(`${mount}?`))) {
      res.writeHead(404).end();
      return;
    }
    // mounted like express' app.use(mount, ...): oidc-provider derives its mount from originalUrl
    (req as typeof req & { originalUrl: string }).originalUrl = url;
    req.url = url.slice(mount.length) || "/";
    void callback(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;

  const request = (url: string, opts: RequestOptions = {}): Promise<HttpResponse> => {
    const u = new URL(url);
    if (u.protocol !== "https:" || u.host !== host) {
      return Promise.reject(new Error(`refused: ${url} is not the local issuer ${host}`));
    }
    const body = opts.form ? new URLSearchParams(opts.form).toString() : undefined;
    const headers: Record<string, string> = { host, ...(opts.headers ?? {}) };
    if (body !== undefined) headers["content-type"] = "application/x-www-form-urlencoded";
    const cookie = opts.jar?.header(u);
    if (cookie) headers.cookie = cookie;
    return new Promise((resolve, reject) => {
      const req = https.request(
        {
          host: "127.0.0.1",
          port,
          servername: u.hostname,
          ca: cert,
          method: opts.method ?? (body === undefined ? "GET" : "POST"),
          path: `${u.pathname}${u.search}`,
          headers,
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            opts.jar?.store(u, res.headers["set-cookie"]);
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString("utf8"),
            });
          });
        },
      );
      req.on("error", reject);
      req.setTimeout(10_000, () => req.destroy(new Error(`timeout: ${url}`)));
      req.end(body);
    });
  };

  return {
    shape,
    request,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Enough of a browser's cookie store for one origin: name, value, path; expiry by Max-Age/Expires. */
export class CookieJar {
  private readonly cookies = new Map<string, { value: string; path: string }>();

  store(url: URL, setCookie: string[] | undefined): void {
    for (const line of setCookie ?? []) {
      const [pair, ...attrs] = line.split(";").map((s) => s.trim());
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = "/";
      let expired = value === "";
      for (const a of attrs) {
        const [k, v = ""] = a.split("=");
        if (k.toLowerCase() === "path") path = v;
        if (k.toLowerCase() === "max-age" && Number(v) <= 0) expired = true;
        if (k.toLowerCase() === "expires" && Date.parse(v) < Date.now()) expired = true;
      }
      const id = `${name};${path}`;
      if (expired) this.cookies.delete(id);
      else this.cookies.set(id, { value, path });
    }
    void url;
  }

  header(url: URL): string {
    return [...this.cookies.entries()]
      .filter(
        ([, c]) =>
          url.pathname === c.path || url.pathname.startsWith(c.path.endsWith("/") ? c.path : `${c.path}/`),
      )
      .map(([id, c]) => `${id.split(";")[0]}=${c.value}`)
      .join("; ");
  }
}

export interface AuthorizeResult {
  /** the provider's final redirect (to the product), or undefined when it answered with an error page */
  location?: URL;
  status: number;
  body: string;
}

/**
 * A browser at the authorization endpoint: follows the provider's redirects, signs in as
 * `user` on its login form and approves its consent form, and stops at the first redirect
 * that leaves the provider (the product's redirect URI, not followed).
 */
export async function authorize(
  issuer: LocalIssuer,
  authUrl: string,
  user: string,
): Promise<AuthorizeResult> {
  const jar = new CookieJar();
  const origin = new URL(issuer.shape.issuer).origin;
  let next: { url: string; form?: Record<string, string> } = { url: authUrl };
  for (let step = 0; step < 12; step++) {
    const res = await issuer.request(next.url, { jar, form: next.form });
    const loc = res.headers.location;
    if (typeof loc === "string" && res.status >= 300 && res.status < 400) {
      const target = new URL(loc, next.url);
      if (target.origin !== origin) return { location: target, status: res.status, body: res.body };
      next = { url: target.href };
      continue;
    }
    if (res.status !== 200) return { status: res.status, body: res.body };
    // the dev interaction pages: a form with a hidden "prompt" (login or consent)
    const action = /<form[^>]*action="([^"]+)"/.exec(res.body)?.[1];
    const prompt = /name="prompt" value="(login|consent)"/.exec(res.body)?.[1];
    if (!action || !prompt) return { status: res.status, body: res.body };
    const form: Record<string, string> =
      prompt === "login" ? { prompt, login: user, password: "not-checked-by-dev-interactions" } : { prompt };
    next = { url: new URL(action.replace(/&amp;/g, "&"), next.url).href, form };
  }
  throw new Error("authorize: more than 12 steps");
}

/** Go's url.QueryEscape (Grafana's and Kiali's client_secret_basic encode id and secret with it). */
export function goQueryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, "+");
}

export function basicAuth(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${goQueryEscape(clientId)}:${goQueryEscape(secret)}`).toString("base64")}`;
}
