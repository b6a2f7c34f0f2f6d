// The settings we render, checked against each product's own definition of them (the vendored
// upstream files in test/fixtures/, see its README): Grafana's conf/defaults.ini and its chart's
// values.yaml, Kiali's CR schema (the kiali-server chart passes its values into Kiali's config),
// oic-auth's and matrix-auth's JCasC attributes, kube-monkey's chart values, config template and
// the label keys its code reads. Each check is shown to fail on a misspelt key.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import Ajv from "ajv";
import { parse as parseYaml, parseAllDocuments } from "yaml";
import { ConfigError, parseStackConfig } from "../../../components/config";
import { issuerUrl } from "../../../components/config/sso";
import { chaosLabels, kubeMonkeyValues } from "../../../components/delivery/render/chaos";
import { renderJenkinsCasc } from "../../../components/jenkins/render/casc";
import { grafanaValues, kialiValues } from "../../../components/mesh/render/observability";
import { settingsFor } from "../../../components/sso";
import { clusterValues, raw, siteValues } from "../../harness/configs";
import { strictSchema } from "../../harness/k8s-validate";

type Json = Record<string, unknown>;
const FIXTURES = join(__dirname, "..", "..", "fixtures");

/** A vendored file without its provenance header (everything up to the `# ---` line). */
function vendored(path: string): string {
  const text = readFileSync(join(FIXTURES, path), "utf8");
  const end = text.indexOf("\n# ---\n");
  assert.ok(end > 0, `${path} has no provenance header`);
  return text.slice(end + "\n# ---\n".length);
}

const isMap = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const kind = (v: unknown) => (Array.isArray(v) ? "array" : v === null ? "null" : typeof v);

// ---- rendered settings ---------------------------------------------------------------------

const SSO = {
  issuer: "cilogon",
  adminGroups: ["CO:COU:jetstream-paas-admins:members:active"],
  viewerGroups: ["CO:COU:jetstream-paas-viewers:members:active"],
};

function rendered() {
  const cluster = parseStackConfig(
    "cluster",
    raw(
      clusterValues({
        "jetstream-paas-cluster:sso": SSO,
        "jetstream-paas-cluster:ssoGrafanaClientSecret": "x",
        "jetstream-paas-cluster:ssoKialiClientSecret": "x",
        "jetstream-paas-cluster:blueGreen": [
          {
            name: "weather",
            namespace: "weather",
            active: "blue",
            blue: { image: `registry.example.org/weather@sha256:${"a".repeat(64)}` },
            green: { image: `registry.example.org/weather@sha256:${"b".repeat(64)}` },
          },
        ],
        "jetstream-paas-cluster:chaos": {
          enabled: true,
          namespaces: [{ name: "weather", mtbfDays: 2, killMode: "fixed", killValue: 1 }],
        },
      }),
      ["jetstream-paas-cluster:ssoGrafanaClientSecret", "jetstream-paas-cluster:ssoKialiClientSecret"],
    ),
  ).config;
  const c = cluster.sso!;
  const settings = settingsFor({ ...c, issuerUrl: issuerUrl(c) });
  const casc = renderJenkinsCasc({
    url: "https://203.0.113.10/",
    adminUser: "admin",
    kubeconfigs: [],
    agents: [],
    seedJobs: false,
    systemMessage: "test",
    sso: { settings, clientId: "jsp-jenkins" },
  });
  return {
    grafana: grafanaValues({ sso: settings, clientId: c.grafana.clientId, url: c.grafana.url }),
    kiali: kialiValues(cluster.mesh.observability, "http://grafana.monitoring:80", {
      sso: settings,
      clientId: c.kiali.clientId,
      url: c.kiali.url,
    }),
    jenkins: parseYaml(casc) as Json,
    chaos: cluster.chaos,
  };
}
const R = rendered();
const clone = <T>(v: T): T => structuredClone(v);

// ---- Grafana -------------------------------------------------------------------------------

