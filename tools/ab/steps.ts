// The A/B operations, runner-agnostic: each checks its preconditions (one line naming the rule,
// nothing changed), takes the site's lock, runs its steps printing each as it goes, and ends
// with a summary. tools/ab.ts maps the command line onto these.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SiteConfig } from "../../components/config";
import { Io, Refusal } from "../lib/cli";
import { currentMap, EdgeHost, slotHealth, socketHosts, sshHosts, switchEdge } from "./edge-link";
import type { Runner, SlotStatus } from "./runner";
import { runSmoke, smokeTable } from "./smoke";
import {
  encodeSmoke,
  newLock,
  refuseIfLocked,
  refuseLiveTarget,
  refuseRetire,
  refuseUnsmoked,
  rollbackTarget,
  siteState,
  SiteState,
  slotState,
  TAGS,
} from "./state";

export interface EdgeOptions {
  /** local HAProxy runtime sockets (lab, drill); default: the site's edge hosts over SSH */
  socket?: string[];
  map: string;
  user: string;
}

export interface AbContext {
  runner: Runner;
  io: Io;
  edge: EdgeOptions;
  now?: () => Date;
}

/** Prints "[n/N] what" as each step starts and how long it took when it ends. */
export function stepper(io: Io, total: number): (what: string, fn: () => Promise<void>) => Promise<void> {
  let n = 0;
  return async (what, fn) => {
    n += 1;
    io.out(`[${n}/${total}] ${what}`);
    const t0 = Date.now();
    await fn();
    io.out(`      done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  };
}

export async function loadState(runner: Runner): Promise<{ config: SiteConfig; state: SiteState }> {
  const config = await runner.siteConfig();
  if (!config.edge)
    throw new Refusal(`site ${runner.site} has no edge section: there are no slots to upgrade`);
  const state = siteState(await runner.tags(runner.siteStack), config.edge);
  return { config, state };
}

/** Runs `body` holding the site's A/B lock; a second operator is refused, the lock always goes. */
async function withLock(ctx: AbContext, operation: string, body: () => Promise<void>): Promise<void> {
  const lock = newLock(operation, ctx.now?.());
  const held = await ctx.runner.acquireLock(lock);
  if (held) refuseIfLocked(held, operation, ctx.now?.());
  ctx.io.out(`lock: ${lock.holder} holds site ${ctx.runner.site} for ${operation}`);
  try {
    await body();
  } finally {
    await ctx.runner.releaseLock(lock);
  }
}

async function edgeHosts(ctx: AbContext): Promise<EdgeHost[] | undefined> {
  if (ctx.edge.socket?.length) return socketHosts(ctx.edge.socket, ctx.edge.map);
  if (ctx.runner.kind === "synth") return undefined; // a planned edge has no runtime API
  return sshHosts(await ctx.runner.siteOutputs(), ctx.edge.user, ctx.edge.map);
}

function summary(io: Io, lines: string[]): void {
  io.out("");
  io.out("summary:");
  for (const l of lines) io.out(`  ${l}`);
}

// ---------------------------------------------------------------- status

function slotLine(s: SlotStatus, smoke: ReturnType<typeof slotState>, role: string): string {
  const state = s.exists
    ? `up, ${s.resources ?? "?"} resources${s.updatedAt ? `, ${s.updatedAt}` : ""}`
    : "not up";
  const sm = smoke.smoke;
  const smokeText = !sm
    ? "no smoke test"
    : `${sm.passed ? "passed" : "FAILED"} ${sm.at} on ${sm.version}${sm.version === s.version ? "" : ` (slot changed since: now ${s.version ?? "not up"})`}`;
  return `${s.slot.padEnd(6)} ${role.padEnd(9)} ${state}; k8s ${s.kubernetesVersion ?? "?"}; version ${s.version ?? "-"}; smoke: ${smokeText}${smoke.leftLive ? `; left live ${smoke.leftLive}` : ""}`;
}

export async function status(ctx: AbContext): Promise<void> {
  const { config, state } = await loadState(ctx.runner);
  const edge = config.edge!;
  ctx.io.out(
    `site ${ctx.runner.site} (${ctx.runner.kind} runner): live ${state.live}${state.liveFrom === "config" ? " (site config)" : " (recorded by ab switch)"}, pre-live ${state.prelive ?? "none"}, rollback to ${state.previous ?? "none"}`,
  );
  if (state.liveFrom === "tag" && state.live !== edge.live) {
    ctx.io.out(
      `  note: the site config still says edge.live ${edge.live}; commit the config change ab switch made`,
    );
  }
  ctx.io.out(
    `  lock: ${state.lock ? `held by ${state.lock.holder} for ${state.lock.operation} since ${state.lock.at}` : "free"}`,
  );
  for (const slot of Object.keys(edge.slots).sort()) {
    const s = await ctx.runner.slot(slot);
    const role = slot === state.live ? "live" : slot === state.prelive ? "pre-live" : "idle";
    ctx.io.out(`  ${slotLine(s, slotState(await ctx.runner.tags(s.stack)), role)}`);
  }
}

// ---------------------------------------------------------------- up

export async function up(ctx: AbContext, slot: string): Promise<void> {
  const { state } = await loadState(ctx.runner);
  refuseIfLocked(state.lock, `up ${slot}`, ctx.now?.());
  refuseLiveTarget("up", slot, state);
  await withLock(ctx, `up-${slot}`, async () => {
    const step = stepper(ctx.io, 3);
    await step(
      `bring up slot ${slot} (${ctx.runner.kind === "synth" ? "plan it offline" : "pulumi up"})`,
      () => ctx.runner.up(slot, ctx.io.out),
    );
    await step(`put ${slot} on pre-live (site config edge.prelive)`, () =>
      ctx.runner.persistEdge({ live: state.live, prelive: slot }, ctx.io.out),
    );
    await step(`bring site ${ctx.runner.site} up to date (the edge renders ${slot}'s ingress nodes)`, () =>
      ctx.runner.refreshSite(ctx.io.out),
    );
    await ctx.runner.setTags(ctx.runner.siteStack, { [TAGS.prelive]: slot });
    const s = await ctx.runner.slot(slot);
    summary(ctx.io, [
      `slot ${slot}: up, version ${s.version ?? "?"}, ${s.ingressNodes.length} ingress node(s)`,
      `pre-live: ${slot}; live stays ${state.live}`,
      ...(ctx.runner.kind === "automation"
        ? [`push the edge config: npm run edge -- apply --site ${ctx.runner.site}`]
        : []),
      `next: npm run ab -- migrate --from ${state.live} --to ${slot}, then smoke ${slot}`,
    ]);
  });
}

