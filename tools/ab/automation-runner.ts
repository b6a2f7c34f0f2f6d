// The runner for real stacks: Pulumi's Automation API (which drives the Pulumi CLI). Stacks are
// selected in their project folders (site at the repo root, slots in stacks/paas), config is
// set with `config set --path`, `up`/`destroy` stream their output, the A/B state is kept in
// stack tags (visible to every teammate on the same backend), and Pulumi's own stack lock
// (ConcurrentUpdateError) is reported, never worked around.
import { join } from "node:path";
import { ConcurrentUpdateError, LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { parseStackConfig, SiteConfig } from "../../components/config";
import { Refusal } from "../lib/cli";
import { REPO_ROOT } from "../lib/stack-files";
import { idOf, KObj } from "./migrate/objects";
import type { Runner, SlotStatus, TargetManaged } from "./runner";
import { decodeLock, encodeLock, LockRecord, TAGS, Tags } from "./state";

/** undefined when a Pulumi CLI answers `pulumi version`; otherwise what is wrong, in words. */
export async function pulumiCliMissing(): Promise<string | undefined> {
  try {
    await PulumiCommand.get({ skipVersionCheck: true });
    return undefined;
  } catch (err) {
    const text = String((err as Error).message ?? err);
    return /ENOENT|not found/i.test(text)
      ? "no `pulumi` is on PATH"
      : `\`pulumi version\` failed (${text.split("\n")[0].slice(0, 120)})`;
  }
}

/** Streams CLI output as indented lines. */
function lineSink(log: (line: string) => void): (chunk: string) => void {
  let buf = "";
  return (chunk) => {
    buf += chunk;
    const lines = buf.split("\n");
    buf = lines.pop() ?? "";
    for (const l of lines) if (l.trim()) log(`    | ${l}`);
  };
}

export class AutomationRunner implements Runner {
  readonly kind = "automation";
  readonly siteStack: string;
  readonly reportDir = join(REPO_ROOT, "out", "ab");
  private readonly stacks = new Map<string, Promise<Stack>>();
  private config?: SiteConfig;

  constructor(readonly site: string) {
    this.siteStack = site;
  }

  private stack(name: string): Promise<Stack> {
    let s = this.stacks.get(name);
    if (!s) {
      const workDir = name === this.siteStack ? REPO_ROOT : join(REPO_ROOT, "stacks", "paas");
      s = LocalWorkspace.selectStack({ stackName: name, workDir }).catch((err: Error) => {
        this.stacks.delete(name);
        throw new Refusal(
          `stack ${name}: ${
            err.message
              .split("\n")
              .find((l) => /error|no stack/i.test(l))
              ?.trim() ?? "could not be selected"
          }`,
        );
      });
      this.stacks.set(name, s);
    }
    return s;
  }

  async siteConfig(): Promise<SiteConfig> {
    if (this.config) return this.config;
    const all = await (await this.stack(this.siteStack)).getAllConfig();
    const values: Record<string, string> = {};
    const secretKeys = new Set<string>();
    for (const [k, v] of Object.entries(all)) {
      values[k] = v.value;
      if (v.secret) secretKeys.add(k);
    }
    this.config = parseStackConfig("site", { values, secretKeys }).config;
    return this.config;
  }

  async tags(stack: string): Promise<Tags> {
    return { ...(await (await this.stack(stack)).listTags()) };
  }

  async setTags(stack: string, tags: Record<string, string | undefined>): Promise<void> {
    const s = await this.stack(stack);
    const current = await s.listTags();
    for (const [k, v] of Object.entries(tags)) {
      if (v === undefined) {
        if (k in current) await s.removeTag(k);
      } else if (current[k] !== v) await s.setTag(k, v);
    }
  }

  /** Write, then read back: of two operators racing, only the one whose nonce stays holds it. */
  async acquireLock(lock: LockRecord): Promise<LockRecord | undefined> {
    const held = decodeLock((await this.tags(this.siteStack))[TAGS.lock]);
    if (held) return held;
    await this.setTags(this.siteStack, { [TAGS.lock]: encodeLock(lock) });
    const now = decodeLock((await this.tags(this.siteStack))[TAGS.lock]);
    return now && now.nonce !== lock.nonce ? now : undefined;
  }

  async releaseLock(lock: LockRecord): Promise<void> {
    const held = decodeLock((await this.tags(this.siteStack))[TAGS.lock]);
    if (held?.nonce === lock.nonce) await this.setTags(this.siteStack, { [TAGS.lock]: undefined });
  }

  async breakLock(): Promise<void> {
    await this.setTags(this.siteStack, { [TAGS.lock]: undefined });
  }

  private async slotStack(slot: string): Promise<string> {
    const stack = (await this.siteConfig()).edge?.slots[slot as "paasA" | "paasB"];
    if (!stack) throw new Refusal(`site ${this.site} has no slot ${slot}`);
    return stack;
  }

  private async outputs(stack: string): Promise<Record<string, unknown>> {
    const o = await (await this.stack(stack)).outputs();
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v.value]));
  }

  async slot(slot: string): Promise<SlotStatus> {
    const stack = await this.slotStack(slot);
    const outputs = await this.outputs(stack);
    if (Object.keys(outputs).length === 0) return { slot, stack, exists: false, ingressNodes: [] };
    const info = await (await this.stack(stack)).info();
    return {
      slot,
      stack,
      exists: true,
      version: info ? `update-${info.version}` : undefined,
      updatedAt: info?.endTime ? new Date(info.endTime).toISOString() : undefined,
      kubernetesVersion:
        typeof outputs.kubernetesVersion === "string" ? outputs.kubernetesVersion : undefined,
      ingressNodes: Array.isArray(outputs.ingressNodes) ? outputs.ingressNodes.map(String) : [],
    };
  }

  private async guard<T>(stack: string, what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof ConcurrentUpdateError) {
        throw new Refusal(
          `${what} ${stack}: refused, another update of the stack is in progress (Pulumi's stack lock); try again when it is done`,
        );
      }
      const text = String((err as Error).message ?? err);
      throw new Error(
        `${what} ${stack} failed: ${
          text
            .split("\n")
            .filter((l) => /error/i.test(l))
            .slice(-1)[0]
            ?.trim() ?? text.slice(0, 200)
        }`,
      );
    }
  }

  async up(slot: string, log: (line: string) => void): Promise<void> {
    const stack = await this.slotStack(slot);
    const s = await this.stack(stack);
    await this.guard(stack, "pulumi up", () => s.up({ onOutput: lineSink(log), color: "never" }));
  }

  async destroy(slot: string, log: (line: string) => void): Promise<void> {
    const stack = await this.slotStack(slot);
    const s = await this.stack(stack);
    await this.guard(stack, "pulumi destroy", () => s.destroy({ onOutput: lineSink(log), color: "never" }));
  }

  async persistEdge(choice: { live: string; prelive?: string }, log: (line: string) => void): Promise<void> {
    const s = await this.stack(this.siteStack);
    await s.setConfig("jetstream-paas:edge.live", { value: choice.live }, true);
    if (choice.prelive) await s.setConfig("jetstream-paas:edge.prelive", { value: choice.prelive }, true);
    else await s.removeConfig("jetstream-paas:edge.prelive", true);
    this.config = undefined;
    log(
      `    pulumi config set --path jetstream-paas:edge.live ${choice.live}${choice.prelive ? `, edge.prelive ${choice.prelive}` : ", edge.prelive removed"} (stack ${this.siteStack})`,
    );
  }

  async refreshSite(log: (line: string) => void): Promise<void> {
    const s = await this.stack(this.siteStack);
    await this.guard(this.siteStack, "pulumi up", () => s.up({ onOutput: lineSink(log), color: "never" }));
  }

  siteOutputs(): Promise<Record<string, unknown>> {
    return this.outputs(this.siteStack);
  }

  async kubeconfig(slot: string): Promise<string | undefined> {
    const v = (await this.outputs(await this.slotStack(slot))).kubeconfig;
    return typeof v === "string" && v.length > 0 ? v : undefined;
  }

  /** The Kubernetes objects and Helm releases in the slot's state (pulumi stack export). */
  async targetManaged(slot: string): Promise<TargetManaged> {
    const state = await (await this.stack(await this.slotStack(slot))).exportStack();
    const resources = ((state.deployment as { resources?: unknown[] } | undefined)?.resources ??
      []) as Array<{
      type?: string;
      outputs?: Record<string, unknown>;
      inputs?: Record<string, unknown>;
    }>;
    const ids = new Set<string>();
    const releases = new Set<string>();
    for (const r of resources) {
      if (!r.type?.startsWith("kubernetes:")) continue;
      const o = { ...r.inputs, ...r.outputs } as Record<string, unknown>;
      if (r.type === "kubernetes:helm.sh/v3:Release" && typeof o.name === "string") releases.add(o.name);
      const md = o.metadata as { name?: string; namespace?: string } | undefined;
      if (typeof o.apiVersion === "string" && typeof o.kind === "string" && md?.name) {
        ids.add(
          idOf({
            apiVersion: o.apiVersion,
            kind: o.kind,
            metadata: { name: md.name, namespace: md.namespace },
          } as KObj),
        );
      }
    }
    return { ids, releases };
  }
}