/** conf/defaults.ini: section -> key -> default value (as text). */
function grafanaDefaults(): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  let section: Map<string, string> | undefined;
  for (const line of vendored("grafana/defaults-excerpt.ini").split("\n")) {
    const head = /^\[([^\]]+)\]$/.exec(line);
    if (head) out.set(head[1], (section = new Map()));
    const kv = /^([A-Za-z0-9_]+) = ?(.*)$/.exec(line);
    if (kv && section) section.set(kv[1], kv[2]);
  }
  return out;
}

/** Every [section] key we set exists in defaults.ini with a value of the kind its default has. */
function checkGrafanaIni(ini: Json): string[] {
  const defaults = grafanaDefaults();
  const problems: string[] = [];
  for (const [section, keys] of Object.entries(ini)) {
    const known = defaults.get(section);
    if (!known || !isMap(keys)) {
      problems.push(`[${section}] is not a section of defaults.ini (or not a map)`);
      continue;
    }
    for (const [key, value] of Object.entries(keys)) {
      const d = known.get(key);
      if (d === undefined) {
        problems.push(`[${section}] ${key}: Grafana has no such key`);
        continue;
      }
      const want = /^(true|false)$/.test(d) ? "boolean" : /^-?[0-9]+$/.test(d) ? "number" : "string";
      if (kind(value) !== want)
        problems.push(`[${section}] ${key} = ${JSON.stringify(value)}: must be a ${want}`);
    }
  }
  return problems;
}

/**
 * Chart values: every key we set exists in the chart's values.yaml with the same kind; maps the
 * chart leaves empty (`{}`) take keys of the user's choosing, and grafana.ini is checked above.
 */
function checkChartValues(ours: Json, chart: Json, path = ""): string[] {
  const problems: string[] = [];
  for (const [k, v] of Object.entries(ours)) {
    const p = path ? `${path}.${k}` : k;
    if (!(k in chart)) {
      problems.push(`${p}: the chart has no such value`);
      continue;
    }
    const c = chart[k];
    if (c === null || c === "") continue;
    if (kind(v) !== kind(c)) problems.push(`${p}: the chart's default is a ${kind(c)}, ours a ${kind(v)}`);
    else if (isMap(v) && isMap(c) && Object.keys(c).length > 0 && p !== "grafana.ini")
      problems.push(...checkChartValues(v, c, p));
  }
  return problems;
}

describe("Grafana settings against Grafana's defaults.ini and the chart's values", () => {
  const chart = parseYaml(vendored("grafana/chart-values-12.11.1.yaml")) as Json;
  const ini = () => clone(R.grafana["grafana.ini"] as Json);

  it("every grafana.ini key we set (auth.generic_oauth included) is one Grafana reads, with the right kind", () => {
    assert.deepEqual(checkGrafanaIni(ini()), []);
    const oauth = ini()["auth.generic_oauth"] as Json;
    assert.ok(Object.keys(oauth).length >= 15, "the generic OAuth section is checked key by key");
  });

  it("refuses a misspelt key, a wrong kind and an unknown section", () => {
    const bad = ini();
    const oauth = bad["auth.generic_oauth"] as Json;
    oauth.role_atribute_path = oauth.role_attribute_path;
    oauth.use_pkce = "yes";
    bad["auth.generic_oath"] = {};
    assert.deepEqual(checkGrafanaIni(bad), [
      '[auth.generic_oauth] use_pkce = "yes": must be a boolean',
      "[auth.generic_oauth] role_atribute_path: Grafana has no such key",
      "[auth.generic_oath] is not a section of defaults.ini (or not a map)",
    ]);
  });

  it("every chart value we set exists in the chart with the same kind", () => {
    assert.deepEqual(checkChartValues(R.grafana, chart), []);
    const bad = clone(R.grafana);
    (bad.admin as Json).existingSecrets = "grafana-admin";
    bad.envFromValue = bad.envValueFrom;
    assert.deepEqual(checkChartValues(bad, chart), [
      "admin.existingSecrets: the chart has no such value",
      "envFromValue: the chart has no such value",
    ]);
  });
});

// ---- Kiali ---------------------------------------------------------------------------------