// ---------------------------------------------------------------- smoke

export interface SmokeOptions {
  via?: string;
  report?: string;
}

async function preliveUrl(ctx: AbContext, config: SiteConfig): Promise<string> {
  if (ctx.runner.kind === "synth") {
    throw new Refusal(
      "smoke: the synth runner has no edge to send requests through; give --via URL (a pre-live address you run, as the drill does)",
    );
  }
  const address = (await ctx.runner.siteOutputs()).edgePublicAddress;
  if (typeof address !== "string" || !address)
    throw new Refusal(`smoke: site ${ctx.runner.site} exports no edgePublicAddress yet; give --via URL`);
  return `http://${address}:${config.edge!.ports.preliveHttp}/`;
}

export async function smoke(ctx: AbContext, slot: string, o: SmokeOptions): Promise<boolean> {
  const { config, state } = await loadState(ctx.runner);
  refuseIfLocked(state.lock, `smoke ${slot}`, ctx.now?.());
  if (state.prelive !== slot) {
    throw new Refusal(
      `smoke ${slot}: refused, ${slot} is not on pre-live (pre-live is ${state.prelive ?? "none"}) (rule: smoke tests go through pre-live; npm run ab -- up ${slot} puts it there)`,
    );
  }
  const checks = config.ab.smoke.checks;
  if (checks.length === 0)
    throw new Refusal(
      `smoke ${slot}: refused, no smoke checks configured (jetstream-paas:ab.smoke.checks in Pulumi.${ctx.runner.site}.yaml)`,
    );
  const s = await ctx.runner.slot(slot);
  if (!s.exists) throw new Refusal(`smoke ${slot}: refused, ${slot} is not up`);
  const via = o.via ?? (await preliveUrl(ctx, config));
  let passed = false;
  await withLock(ctx, `smoke-${slot}`, async () => {
    const step = stepper(ctx.io, 3);
    // with --via and no --socket the checks go to an address of the operator's choosing
    const hosts = o.via && !ctx.edge.socket?.length ? undefined : await edgeHosts(ctx);
    await step("check the edge routes pre-live to the slot", async () => {
      if (!hosts)
        return ctx.io.out(
          "    no runtime connection (--via without --socket, or synth runner): route not checked",
        );
      for (const h of hosts) {
        const m = await currentMap(h, ctx.edge.map);
        if (m.prelive !== slot)
          throw new Refusal(
            `smoke ${slot}: refused, edge ${h.name} routes pre-live to ${m.prelive ?? "nothing"}`,
          );
      }
    });
    let report: Awaited<ReturnType<typeof runSmoke>> | undefined;
    await step(`send ${checks.length} check(s) through ${via}`, async () => {
      report = await runSmoke(via, checks, { ...config.ab.smoke, slot, version: s.version, log: ctx.io.out });
    });
    const r = report!;
    passed = r.passed;
    const file =
      o.report ??
      join(
        ctx.runner.reportDir,
        "smoke",
        `${ctx.runner.site}-${slot}-${r.startedAt.replace(/[:.]/g, "-")}.json`,
      );
    await step(`record the result with ${slot}'s version ${s.version}`, async () => {
      mkdirSync(join(file, ".."), { recursive: true });
      writeFileSync(file, `${JSON.stringify(r, null, 2)}\n`);
      const summaryText = `${r.checks.filter((c) => c.passed).length}/${r.checks.length} checks`;
      await ctx.runner.setTags(s.stack, {
        [TAGS.smoke]: encodeSmoke({
          passed: r.passed,
          version: s.version!,
          at: r.startedAt,
          summary: summaryText,
        }),
      });
    });
    ctx.io.out("");
    for (const line of smokeTable(r)) ctx.io.out(line);
    summary(ctx.io, [
      `smoke ${slot}: ${r.passed ? "PASSED" : "FAILED"} on version ${s.version}`,
      `report: ${file}`,
    ]);
  });
  if (!passed)
    throw new Refusal(`smoke ${slot}: failed (see the table above); ${slot} may not be switched to`);
  return passed;
}

