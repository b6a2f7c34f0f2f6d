// The offline runner: every step of `npm run ab` on a machine with no cloud and no Pulumi CLI.
// A slot is "up" when `npm run synth` planned it into out/<stack>/; its version is the hash of
// that plan. The site config the tool changes (edge.live/prelive) goes to an overlay of
// Pulumi.<site>.yaml under out/ab/stacks/, and the site is re-planned with it, so out/<site>/
// shows what the next `pulumi up` would render. Tags and the lock live under out/ab/.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseDocument } from "yaml";
import { parseStackConfig, SiteConfig } from "../../components/config";
import { resolveStack, REPO_ROOT } from "../lib/stack-files";
import { idOf, KObj } from "./migrate/objects";
import type { Runner, SlotStatus, TargetManaged } from "./runner";
import { decodeLock, encodeLock, LockRecord, TAGS, Tags } from "./state";

/** "organization/jetstream-paas-cluster/paasB" -> "paasB" (the stack file's name) */
export function shortStack(stack: string): string {
  return stack.slice(stack.lastIndexOf("/") + 1);
}

interface PlanFile {
  resources: Array<{ type: string; name: string; inputs: Record<string, unknown> }>;
}

/** Kubernetes objects and Helm releases a synthesized plan declares. */
export function managedFromPlan(plan: PlanFile): TargetManaged {
  const ids = new Set<string>();
  const releases = new Set<string>();
  for (const r of plan.resources) {
    const m = /^kubernetes:([^:]+)\/([^:/]+):(\w+)$/.exec(r.type);
    if (!m) continue;
    if (m[1] === "helm.sh" && m[3] === "Release") {
      if (typeof r.inputs.name === "string") releases.add(r.inputs.name);
      continue;
    }
    const md = (r.inputs.metadata ?? {}) as { name?: string; namespace?: string };
    if (typeof md.name !== "string") continue;
    const group = m[1] === "core" ? "" : m[1];
    const apiVersion = group ? `${group}/${m[2]}` : m[2];
    const kind = typeof r.inputs.kind === "string" && m[3] === "CustomResource" ? r.inputs.kind : m[3];
    const av =
      typeof r.inputs.apiVersion === "string" && m[3] === "CustomResource" ? r.inputs.apiVersion : apiVersion;
    ids.add(idOf({ apiVersion: av, kind, metadata: { name: md.name, namespace: md.namespace } } as KObj));
  }
  return { ids, releases };
}

export class SynthRunner implements Runner {
  readonly kind = "synth";
  readonly siteStack: string;
  readonly reportDir: string;
  private readonly abDir: string;

  constructor(
    readonly site: string,
    private readonly outRoot: string,
  ) {
    this.siteStack = site;
    this.abDir = join(outRoot, "ab");
    this.reportDir = this.abDir;
  }

  private overlayFile(): string {
    return join(this.abDir, "stacks", `Pulumi.${this.site}.yaml`);
  }

  async siteConfig(): Promise<SiteConfig> {
    const overlay = this.overlayFile();
    const files = resolveStack(this.site, existsSync(overlay) ? overlay : undefined);
    return parseStackConfig("site", { values: files.config, secretKeys: new Set(files.secretKeys) }).config;
  }

  private tagFile(stack: string): string {
    return join(this.abDir, "tags", `${shortStack(stack)}.json`);
  }

  async tags(stack: string): Promise<Tags> {
    const f = this.tagFile(stack);
    return existsSync(f) ? (JSON.parse(readFileSync(f, "utf8")) as Tags) : {};
  }

  async setTags(stack: string, tags: Record<string, string | undefined>): Promise<void> {
    const next = { ...(await this.tags(stack)) };
    for (const [k, v] of Object.entries(tags)) {
      if (v === undefined) delete next[k];
      else next[k] = v;
    }
    const f = this.tagFile(stack);
    mkdirSync(dirname(f), { recursive: true });
    writeFileSync(f, `${JSON.stringify(next, null, 2)}\n`);
  }

  private lockFile(): string {
    return join(this.abDir, "locks", `${this.site}.lock`);
  }

  /** O_EXCL create: of two operators starting at once exactly one gets the file. */
  async acquireLock(lock: LockRecord): Promise<LockRecord | undefined> {
    mkdirSync(dirname(this.lockFile()), { recursive: true });
    try {
      writeFileSync(this.lockFile(), encodeLock(lock), { flag: "wx" });
    } catch {
      return (
        decodeLock(readFileSync(this.lockFile(), "utf8")) ?? {
          holder: "?",
          operation: "?",
          at: "?",
          nonce: "?",
        }
      );
    }
    await this.setTags(this.siteStack, { [TAGS.lock]: encodeLock(lock) });
    return undefined;
  }

  async releaseLock(lock: LockRecord): Promise<void> {
    const held = existsSync(this.lockFile()) ? decodeLock(readFileSync(this.lockFile(), "utf8")) : undefined;
    if (held && held.nonce !== lock.nonce) return; // someone broke and re-took it
    rmSync(this.lockFile(), { force: true });
    await this.setTags(this.siteStack, { [TAGS.lock]: undefined });
  }