function kialiSpecSchema(): Json {
  const crd = parseAllDocuments(vendored("kiali/kiali.io_kialis-v2.29.0.yaml"))
    .map((d) => d.toJS() as Json)
    .find((d) => d.kind === "CustomResourceDefinition")!;
  const version = (crd.spec as { versions: Array<{ schema: { openAPIV3Schema: Json } }> }).versions[0];
  return (version.schema.openAPIV3Schema.properties as Json).spec as Json;
}

describe("Kiali settings against the Kiali CR schema (v2.29.0) and the kiali-server chart", () => {
  // The chart writes its values into Kiali's config (templates/configmap.yaml: "Most of .Values
  // is simply the ConfigMap"), and the CR schema documents that config. Kubernetes would prune
  // an unknown field; here an unknown field is an error (strictSchema).
  const validate = new Ajv({ strict: false, allErrors: true }).compile(
    strictSchema(kialiSpecSchema()) as object,
  );
  const errors = (v: unknown) =>
    validate(v)
      ? []
      : (validate.errors ?? []).map(
          (e) => `${e.instancePath} ${e.message ?? ""} ${JSON.stringify(e.params)}`,
        );

  it("auth.strategy openid with auth.openid.* keys that exist, server.web_*, view-only deployment", () => {
    assert.deepEqual(errors(R.kiali), []);
    assert.equal((R.kiali.auth as Json).strategy, "openid");
    assert.deepEqual(Object.keys((R.kiali.auth as Json).openid as Json).sort(), [
      "api_token",
      "authentication_timeout",
      "client_id",
      "disable_rbac",
      "issuer_uri",
      "scopes",
      "username_claim",
    ]);
  });

  it("refuses a misspelt openid key, a wrong kind and an unknown strategy", () => {
    const bad = clone(R.kiali);
    const openid = (bad.auth as Json).openid as Json;
    openid.issuer_url = openid.issuer_uri;
    openid.disable_rbac = "true";
    (bad.server as Json).web_fdqn = "localhost";
    assert.equal(errors(bad).length, 3, errors(bad).join("\n"));
    assert.ok(errors(bad).some((e) => e.includes("issuer_url")));
    assert.ok(errors(bad).some((e) => e.includes("/auth/openid/disable_rbac")));
    assert.ok(errors(bad).some((e) => e.includes("web_fdqn")));
    const strategy = clone(R.kiali);
    (strategy.auth as Json).strategy = "oidc";
    assert.match(errors(strategy).join(), /\/auth\/strategy must be equal to one of the allowed values/);
  });

  it("the top-level values we set are values of the kiali-server chart", () => {
    const chart = parseYaml(vendored("kiali/kiali-server-values-v2.29.0.yaml")) as Json;
    for (const k of Object.keys(R.kiali)) assert.ok(k in chart, `kiali-server has no value ${k}`);
    assert.equal(
      (chart.deployment as Json).secret_name,
      "kiali",
      "the chart mounts Secret kiali (oidc-secret) by default",
    );
  });
});

// ---- Jenkins (oic-auth, matrix-auth) -------------------------------------------------------

const JCASC = JSON.parse(readFileSync(join(FIXTURES, "jenkins/jcasc-attributes.json"), "utf8")) as {
  securityRealm: Record<string, string[]>;
  serverConfiguration: Record<string, string[]>;
  properties: Record<string, string[]>;
  authorizationStrategy: Record<string, string[]>;
  matrixEntry: { kinds: string[]; fields: string[] };
};

/** The keys of one JCasC describable ({symbol: {attrs}} or a bare symbol) against the attribute lists. */
function describable(v: unknown, allowed: Record<string, string[]>, where: string): string[] {
  if (typeof v === "string") return v in allowed ? [] : [`${where}: ${v} is not a symbol of the plugin`];
  if (!isMap(v) || Object.keys(v).length !== 1) return [`${where}: must be one {symbol: {...}}`];
  const [symbol, attrs] = Object.entries(v)[0];
  const known = allowed[symbol];
  if (!known) return [`${where}: ${symbol} is not a symbol of the plugin`];
  return Object.keys(isMap(attrs) ? attrs : {})
    .filter((a) => !known.includes(a))
    .map((a) => `${where}.${symbol}.${a}: no such attribute`);
}

