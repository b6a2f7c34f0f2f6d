// Schema validation of Kubernetes objects: core kinds with `kubernetes-models`, Istio kinds with
// `@kubernetes-models/istio`, Flagger kinds with ajv against the openAPIV3Schema of Flagger's
// own CRD (vendored in tools/lib/schemas/flagger), any other custom resource against the schema
// of a CRD the caller supplies. A kind without a schema is reported invalid, so nothing escapes
// validation by being unknown. The tests validate what the components render with it, and
// `npm run ab -- migrate` validates every object before it writes or applies it.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv from "ajv";
import { parseAllDocuments } from "yaml";

export const FLAGGER_CRD_PATH = join(__dirname, "schemas", "flagger", "crd-v1.44.0.yaml");
/** sha256 of the upstream file (below the provenance header), checked by a test. */
export const FLAGGER_CRD_SHA256 = "8d7ad05c2d1d242c0cd4c25c5fb3ad0f75f10706da588aeeb950fe2858134630";

type Obj = { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
export type Validate = (o: Obj) => void;
interface ModelClass {
  new (data: unknown): { validate(): void };
}

export interface ValidationResult {
  checked: number;
  invalid: Array<{ id: string; error: string }>;
  byKind: Record<string, number>;
}

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

/** The upstream CRD text (the vendored file minus its provenance header). */
export function flaggerCrdUpstreamText(): string {
  const text = readFileSync(FLAGGER_CRD_PATH, "utf8");
  return text.slice(text.indexOf("apiVersion:"));
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * The API server prunes fields a structural schema does not declare; a typo would vanish
 * silently on a real cluster. Validation here refuses them instead: every object schema with
 * `properties` and no `x-kubernetes-preserve-unknown-fields` gets `additionalProperties: false`.
 */
export function strictSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strictSchema);
  if (!schema || typeof schema !== "object") return schema;
  const s = Object.fromEntries(
    Object.entries(schema as Record<string, unknown>).map(([k, v]) => [
      k,
      k === "properties" && v && typeof v === "object"
        ? Object.fromEntries(
            Object.entries(v as Record<string, unknown>).map(([pk, pv]) => [pk, strictSchema(pv)]),
          )
        : strictSchema(v),
    ]),
  );
  if (
    s.properties &&
    s["x-kubernetes-preserve-unknown-fields"] !== true &&
    s.additionalProperties === undefined
  ) {
    s.additionalProperties = false;
  }
  return s;
}

function crdValidator(crdText: string, kind: string, version: string): Validate {
  const docs = parseAllDocuments(crdText).map((d) => d.toJS() as Record<string, unknown>);
  return crdObjectValidator(docs, kind, version);
}

/** A validator for `kind` at `version` from CRD objects (the first that defines the kind). */
export function crdObjectValidator(
  crds: readonly Record<string, unknown>[],
  kind: string,
  version: string,
): Validate {
  const docs = crds;
  const crd = docs.find(
    (d) =>
      d.kind === "CustomResourceDefinition" && (d.spec as { names: { kind: string } }).names.kind === kind,
  ) as { spec: { versions: Array<{ name: string; schema: { openAPIV3Schema: Record<string, unknown> } }> } };
  if (!crd) throw new Error(`no CRD for ${kind}`);
  const v = crd.spec.versions.find((x) => x.name === version);
  if (!v) throw new Error(`CRD ${kind} has no version ${version}`);
  if (!v.schema?.openAPIV3Schema) throw new Error(`CRD ${kind} ${version} has no openAPIV3Schema`);
  const schema = strictSchema(v.schema.openAPIV3Schema) as Record<string, unknown>;
  // metadata is validated by the API server, not by the CRD schema; keep it open.
  schema.properties = {
    ...((schema.properties as Record<string, unknown> | undefined) ?? {}),
    metadata: { type: "object" },
  };
  // status is written by the controller; we never render it
  const ajv = new Ajv({ strict: false, allErrors: true });
  for (const f of ["int", "string", "url", "date-time", "int32", "int64", "double", "float", "byte"]) {
    ajv.addFormat(f, true);
  }
  const check = ajv.compile(schema);
  return (o) => {
    if (!check(o)) {
      throw new Error(
        (check.errors ?? [])
          .map(
            (e) => `${e.instancePath || "/"} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ""}`,
          )
          .join("; "),
      );
    }
  };
}