// ---------------------------------------------------------------- switch / rollback

async function moveLive(ctx: AbContext, state: SiteState, to: string, operation: string): Promise<void> {
  const from = state.live;
  const step = stepper(ctx.io, 3);
  await step(`edge: live ${from} -> ${to}, pre-live ${to} -> ${from} (runtime API)`, async () => {
    const hosts = await edgeHosts(ctx);
    if (!hosts)
      return ctx.io.out(
        "    no runtime connection (synth runner without --socket): the plan of the site shows the change",
      );
    await switchEdge(hosts, ctx.edge.map, { live: to, prelive: from }, ctx.io.out);
  });
  await step(`persist in site ${ctx.runner.site}'s config (edge.live=${to}, edge.prelive=${from})`, () =>
    ctx.runner.persistEdge({ live: to, prelive: from }, ctx.io.out),
  );
  const at = (ctx.now?.() ?? new Date()).toISOString();
  await step("record it in the stacks' tags", async () => {
    await ctx.runner.setTags(ctx.runner.siteStack, {
      [TAGS.live]: to,
      [TAGS.prelive]: from,
      [TAGS.previous]: from,
      [TAGS.switchedAt]: at,
    });
    await ctx.runner.setTags((await ctx.runner.slot(from)).stack, { [TAGS.leftLive]: at });
  });
  if (ctx.runner.kind === "synth") await ctx.runner.refreshSite(ctx.io.out);
  summary(ctx.io, [
    `${operation}: live is ${to}, pre-live ${from} (the way back: npm run ab -- rollback)`,
    ctx.runner.kind === "automation"
      ? `commit Pulumi.${ctx.runner.site}.yaml (edge.live=${to}) so every checkout's next pulumi up keeps it`
      : `out/${ctx.runner.site}/ is planned with edge.live=${to}`,
  ]);
}

