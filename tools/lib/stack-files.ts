// Finds a stack's project and reads its Pulumi.<stack>.yaml the way the Pulumi CLI hands
// config to a program: full keys, structured values as JSON text, `secure:` values secret.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parse, parseDocument } from "yaml";
import { ConfigError } from "../../components/config/errors";
import { mockSecret } from "../../test/harness/mock-state";

export const REPO_ROOT = resolve(__dirname, "..", "..");

export interface StackFiles {
  stack: string;
  project: string;
  /** folder holding Pulumi.yaml */
  projectDir: string;
  /** absolute path of the program's entry file */
  main: string;
  config: Record<string, string>;
  secretKeys: string[];
}

/** Project folders, site project first: `iu` and `tacc` live at the root, slots in stacks/paas. */
export const PROJECT_DIRS = [REPO_ROOT, join(REPO_ROOT, "stacks", "paas")];

export function listStacks(): string[] {
  const out: string[] = [];
  for (const dir of PROJECT_DIRS) {
    for (const f of readdirSafe(dir)) {
      const m = /^Pulumi\.(.+)\.yaml$/.exec(f);
      if (m) out.push(m[1]);
    }
  }
  return out;
}

function readdirSafe(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

export function resolveStack(stack: string, overrideConfigFile?: string): StackFiles {
  const dir = PROJECT_DIRS.find((d) => existsSync(join(d, `Pulumi.${stack}.yaml`)));
  if (!dir) {
    throw new Error(`unknown stack "${stack}": no Pulumi.${stack}.yaml (stacks: ${listStacks().join(", ")})`);
  }
  const projectFile = parse(readFileSync(join(dir, "Pulumi.yaml"), "utf8")) as {
    name: string;
    main?: string;
  };
  const stackFile = overrideConfigFile ?? join(dir, `Pulumi.${stack}.yaml`);
  const { config, secretKeys } = engineConfig(projectFile.name, readStackConfigMap(stackFile));
  return {
    stack,
    project: projectFile.name,
    projectDir: dir,
    main: join(dir, projectFile.main ?? "index.ts"),
    config,
    secretKeys,
  };
}

function isSecure(v: unknown): v is { secure: string } {
  return (
    typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && "secure" in v
  );
}

/**
 * Turns a stack file's `config:` map into what the engine passes: keys made full
 * (`site` → `<project>:site`), non-string values as JSON, secure values replaced by a stand-in
 * (there is no passphrase offline) and their keys marked secret.
 */
export function engineConfig(
  project: string,
  raw: Record<string, unknown>,
): { config: Record<string, string>; secretKeys: string[] } {
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [k, v] of Object.entries(raw)) {
    const key = k.includes(":") ? k : `${project}:${k}`;
    let secret = false;
    const walk = (x: unknown, path: string): unknown => {
      if (isSecure(x)) {
        secret = true;
        return mockSecret(`${key}${path}`);
      }
      if (Array.isArray(x)) return x.map((e, i) => walk(e, `${path}[${i}]`));
      if (x && typeof x === "object") {
        return Object.fromEntries(Object.entries(x).map(([kk, vv]) => [kk, walk(vv, `${path}.${kk}`)]));
      }
      return x;
    };
    const value = walk(v, "");
    config[key] = typeof value === "string" ? value : JSON.stringify(value);
    if (secret) secretKeys.push(key);
  }
  return { config, secretKeys };
}

/**
 * The `config:` map of a stack file. A YAML mistake (bad syntax, a duplicate key, a tab) is
 * refused as `file:line:column: what`, and a `config:` that is not a map names that key.
 */
export function readStackConfigMap(file: string): Record<string, unknown> {
  const name = relative(REPO_ROOT, file).startsWith("..") ? file : relative(REPO_ROOT, file);
  const doc = parseDocument(readFileSync(file, "utf8"), { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const at = e.linePos?.[0];
        const where = at ? `${name}:${at.line}:${at.col}` : name;
        return `${where}: not valid YAML (${e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "")})`;
      }),
    );
  }
  const top = doc.toJS() as unknown;
  if (top === null || top === undefined) return {};
  if (typeof top !== "object" || Array.isArray(top)) {
    throw new ConfigError([`${name}: must be a YAML map with a \`config:\` key`]);
  }
  const config = (top as Record<string, unknown>).config;
  if (config === undefined || config === null) return {};
  if (typeof config !== "object" || Array.isArray(config)) {
    throw new ConfigError([
      `${name}: config = ${JSON.stringify(config).slice(0, 60)}: must be a map of keys`,
    ]);
  }
  return config as Record<string, unknown>;
}