  /** Breaks a lock left behind (ab unlock). */
  async breakLock(): Promise<void> {
    rmSync(this.lockFile(), { force: true });
    await this.setTags(this.siteStack, { [TAGS.lock]: undefined });
  }

  private async slotStack(slot: string): Promise<string> {
    const stack = (await this.siteConfig()).edge?.slots[slot as "paasA" | "paasB"];
    if (!stack) throw new Error(`site ${this.site} has no slot ${slot}`);
    return stack;
  }

  async slot(slot: string): Promise<SlotStatus> {
    const stack = await this.slotStack(slot);
    const dir = join(this.outRoot, shortStack(stack));
    const planFile = join(dir, "plan.json");
    if (!existsSync(planFile)) return { slot, stack, exists: false, ingressNodes: [] };
    const text = readFileSync(planFile, "utf8");
    const plan = JSON.parse(text) as PlanFile;
    const outputs = this.outputsOf(dir);
    return {
      slot,
      stack,
      exists: true,
      version: `plan-${createHash("sha256").update(text).digest("hex").slice(0, 12)}`,
      resources: plan.resources.length,
      updatedAt: statSync(planFile).mtime.toISOString(),
      kubernetesVersion:
        typeof outputs.kubernetesVersion === "string" ? outputs.kubernetesVersion : undefined,
      ingressNodes: Array.isArray(outputs.ingressNodes) ? outputs.ingressNodes.map(String) : [],
    };
  }

  private outputsOf(dir: string): Record<string, unknown> {
    const f = join(dir, "outputs.json");
    return existsSync(f)
      ? ((JSON.parse(readFileSync(f, "utf8")) as { outputs: Record<string, unknown> }).outputs ?? {})
      : {};
  }

  private synth(stack: string, log: (line: string) => void, configFile?: string): Promise<void> {
    const args = ["--import", "tsx", join(REPO_ROOT, "tools", "synth.ts"), stack, "--out", this.outRoot];
    if (configFile) args.push("--config", configFile);
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
      let tail = "";
      const onData = (c: Buffer) => {
        for (const line of c.toString().split("\n")) {
          if (/^(synth |planned |wrote |config error)/.test(line)) log(`    ${line}`);
          if (line.trim()) tail = line;
        }
      };
      child.stdout.on("data", onData);
      child.stderr.on("data", onData);
      child.on("exit", (code) =>
        code === 0 ? resolve() : reject(new Error(`synth ${stack} failed: ${tail}`)),
      );
    });
  }

  async up(slot: string, log: (line: string) => void): Promise<void> {
    const site = join(this.outRoot, this.site, "outputs.json");
    if (!existsSync(site))
      throw new Error(
        `site ${this.site} is not planned yet (no ${site}): run npm run synth -- ${this.site} first`,
      );
    await this.synth(shortStack(await this.slotStack(slot)), log);
  }

  async destroy(slot: string, log: (line: string) => void): Promise<void> {
    const dir = join(this.outRoot, shortStack(await this.slotStack(slot)));
    rmSync(dir, { recursive: true, force: true });
    log(`    removed ${dir} (the slot's plan: offline, that is what destroying it means)`);
  }

  async persistEdge(choice: { live: string; prelive?: string }, log: (line: string) => void): Promise<void> {
    const overlay = this.overlayFile();
    const source = existsSync(overlay)
      ? overlay
      : resolveStack(this.site).projectDir + `/Pulumi.${this.site}.yaml`;
    const doc = parseDocument(readFileSync(source, "utf8"));
    doc.setIn(["config", "jetstream-paas:edge", "live"], choice.live);
    if (choice.prelive) doc.setIn(["config", "jetstream-paas:edge", "prelive"], choice.prelive);
    else doc.deleteIn(["config", "jetstream-paas:edge", "prelive"]);
    mkdirSync(dirname(overlay), { recursive: true });
    writeFileSync(overlay, doc.toString());
    log(
      `    edge.live=${choice.live}${choice.prelive ? ` edge.prelive=${choice.prelive}` : " (no pre-live)"} in ${overlay}`,
    );
  }

  async refreshSite(log: (line: string) => void): Promise<void> {
    const overlay = this.overlayFile();
    await this.synth(this.site, log, existsSync(overlay) ? overlay : undefined);
  }

  async siteOutputs(): Promise<Record<string, unknown>> {
    return this.outputsOf(join(this.outRoot, this.site));
  }

  async kubeconfig(): Promise<string | undefined> {
    return undefined; // a planned slot has no API server; the mock kubeconfig points at nothing
  }

  async targetManaged(slot: string): Promise<TargetManaged> {
    const f = join(this.outRoot, shortStack(await this.slotStack(slot)), "plan.json");
    if (!existsSync(f)) return { ids: new Set(), releases: new Set() };
    return managedFromPlan(JSON.parse(readFileSync(f, "utf8")) as PlanFile);
  }
}