function checkJenkinsSecurity(jenkins: Json): string[] {
  const realm = jenkins.securityRealm;
  const problems = describable(realm, JCASC.securityRealm, "securityRealm");
  const oic = (realm as Json).oic as Json | undefined;
  if (oic) {
    problems.push(...describable(oic.serverConfiguration, JCASC.serverConfiguration, "serverConfiguration"));
    ((oic.properties as unknown[]) ?? []).forEach((p, i) =>
      problems.push(...describable(p, JCASC.properties, `properties[${i}]`)),
    );
  }
  const strategy = jenkins.authorizationStrategy;
  problems.push(...describable(strategy, JCASC.authorizationStrategy, "authorizationStrategy"));
  const entries = ((strategy as Json).globalMatrix as Json | undefined)?.entries as Json[] | undefined;
  (entries ?? []).forEach((e, i) => {
    const [k, body] = Object.entries(e)[0];
    if (!JCASC.matrixEntry.kinds.includes(k))
      problems.push(`entries[${i}]: ${k} is not user, group or userOrGroup`);
    for (const f of Object.keys(body as Json))
      if (!JCASC.matrixEntry.fields.includes(f)) problems.push(`entries[${i}].${k}.${f}: no such field`);
  });
  return problems;
}

describe("Jenkins security settings against oic-auth 4.715 and matrix-auth 3.2.8", () => {
  const jenkins = () => clone(R.jenkins.jenkins as Json);

  it("securityRealm.oic, its wellKnown server configuration and properties use only the plugin's attributes", () => {
    assert.deepEqual(checkJenkinsSecurity(jenkins()), []);
  });

  it("the plugin's own JCasC test file uses the same attribute names (the extraction is right)", () => {
    const upstream = parseYaml(vendored("jenkins/oic-auth-ConfigurationAsCode.yml")) as Json;
    const realm = ((upstream.jenkins as Json).securityRealm as Json).oic as Json;
    for (const k of Object.keys(realm)) assert.ok(JCASC.securityRealm.oic.includes(k), k);
    const minimal = parseYaml(vendored("jenkins/oic-auth-ConfigurationAsCodeMinimalWellKnown.yml")) as Json;
    const wk = ((((minimal.jenkins as Json).securityRealm as Json).oic as Json).serverConfiguration as Json)
      .wellKnown;
    for (const k of Object.keys(wk as Json)) assert.ok(JCASC.serverConfiguration.wellKnown.includes(k), k);
  });

  it("matrix entries are group/user entries with permission ids matrix-auth knows", () => {
    const upstream = vendored("jenkins/matrix-auth-configuration-as-code-v3.yml");
    const ids = new Set([...upstream.matchAll(/- ([A-Z][A-Za-z]+\/[A-Za-z]+)$/gm)].map((m) => m[1]));
    const entries = ((jenkins().authorizationStrategy as Json).globalMatrix as Json).entries as Json[];
    for (const e of entries)
      for (const p of (Object.values(e)[0] as { permissions: string[] }).permissions)
        assert.ok(ids.has(p), `${p} is not a permission id in matrix-auth's own JCasC file`);
  });

  it("refuses a misspelt attribute, property or permission field", () => {
    const bad = jenkins();
    const oic = (bad.securityRealm as Json).oic as Json;
    oic.groupFieldName = oic.groupsFieldName;
    (oic.properties as unknown[]).push("pkse");
    ((oic.serverConfiguration as Json).wellKnown as Json).scopeOverride = "openid";
    const entries = ((bad.authorizationStrategy as Json).globalMatrix as Json).entries as Json[];
    entries.push({ groups: { name: "x", permissions: [] } });
    assert.deepEqual(checkJenkinsSecurity(bad).sort(), [
      "entries[3]: groups is not user, group or userOrGroup",
      "properties[2]: pkse is not a symbol of the plugin",
      "securityRealm.oic.groupFieldName: no such attribute",
      "serverConfiguration.wellKnown.scopeOverride: no such attribute",
    ]);
  });
});

// ---- kube-monkey ---------------------------------------------------------------------------

