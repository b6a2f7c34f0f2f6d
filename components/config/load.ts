// Reads a stack's whole config once, parses it with the project's schema and returns typed
// objects. Every problem becomes one line `<key> = <value>: <rule>`; nothing is declared
// until parsing succeeded, so a bad config plans no resource.
import * as pulumi from "@pulumi/pulumi";
import * as runtimeConfig from "@pulumi/pulumi/runtime/config";
import { z } from "zod";
import { ClusterConfig, CLUSTER_SECRET_KEYS, clusterSchema } from "./cluster";
import { ConfigError } from "./errors";
import { regionOf } from "./fields";
import { ourWords } from "./messages";
import { OpenstackConfig, OPENSTACK_SECRET_KEYS, openstackSchema } from "./openstack";
import { SiteConfig, SITE_SECRET_KEYS, siteSchema } from "./site";

export const PROJECTS = { site: "jetstream-paas", cluster: "jetstream-paas-cluster" } as const;
export type ProjectKind = keyof typeof PROJECTS;

/** Namespaces a stack file may use besides the project's own. */
const OTHER_NAMESPACES = new Set(["openstack", "pulumi"]);

/** Config as the engine hands it over: every value a string, plus which keys are secret. */
export interface RawConfig {
  readonly values: Readonly<Record<string, string>>;
  readonly secretKeys: ReadonlySet<string>;
}

interface ProjectSpec<T> {
  readonly schema: z.ZodType<T>;
  readonly secretKeys: readonly string[];
}

const SPECS: { site: ProjectSpec<SiteConfig>; cluster: ProjectSpec<ClusterConfig> } = {
  site: { schema: siteSchema, secretKeys: SITE_SECRET_KEYS },
  cluster: { schema: clusterSchema, secretKeys: CLUSTER_SECRET_KEYS },
};

export interface LoadedConfig<T> {
  readonly project: string;
  readonly config: T;
  readonly openstack: OpenstackConfig;
}

/**
 * Pulumi passes structured config (YAML maps, lists, numbers, booleans) as JSON text; plain
 * strings stay as they are. A value that looks like JSON is decoded, anything else is a string.
 */
export function decodeValue(text: string): unknown {
  if (/^\s*[[{]/.test(text) || /^(true|false|null|-?\d+(\.\d+)?)$/.test(text)) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

function formatPath(ns: string, path: readonly PropertyKey[]): string {
  let out = ns;
  path.forEach((p, i) => {
    if (typeof p === "number") out += `[${p}]`;
    else out += `${i === 0 ? ":" : "."}${String(p)}`;
  });
  return out;
}

/** Private key material pasted into a config value is never echoed back, even in part. */
const KEY_MATERIAL = /PRIVATE KEY|^-----BEGIN|\bb3BlbnNzaC1rZXktdjE/;

function formatValue(v: unknown, secret: boolean): string {
  if (secret) return "[secret]";
  if (typeof v === "string" && KEY_MATERIAL.test(v)) return "[redacted: looks like a private key]";
  if (v === undefined) return "(missing)";
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function issueLines(
  ns: string,
  issues: readonly z.core.$ZodIssue[],
  secretTop: ReadonlySet<string>,
): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    const secret = issue.path.length > 0 && secretTop.has(String(issue.path[0]));
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const where = formatPath(ns, [...issue.path, key]);
        lines.push(`${where}: unknown key (see docs/configuration.md for the keys this project reads)`);
      }
      continue;
    }
    const input = (issue as { input?: unknown }).input;
    const where = formatPath(ns, issue.path);
    if (input === undefined && issue.code === "invalid_type") {
      lines.push(`${where}: required key is missing (${issue.message})`);
    } else {
      lines.push(`${where} = ${formatValue(input, secret)}: ${issue.message}`);
    }
  }
  return lines;
}

