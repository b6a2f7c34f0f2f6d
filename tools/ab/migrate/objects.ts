// Kubernetes objects as plain data for the migration: identity, group/kind helpers and the
// reader of `kubectl get -o yaml|json` output (a List, typed lists, single objects, streams).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{ kind?: string; name?: string; apiVersion?: string }>;
  [key: string]: unknown;
}

/** One Kubernetes object as the API returns it (JSON). */
export interface KObj {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export type Json = Record<string, unknown>;

export function isObj(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** "" for the core group. */
export function groupOf(o: Pick<KObj, "apiVersion">): string {
  return o.apiVersion.includes("/") ? o.apiVersion.slice(0, o.apiVersion.indexOf("/")) : "";
}

export function versionOf(o: Pick<KObj, "apiVersion">): string {
  return o.apiVersion.slice(o.apiVersion.indexOf("/") + 1);
}

/** "Deployment.apps", "Service" (core): a kind across API versions, as kubectl writes it. */
export function groupKind(o: Pick<KObj, "apiVersion" | "kind">): string {
  const g = groupOf(o);
  return g ? `${o.kind}.${g}` : o.kind;
}

/** Stable identity across API versions: "Deployment.apps weather/forecast", "Namespace weather". */
export function idOf(o: KObj): string {
  const ns = o.metadata.namespace;
  return `${groupKind(o)} ${ns ? `${ns}/` : ""}${o.metadata.name ?? "?"}`;
}

export function clone<T>(v: T): T {
  return structuredClone(v);
}

function isKObj(v: unknown): v is KObj {
  return (
    isObj(v) &&
    typeof v.apiVersion === "string" &&
    typeof v.kind === "string" &&
    isObj(v.metadata) &&
    typeof v.metadata.name === "string"
  );
}

/** Flattens `List` / `<Kind>List` documents into their items; drops empty documents. */
export function flattenDocuments(docs: readonly unknown[]): KObj[] {
  const out: KObj[] = [];
  for (const d of docs) {
    if (!isObj(d)) continue;
    if (typeof d.kind === "string" && d.kind.endsWith("List") && Array.isArray(d.items)) {
      // typed lists (PodList) leave apiVersion/kind off their items
      const kind = d.kind === "List" ? undefined : d.kind.slice(0, -4);
      for (const item of d.items) {
        const withKind =
          isObj(item) && kind && !item.kind ? { apiVersion: d.apiVersion, kind, ...item } : item;
        out.push(...flattenDocuments([withKind]));
      }
      continue;
    }
    if (!isKObj(d))
      throw new Error(
        `not a Kubernetes object (needs apiVersion, kind, metadata.name): ${JSON.stringify(d).slice(0, 80)}`,
      );
    out.push(d);
  }
  return out;
}

/** Parses one file's text: YAML (one or many documents) or JSON. */
export function parseObjects(text: string, source: string): KObj[] {
  const docs = parseAllDocuments(text);
  const values: unknown[] = [];
  for (const d of docs) {
    if (d.errors.length > 0) throw new Error(`${source}: ${d.errors[0].message.split("\n")[0]}`);
    values.push(d.toJS());
  }
  try {
    return flattenDocuments(values);
  } catch (err) {
    throw new Error(`${source}: ${(err as Error).message}`);
  }
}

const INPUT_EXT = /\.(ya?ml|json)$/;

/** Every object of a file, or of every .yaml/.yml/.json file under a directory (sorted). */
export function readObjectFiles(path: string): KObj[] {
  if (!statSync(path).isDirectory()) return parseObjects(readFileSync(path, "utf8"), path);
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const f of readdirSync(dir).sort()) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (INPUT_EXT.test(f)) files.push(p);
    }
  };
  walk(path);
  if (files.length === 0) throw new Error(`${path}: no .yaml, .yml or .json file`);
  return files.flatMap((f) => parseObjects(readFileSync(f, "utf8"), f));
}