/** Loads the validators (the model packages are ES modules: dynamic import). */
export async function loadValidators(): Promise<Map<string, Validate>> {
  const core = (await import("kubernetes-models/v1")) as unknown as Record<string, ModelClass>;
  const sec = (await import("@kubernetes-models/istio/security.istio.io/v1")) as unknown as Record<
    string,
    ModelClass
  >;
  const net = (await import("@kubernetes-models/istio/networking.istio.io/v1")) as unknown as Record<
    string,
    ModelClass
  >;
  const apps = (await import("kubernetes-models/apps/v1")) as unknown as Record<string, ModelClass>;
  const model =
    (cls: ModelClass): Validate =>
    (o) =>
      new cls(o).validate();
  const m = new Map<string, Validate>();
  for (const k of ["Namespace", "Secret", "ServiceAccount", "Service", "ConfigMap"])
    m.set(`v1/${k}`, model(core[k]));
  for (const k of ["Deployment", "StatefulSet", "DaemonSet"]) m.set(`apps/v1/${k}`, model(apps[k]));
  for (const k of ["PeerAuthentication", "AuthorizationPolicy", "RequestAuthentication"]) {
    m.set(`security.istio.io/v1/${k}`, model(sec[k]));
  }
  for (const k of ["ServiceEntry", "Gateway", "VirtualService", "DestinationRule", "Sidecar"]) {
    m.set(`networking.istio.io/v1/${k}`, model(net[k]));
  }
  m.set("flagger.app/v1beta1/Canary", crdValidator(flaggerCrdUpstreamText(), "Canary", "v1beta1"));
  return m;
}

const ISTIO_GROUPS = new Set([
  "networking.istio.io",
  "security.istio.io",
  "telemetry.istio.io",
  "extensions.istio.io",
  "install.istio.io",
]);
const FLAGGER_KINDS = new Set(["Canary", "MetricTemplate", "AlertProvider"]);

/** The `kubernetes-models` module path of an apiVersion ("v1", "apps/v1", "rbac.authorization.k8s.io/v1"). */
function modelModule(apiVersion: string): string {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (ISTIO_GROUPS.has(group)) return `@kubernetes-models/istio/${group}/${version}`;
  return group ? `kubernetes-models/${group}/${version}` : `kubernetes-models/${version}`;
}

/**
 * Validates objects of any kind: built-in kinds with `kubernetes-models`, Istio with
 * `@kubernetes-models/istio`, Flagger with its vendored CRD, other custom resources with the
 * CRDs given (e.g. the CRDs being migrated alongside them). Validators are loaded on first use.
 */
export class ObjectValidator {
  private readonly cache = new Map<string, Validate | string>();
  private readonly crds: Record<string, unknown>[];

  constructor(crds: readonly Record<string, unknown>[] = []) {
    this.crds = [...crds];
  }

  /** Adds CRDs whose custom resources may be validated from now on. */
  addCrds(crds: readonly Record<string, unknown>[]): void {
    this.crds.push(...crds);
  }