/** Pure: parses raw engine config for a project. Throws ConfigError listing every problem. */
export function parseStackConfig(kind: "site", raw: RawConfig): LoadedConfig<SiteConfig>;
export function parseStackConfig(kind: "cluster", raw: RawConfig): LoadedConfig<ClusterConfig>;
export function parseStackConfig(kind: ProjectKind, raw: RawConfig): LoadedConfig<SiteConfig | ClusterConfig>;
export function parseStackConfig(
  kind: ProjectKind,
  raw: RawConfig,
): LoadedConfig<SiteConfig | ClusterConfig> {
  const project = PROJECTS[kind];
  const spec: ProjectSpec<SiteConfig | ClusterConfig> = SPECS[kind];
  const own: Record<string, unknown> = {};
  const openstack: Record<string, unknown> = {};
  const lines: string[] = [];
  const ownSecret = new Set<string>();
  const osSecret = new Set<string>();

  for (const fullKey of Object.keys(raw.values).sort()) {
    const idx = fullKey.indexOf(":");
    const ns = idx > 0 ? fullKey.slice(0, idx) : "";
    const key = idx > 0 ? fullKey.slice(idx + 1) : fullKey;
    const isSecret = raw.secretKeys.has(fullKey);
    const value = decodeValue(raw.values[fullKey]);
    if (ns === project) {
      own[key] = value;
      if (isSecret) ownSecret.add(key);
    } else if (ns === "openstack") {
      openstack[key] = value;
      if (isSecret) osSecret.add(key);
    } else if (!OTHER_NAMESPACES.has(ns)) {
      lines.push(
        `${fullKey}: unknown namespace "${ns}" (this project reads ${project}:* and openstack:* keys only)`,
      );
    }
  }

  const requireSecret = (
    ns: string,
    keys: readonly string[],
    given: Record<string, unknown>,
    s: Set<string>,
  ) => {
    for (const key of keys) {
      if (key in given && !s.has(key)) {
        lines.push(
          `${ns}:${key} = [redacted]: must be a secret; set it with \`pulumi config set --secret ${ns}:${key}\``,
        );
      }
    }
  };
  requireSecret(project, spec.secretKeys, own, ownSecret);
  requireSecret("openstack", OPENSTACK_SECRET_KEYS, openstack, osSecret);

  const ownResult = spec.schema.safeParse(own, { reportInput: true, error: ourWords });
  if (!ownResult.success) lines.push(...issueLines(project, ownResult.error.issues, ownSecret));
  const osResult = openstackSchema.safeParse(openstack, { reportInput: true, error: ourWords });
  if (!osResult.success) {
    lines.push(...issueLines("openstack", osResult.error.issues, new Set(OPENSTACK_SECRET_KEYS)));
  }

  if (ownResult.success && osResult.success) {
    const region = osResult.data.region;
    const expected = regionOf(ownResult.data.site);
    if (region !== undefined && region !== expected) {
      lines.push(
        `openstack:region = ${JSON.stringify(region)}: must be ${expected} for site ${ownResult.data.site}`,
      );
    }
  }

  if (lines.length > 0 || !ownResult.success || !osResult.success) throw new ConfigError(lines);
  return { project, config: ownResult.data, openstack: osResult.data };
}

// `isConfigSecret` is marked @internal in @pulumi/pulumi, but it is how the SDK itself knows a
// key was set with --secret; no public API tells, and the secret check needs it.
const internalConfig = runtimeConfig as unknown as { isConfigSecret?: (key: string) => boolean };

/** Reads the running stack's config from the Pulumi engine (real or mock) and parses it. */
export function loadStackConfig(kind: "site"): LoadedConfig<SiteConfig>;
export function loadStackConfig(kind: "cluster"): LoadedConfig<ClusterConfig>;
export function loadStackConfig(kind: ProjectKind): LoadedConfig<SiteConfig | ClusterConfig> {
  const values = pulumi.runtime.allConfig();
  const secretKeys = new Set(Object.keys(values).filter((k) => internalConfig.isConfigSecret?.(k) ?? false));
  return parseStackConfig(kind, { values, secretKeys });
}
