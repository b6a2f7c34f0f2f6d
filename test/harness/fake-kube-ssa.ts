// Field ownership for the fake API server's server-side apply: which manager owns which field,
// conflicts, removal of fields a manager stopped applying, and managedFields in the wire format.
// Modelled on the API server's structured-merge-diff, with one simplification: a list whose
// every element has a string `name` is associative (keyed by name, like containers, env,
// volumes); every other list is atomic. docs/ab-upgrade.md says what this does not model.
import { isDeepStrictEqual } from "node:util";

export type Obj = Record<string, unknown>;
type Seg = { key: string } | { name: string };

export interface ManagedEntry {
  manager: string;
  operation: "Apply" | "Update";
  apiVersion: string;
  time: string;
  fields: Set<string>;
}

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

function isNamedList(v: unknown): v is Obj[] {
  return Array.isArray(v) && v.length > 0 && v.every((e) => isObj(e) && typeof e.name === "string");
}

const SERVER_META = new Set([
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "managedFields",
  "selfLink",
]);

/** Path text: `.spec.template.spec.containers[name="web"].image`. */
export function pathText(segs: readonly Seg[]): string {
  return segs.map((s) => ("key" in s ? `.${s.key}` : `[name="${s.name}"]`)).join("");
}

function parsePath(text: string): Seg[] {
  const segs: Seg[] = [];
  const re = /\.([^.[]+)|\[name="([^"]*)"\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) segs.push(m[1] !== undefined ? { key: m[1] } : { name: m[2] });
  return segs;
}

/** Leaf fields of an object (scalars, empty maps, atomic lists) with their values. */
export function leaves(
  o: unknown,
  prefix: Seg[] = [],
  out = new Map<string, unknown>(),
): Map<string, unknown> {
  if (isObj(o)) {
    const keys = Object.keys(o);
    if (keys.length === 0 && prefix.length > 0) out.set(pathText(prefix), {});
    for (const k of keys) {
      if (prefix.length === 1 && "key" in prefix[0] && prefix[0].key === "metadata" && SERVER_META.has(k))
        continue;
      if (prefix.length === 0 && k === "status") continue;
      leaves(o[k], [...prefix, { key: k }], out);
    }
  } else if (isNamedList(o)) {
    for (const e of o) leaves(e, [...prefix, { name: String(e.name) }], out);
  } else {
    out.set(pathText(prefix), o);
  }
  return out;
}

function child(container: unknown, seg: Seg, create: boolean): unknown {
  if ("key" in seg) {
    if (!isObj(container)) return undefined;
    if (container[seg.key] === undefined && create) container[seg.key] = {};
    return container[seg.key];
  }
  if (!Array.isArray(container)) return undefined;
  let e = container.find((x) => isObj(x) && x.name === seg.name);
  if (!e && create) container.push((e = { name: seg.name }));
  return e;
}

/** Sets `value` at `path` in `o`, creating maps and named list elements on the way. */
export function setAt(o: Obj, path: string, value: unknown): void {
  const segs = parsePath(path);
  let cur: unknown = o;
  for (let i = 0; i < segs.length - 1; i++) {
    const next = segs[i + 1];
    if ("key" in segs[i] && isObj(cur)) {
      const k = (segs[i] as { key: string }).key;
      if (cur[k] === undefined || ("name" in next && !Array.isArray(cur[k])))
        cur[k] = "name" in next ? [] : {};
    }
    cur = child(cur, segs[i], true);
  }
  const last = segs[segs.length - 1];
  if ("key" in last && isObj(cur)) cur[last.key] = structuredClone(value);
}

/** Deletes the field at `path`, then prunes maps and named elements it left empty. */
export function deleteAt(o: Obj, path: string): void {
  const segs = parsePath(path);
  const chain: unknown[] = [o];
  for (const s of segs.slice(0, -1)) chain.push(child(chain[chain.length - 1], s, false));
  const last = segs[segs.length - 1];
  const parent = chain[chain.length - 1];
  if ("key" in last && isObj(parent)) delete parent[last.key];
  for (let i = segs.length - 2; i >= 0; i--) {
    const node = chain[i + 1];
    const holder = chain[i];
    const s = segs[i];
    const empty =
      isObj(node) && (Object.keys(node).length === 0 || ("name" in s && Object.keys(node).length === 1));
    if (!empty) break;
    if ("key" in s && isObj(holder)) delete holder[s.key];
    if ("name" in s && Array.isArray(holder)) holder.splice(holder.indexOf(node), 1);
    if ("name" in s && Array.isArray(holder) && holder.length === 0 && i > 0) {
      const up = chain[i - 1];
      const k = segs[i - 1];
      if ("key" in k && isObj(up)) delete up[k.key];
    }
  }
}