export async function switchTo(ctx: AbContext, slot: string): Promise<void> {
  const { state } = await loadState(ctx.runner);
  refuseIfLocked(state.lock, `switch ${slot}`, ctx.now?.());
  if (slot === state.live) {
    ctx.io.out(`switch ${slot}: ${slot} is already live; nothing to do`);
    return;
  }
  const s = await ctx.runner.slot(slot);
  if (!s.exists)
    throw new Refusal(
      `switch ${slot}: refused, ${slot} is not up (rule: only a slot that is up can take live traffic)`,
    );
  refuseUnsmoked(slot, s.version, slotState(await ctx.runner.tags(s.stack)));
  await withLock(ctx, `switch-${slot}`, () => moveLive(ctx, state, slot, `switch ${slot}`));
}

export async function rollback(ctx: AbContext): Promise<void> {
  const { state } = await loadState(ctx.runner);
  refuseIfLocked(state.lock, "rollback", ctx.now?.());
  const to = rollbackTarget(state);
  const s = await ctx.runner.slot(to);
  if (!s.exists)
    throw new Refusal(
      `rollback: refused, the previous live slot ${to} is gone (rule: rollback needs the old slot still up)`,
    );
  const hosts = await edgeHosts(ctx);
  if (hosts) {
    const sick = (await slotHealth(hosts, to)).filter((h) => h.usable === 0);
    if (sick.length > 0)
      throw new Refusal(
        `rollback: refused, ${to} has no usable ingress node on ${sick.map((h) => h.host).join(", ")} (rule: never roll live traffic back onto an unhealthy slot)`,
      );
  }
  await withLock(ctx, "rollback", () => moveLive(ctx, state, to, `rollback to ${to}`));
}

// ---------------------------------------------------------------- retire

export async function retire(ctx: AbContext, slot: string): Promise<void> {
  const { config, state } = await loadState(ctx.runner);
  refuseIfLocked(state.lock, `retire ${slot}`, ctx.now?.());
  const s = await ctx.runner.slot(slot);
  refuseRetire(slot, state, slotState(await ctx.runner.tags(s.stack)), config.ab.soakMinutes, ctx.now?.());
  if (!s.exists) throw new Refusal(`retire ${slot}: refused, ${slot} is not up; nothing to destroy`);
  await withLock(ctx, `retire-${slot}`, async () => {
    const step = stepper(ctx.io, 3);
    await step(
      `destroy slot ${slot} (${ctx.runner.kind === "synth" ? "remove its plan" : "pulumi destroy"})`,
      () => ctx.runner.destroy(slot, ctx.io.out),
    );
    await step(`take ${slot} off pre-live (site config)`, () =>
      ctx.runner.persistEdge(
        { live: state.live, prelive: state.prelive === slot ? undefined : state.prelive },
        ctx.io.out,
      ),
    );
    await step("record it in the stacks' tags", async () => {
      await ctx.runner.setTags(ctx.runner.siteStack, {
        [TAGS.prelive]: state.prelive === slot ? "" : state.prelive,
        [TAGS.previous]: state.previous === slot ? undefined : state.previous,
      });
      await ctx.runner.setTags(s.stack, { [TAGS.smoke]: undefined, [TAGS.leftLive]: undefined });
    });
    await ctx.runner.refreshSite(ctx.io.out);
    summary(ctx.io, [`slot ${slot}: destroyed`, `live stays ${state.live}; no rollback target any more`]);
  });
}

// ---------------------------------------------------------------- unlock

export async function unlock(ctx: AbContext): Promise<void> {
  const { state } = await loadState(ctx.runner);
  if (!state.lock) {
    ctx.io.out(`site ${ctx.runner.site}: no A/B lock is held`);
    return;
  }
  await ctx.runner.breakLock();
  ctx.io.out(
    `site ${ctx.runner.site}: broke the lock ${state.lock.holder} held for ${state.lock.operation} since ${state.lock.at}`,
  );
}
