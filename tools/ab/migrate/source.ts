// Reading a cluster through its API for the migration: discovery of every listable kind at its
// preferred version, then lists of the chosen namespaces and cluster-scoped kinds.
import type { KubeClient } from "../../app/kube";
import { isObj, KObj } from "./objects";
import { MigrateScope, NEVER_MIGRATED } from "./rules";

export interface ApiKind {
  group: string;
  version: string;
  /** plural resource name, e.g. "deployments" */
  resource: string;
  kind: string;
  namespaced: boolean;
}

export const apiVersionOf = (k: Pick<ApiKind, "group" | "version">) =>
  k.group ? `${k.group}/${k.version}` : k.version;
export const gkOf = (k: Pick<ApiKind, "group" | "kind">) => (k.group ? `${k.kind}.${k.group}` : k.kind);

interface ResourceList {
  resources?: Array<{ name: string; kind: string; namespaced: boolean; verbs?: string[] }>;
}

async function must<T>(client: KubeClient, path: string): Promise<T> {
  const body = await client.get<T>(path);
  if (body === undefined) throw new Error(`GET ${path}: not found (is this a Kubernetes API server?)`);
  return body;
}

function kindsOf(list: ResourceList, group: string, version: string): ApiKind[] {
  return (list.resources ?? [])
    .filter((r) => !r.name.includes("/") && (r.verbs ?? []).includes("list"))
    .map((r) => ({ group, version, resource: r.name, kind: r.kind, namespaced: r.namespaced }));
}

/** Every listable kind the server serves, each at its group's preferred version. */
export async function discoverKinds(client: KubeClient): Promise<ApiKind[]> {
  const core = await must<{ versions?: string[] }>(client, "/api");
  const kinds: ApiKind[] = [];
  for (const v of core.versions ?? [])
    kinds.push(...kindsOf(await must<ResourceList>(client, `/api/${v}`), "", v));
  const groups = await must<{ groups?: Array<{ name: string; preferredVersion?: { version: string } }> }>(
    client,
    "/apis",
  );
  const lists = await Promise.all(
    (groups.groups ?? []).map(async (g) => {
      const v = g.preferredVersion?.version;
      return v ? kindsOf(await must<ResourceList>(client, `/apis/${g.name}/${v}`), g.name, v) : [];
    }),
  );
  for (const l of lists) kinds.push(...l);
  return kinds;
}

export function collection(k: ApiKind, namespace?: string): string {
  const base = k.group ? `/apis/${k.group}/${k.version}` : `/api/${k.version}`;
  return k.namespaced && namespace
    ? `${base}/namespaces/${namespace}/${k.resource}`
    : `${base}/${k.resource}`;
}

/** The object's path on a server whose kinds are `kinds`; undefined when it serves no such kind. */
export function objectPath(kinds: readonly ApiKind[], o: KObj): string | undefined {
  const k = kinds.find((x) => apiVersionOf(x) === o.apiVersion && x.kind === o.kind);
  return k ? `${collection(k, o.metadata.namespace)}/${o.metadata.name}` : undefined;
}

async function listItems(client: KubeClient, k: ApiKind, namespace?: string): Promise<KObj[]> {
  const body = await must<{ items?: unknown[] }>(client, collection(k, namespace));
  // list items carry no apiVersion/kind of their own: the list's kind says what they are
  return (body.items ?? [])
    .filter(isObj)
    .map((i) => ({ ...i, apiVersion: apiVersionOf(k), kind: k.kind }) as KObj);
}

/** Runs `fn` over `items` with at most `limit` at once, keeping the order of results. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (t: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export interface SourceRead {
  objects: KObj[];
  /** kinds the source serves that are never migrated, so not even read */
  notRead: string[];
  namespaces: string[];
  kinds: ApiKind[];
}

/**
 * Reads what the migration considers: the chosen namespaces (default: every namespace that is
 * not a platform namespace) with every namespaced kind in them, and the chosen cluster-scoped
 * kinds. Kinds that are never migrated (events, leases, ...) are not read at all.
 */
export async function readSource(
  client: KubeClient,
  scope: MigrateScope,
  concurrency = 8,
): Promise<SourceRead> {
  const kinds = await discoverKinds(client);
  const nsKind = kinds.find((k) => k.group === "" && k.kind === "Namespace");
  if (!nsKind) throw new Error("the source serves no namespaces (not a Kubernetes API server?)");
  const allNamespaces = await listItems(client, nsKind);
  const chosen =
    scope.namespaces ??
    allNamespaces.map((n) => n.metadata.name!).filter((n) => !scope.platformNamespaces.includes(n));
  const notRead = kinds.filter((k) => NEVER_MIGRATED[gkOf(k)] !== undefined).map(gkOf);
  const readable = kinds.filter((k) => NEVER_MIGRATED[gkOf(k)] === undefined);
  const namespaced = readable.filter((k) => k.namespaced);
  const cluster = readable.filter(
    (k) =>
      !k.namespaced &&
      k.kind !== "Namespace" &&
      (scope.clusterKinds.includes(k.kind) || scope.clusterKinds.includes(gkOf(k))),
  );
  // one list per kind across namespaces unless namespaces were named (then one per namespace)
  const jobs: Array<[ApiKind, string | undefined]> = scope.namespaces
    ? namespaced.flatMap((k) => chosen.map((ns): [ApiKind, string] => [k, ns]))
    : namespaced.map((k): [ApiKind, undefined] => [k, undefined]);
  jobs.push(...cluster.map((k): [ApiKind, undefined] => [k, undefined]));
  const lists = await mapLimit(jobs, concurrency, ([k, ns]) => listItems(client, k, ns));
  const inChosen = (o: KObj) => o.metadata.namespace === undefined || chosen.includes(o.metadata.namespace);
  const objects = [
    ...allNamespaces.filter((n) => chosen.includes(n.metadata.name!)),
    ...lists.flat().filter(inChosen),
  ];
  return { objects, notRead: [...new Set(notRead)].sort(), namespaces: [...chosen], kinds };
}