/** managedFields' `fieldsV1` for a set of paths. */
export function fieldsV1(paths: Iterable<string>): Obj {
  const root: Obj = {};
  for (const p of paths) {
    let cur = root;
    for (const s of parsePath(p)) {
      const k = "key" in s ? `f:${s.key}` : `k:${JSON.stringify({ name: s.name })}`;
      cur[k] ??= {};
      cur = cur[k] as Obj;
    }
  }
  return root;
}

export interface Conflict {
  manager: string;
  apiVersion: string;
  field: string;
}

export interface ApplyResult {
  object: Obj;
  entries: ManagedEntry[];
  conflicts: Conflict[];
  changed: boolean;
}

/**
 * Server-side apply of `config` by `manager` onto `current` (undefined: create). Without `force`,
 * a field whose value would change and that another manager owns is a conflict (409).
 */
export function serverSideApply(
  current: Obj | undefined,
  entries: readonly ManagedEntry[],
  config: Obj,
  manager: string,
  force: boolean,
  now: string,
): ApplyResult {
  const applied = leaves(config);
  const curLeaves = leaves(current ?? {});
  const others = entries.filter((e) => !(e.manager === manager && e.operation === "Apply"));
  const mine = entries.find((e) => e.manager === manager && e.operation === "Apply");
  const conflicts: Conflict[] = [];
  for (const [p, v] of applied) {
    if (!curLeaves.has(p) || isDeepStrictEqual(curLeaves.get(p), v)) continue;
    for (const e of others) {
      if (e.fields.has(p)) conflicts.push({ manager: e.manager, apiVersion: e.apiVersion, field: p });
    }
  }
  if (conflicts.length > 0 && !force)
    return { object: current ?? {}, entries: [...entries], conflicts, changed: false };
  const next = structuredClone(current ?? {}) as Obj;
  for (const p of mine?.fields ?? []) {
    if (!applied.has(p) && !others.some((e) => e.fields.has(p))) deleteAt(next, p);
  }
  for (const [p, v] of applied) setAt(next, p, v);
  const changedFields = new Set(
    [...applied.keys()].filter((p) => !isDeepStrictEqual(curLeaves.get(p), applied.get(p))),
  );
  const nextEntries: ManagedEntry[] = others.map((e) => ({
    ...e,
    fields: new Set([...e.fields].filter((p) => !(changedFields.has(p) && force))),
  }));
  const sameFields =
    mine !== undefined &&
    mine.fields.size === applied.size &&
    [...applied.keys()].every((p) => mine.fields.has(p));
  const apiVersion = String(config.apiVersion);
  nextEntries.push({
    manager,
    operation: "Apply",
    apiVersion,
    time: sameFields && mine ? mine.time : now,
    fields: new Set(applied.keys()),
  });
  const changed = !isDeepStrictEqual(stripServer(next), stripServer(current ?? {})) || !sameFields;
  return { object: next, entries: nextEntries.filter((e) => e.fields.size > 0), conflicts: [], changed };
}

/** An update (merge patch) takes the fields it changed from whoever owned them. */
export function recordUpdate(
  before: Obj,
  after: Obj,
  entries: readonly ManagedEntry[],
  manager: string,
  apiVersion: string,
  now: string,
): ManagedEntry[] {
  const a = leaves(before);
  const b = leaves(after);
  const changed = new Set([...b.keys()].filter((p) => !isDeepStrictEqual(a.get(p), b.get(p))));
  for (const p of a.keys()) if (!b.has(p)) changed.add(p);
  if (changed.size === 0) return [...entries];
  const out = entries.map((e) => ({ ...e, fields: new Set([...e.fields].filter((p) => !changed.has(p))) }));
  const own = out.find((e) => e.manager === manager && e.operation === "Update");
  const present = [...changed].filter((p) => b.has(p));
  if (own) present.forEach((p) => own.fields.add(p));
  else out.push({ manager, operation: "Update", apiVersion, time: now, fields: new Set(present) });
  return out.filter((e) => e.fields.size > 0);
}

function stripServer(o: Obj): Obj {
  const c = structuredClone(o);
  if (isObj(c.metadata)) for (const k of SERVER_META) delete c.metadata[k];
  return c;
}

/** The wire form (metadata.managedFields). */
export function managedFieldsOf(entries: readonly ManagedEntry[]): Obj[] {
  return entries.map((e) => ({
    apiVersion: e.apiVersion,
    fieldsType: "FieldsV1",
    fieldsV1: fieldsV1(e.fields),
    manager: e.manager,
    operation: e.operation,
    time: e.time,
  }));
}