  private async load(apiVersion: string, kind: string): Promise<Validate | string> {
    const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
    if (group === "flagger.app" && FLAGGER_KINDS.has(kind)) {
      return crdValidator(flaggerCrdUpstreamText(), kind, version);
    }
    const fromCrd = this.crds.find((c) => {
      const spec = (c as { spec?: { group?: string; names?: { kind?: string } } }).spec;
      return spec?.group === group && spec.names?.kind === kind;
    });
    if (fromCrd) {
      try {
        return crdObjectValidator([fromCrd], kind, version);
      } catch (err) {
        return (err as Error).message;
      }
    }
    try {
      const mod = (await import(modelModule(apiVersion))) as Record<string, ModelClass | undefined>;
      const cls = mod[kind];
      if (typeof cls === "function") return (o) => new cls(o).validate();
    } catch {
      // no such module: an API group kubernetes-models does not know
    }
    return `no schema for ${apiVersion}/${kind}: every object must be validated (migrate its CRD with it)`;
  }

  /** The error text, or undefined when the object is valid. */
  async validate(o: Obj): Promise<string | undefined> {
    const key = `${String(o.apiVersion)}/${String(o.kind)}`;
    let v = this.cache.get(key);
    if (v === undefined) {
      v = await this.load(String(o.apiVersion), String(o.kind));
      this.cache.set(key, v);
    }
    if (typeof v === "string") return v;
    return validateObject(new Map([[key, v]]), o);
  }
}

function idOf(o: Obj): string {
  const md = o.metadata ?? {};
  return `${String(o.apiVersion)}/${String(o.kind)} ${md.namespace ? `${String(md.namespace)}/` : ""}${String(md.name)}`;
}

/** Validates one object; returns the error text or undefined. */
export function validateObject(validators: Map<string, Validate>, o: Obj): string | undefined {
  const key = `${String(o.apiVersion)}/${String(o.kind)}`;
  const v = validators.get(key);
  if (!v) return `no schema for ${key}: every rendered kind must be validated`;
  const md = o.metadata;
  if (!md || typeof md.name !== "string") return "metadata.name is required";
  // The API server's name rules, which the generated schemas do not carry.
  const nameOk = o.kind === "Namespace" ? DNS_LABEL.test(md.name) : DNS_SUBDOMAIN.test(md.name);
  if (!nameOk) return `metadata.name "${md.name}" is not a valid Kubernetes name`;
  if (md.namespace !== undefined && (typeof md.namespace !== "string" || !DNS_LABEL.test(md.namespace))) {
    return `metadata.namespace "${String(md.namespace)}" is not a DNS label`;
  }
  try {
    v(o);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

export function validateObjects(
  validators: Map<string, Validate>,
  objects: readonly Obj[],
): ValidationResult {
  const res: ValidationResult = { checked: 0, invalid: [], byKind: {} };
  for (const o of objects) {
    res.checked += 1;
    const kind = String(o.kind);
    res.byKind[kind] = (res.byKind[kind] ?? 0) + 1;
    const error = validateObject(validators, o);
    if (error) res.invalid.push({ id: idOf(o), error });
  }
  return res;
}

/** Every document of a YAML stream (a rendered k8s/<component>.yaml). */
export function readManifests(path: string): Obj[] {
  return parseAllDocuments(readFileSync(path, "utf8"))
    .map((d) => d.toJS() as Obj)
    .filter((o) => o !== null && o !== undefined);
}

export const GATEWAY_VALUES_SCHEMA_PATH = join(
  __dirname,
  "schemas",
  "istio",
  "gateway-values.schema-1.30.3.json",
);
export const GATEWAY_VALUES_SCHEMA_SHA256 =
  "6a58a62ea7417ed4e7dd18d25d0a674ce888a18d4b44fc832e876e2d7aa7c1f6";

/**
 * Helm validates a chart's values against its values.schema.json at install; of the charts we
 * use only Istio's `gateway` ships one. Returns the error text or undefined.
 */
export function gatewayValuesValidator(): (values: unknown) => string | undefined {
  const ajv = new Ajv({ strict: false, allErrors: true });
  const check = ajv.compile(JSON.parse(readFileSync(GATEWAY_VALUES_SCHEMA_PATH, "utf8")) as object);
  return (values) =>
    check(values)
      ? undefined
      : (check.errors ?? [])
          .map((e) => `${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`)
          .join("; ");
}