describe("kube-monkey values and labels against chart 1.5.2 and its code", () => {
  const chart = parseYaml(vendored("kube-monkey/values-1.5.2.yaml")) as Json;
  const template = vendored("kube-monkey/configmap-1.5.2.yaml.tpl");
  const values = () => kubeMonkeyValues(R.chaos);

  it("every value we set exists in the chart with the same kind", () => {
    assert.deepEqual(checkChartValues(values(), chart), []);
  });

  it("every config value we set is one the chart's config.toml template reads", () => {
    const read = new Set([...template.matchAll(/\.Values\.config\.([A-Za-z_.]+)/g)].map((m) => m[1]));
    const ours = Object.entries(values().config as Json).flatMap(([k, v]) =>
      isMap(v) ? Object.keys(v).map((s) => `${k}.${s}`) : [k],
    );
    for (const k of ours) assert.ok(read.has(k), `the template does not read config.${k}`);
  });

  it("refuses a misspelt value", () => {
    const bad = values();
    (bad.config as Json).dry_run = true;
    assert.deepEqual(checkChartValues(bad, chart), ["config.dry_run: the chart has no such value"]);
  });

  it("the opt-in labels are the keys and values kube-monkey's code reads", () => {
    const code = vendored("kube-monkey/config.go.txt");
    const consts = Object.fromEntries(
      [...code.matchAll(/^\s+(\w+)\s+= "([^"]+)"/gm)].map((m) => [m[1], m[2]]),
    );
    const labels = chaosLabels(R.chaos, "weather", "weather-blue");
    assert.deepEqual(labels, {
      [consts.EnabledLabelKey]: consts.EnabledLabelValue,
      [consts.IdentLabelKey]: "weather-blue",
      [consts.MtbfLabelKey]: "2",
      [consts.KillTypeLabelKey]: consts.KillFixedLabelValue,
      [consts.KillValueLabelKey]: "1",
    });
    assert.deepEqual(Object.keys(labels).sort(), [
      "kube-monkey/enabled",
      "kube-monkey/identifier",
      "kube-monkey/kill-mode",
      "kube-monkey/kill-value",
      "kube-monkey/mtbf",
    ]);
    assert.deepEqual(chaosLabels(R.chaos, "default", "web-blue"), {}, "a namespace that did not opt in");
  });
});

// ---- config: another issuer needs its endpoints ---------------------------------------------

describe("sso config: endpoints", () => {
  const refusal = (sso: Json): string[] => {
    try {
      parseStackConfig(
        "site",
        raw(siteValues({ "jetstream-paas:sso": sso, "jetstream-paas:ssoJenkinsClientSecret": "x" }), [
          "jetstream-paas:ssoJenkinsClientSecret",
        ]),
      );
    } catch (err) {
      assert.ok(err instanceof ConfigError, String(err));
      return [...err.lines];
    }
    return [];
  };
  const base = { adminGroups: ["admins"] };
  const endpoints = {
    authorization: "https://id.example.org/auth",
    token: "https://id.example.org/token",
    userinfo: "https://id.example.org/me",
    jwks: "https://id.example.org/jwks",
  };

  it("an issuer URL without endpoints is refused in one line; with them it is accepted", () => {
    assert.deepEqual(refusal({ ...base, issuer: "https://id.example.org" }), [
      "jetstream-paas:sso.endpoints = (missing): must be given when sso.issuer is an issuer URL (authorization, token, userinfo, jwks from its discovery document)",
    ]);
    assert.deepEqual(refusal({ ...base, issuer: "https://id.example.org", endpoints }), []);
  });

  it("endpoints for cilogon are refused; an http endpoint is refused", () => {
    const lines = refusal({ ...base, issuer: "cilogon", endpoints });
    assert.equal(lines.length, 1);
    assert.match(
      lines[0],
      /^jetstream-paas:sso\.endpoints = .*: must not be given for cilogon or keycloak \(their endpoints are known\)$/,
    );
    assert.match(
      refusal({
        ...base,
        issuer: "https://id.example.org",
        endpoints: { ...endpoints, token: "http://id.example.org/token" },
      }).join(),
      /sso\.endpoints\.token = "http:\/\/id\.example\.org\/token": must be an https:\/\/ URL/,
    );
  });
});
