// Rendered artifacts (haproxy.cfg, cloud-init, inventories, manifests) that a component also
// passes on as resource inputs. Components register them here; `npm run synth` writes them
// under out/<stack>/, and `pulumi up` ignores the registry.
import * as pulumi from "@pulumi/pulumi";

export interface Artifact {
  /** path under out/<stack>/, e.g. "haproxy/haproxy.cfg" */
  readonly path: string;
  readonly content: pulumi.Output<string>;
}

// Kept on globalThis so that the synth tool and the program share one list even if a module
// loader gives them separate copies of this file.
const KEY = Symbol.for("jetstream-paas.artifacts");
type Holder = { [KEY]?: Artifact[] };

function registry(): Artifact[] {
  const g = globalThis as Holder;
  g[KEY] ??= [];
  return g[KEY];
}

export function registerArtifact(path: string, content: pulumi.Input<string>): void {
  if (path.startsWith("/") || path.split("/").includes("..")) {
    throw new Error(`artifact path "${path}" must be relative and stay inside out/<stack>/`);
  }
  if (registry().some((a) => a.path === path)) throw new Error(`artifact "${path}" is registered twice`);
  registry().push({ path, content: pulumi.output(content) });
}

export function registeredArtifacts(): readonly Artifact[] {
  return [...registry()];
}

/** For tests that build several programs in one process. */
export function clearArtifacts(): void {
  registry().length = 0;
}
