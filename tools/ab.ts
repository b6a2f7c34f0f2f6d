// npm run ab -- <command> [--site iu] [--runner automation|synth]   (npm run ab -- --help)
//   status                          per site: live, pre-live, each slot's state, version, last smoke
//   up <slot>                       bring the slot's cluster stack up and put it on pre-live
//   migrate --from A --to B         copy Kubernetes objects from the live slot to the new one
//   migrate --from-file F --out D   the same from kubectl dumps into files (contacts no cluster)
//   smoke <slot>                    the configured checks through the edge's pre-live frontend
//   switch <slot>                   make the slot live (runtime API, no reload) and persist it
//   rollback                        make the previous live slot live again
//   retire <slot> --yes             destroy a slot that has not been live for the soak time
//   upgrade --to <slot>             up, migrate, smoke, then ask before switching (--yes: switch)
//   unlock --yes                    break an A/B lock a crashed operation left behind
// Arguments are checked before any stack, cluster or edge is contacted (docs/ab-upgrade.md).
import { createInterface } from "node:readline/promises";
import { SITES, SLOTS } from "../components/config";
import { EDGE_PATHS } from "../components/edge/render/edge-cloud-init";
import { decodeValue } from "../components/config/load";
import { AutomationRunner, pulumiCliMissing } from "./ab/automation-runner";
import { checkMigrateArgs, migrate, MigrateOptions } from "./ab/migrate-step";
import { Runner, RunnerKind, RUNNERS } from "./ab/runner";
import { AbContext, EdgeOptions, rollback, retire, smoke, status, switchTo, unlock, up } from "./ab/steps";
import { SynthRunner } from "./ab/synth-runner";
import {
  collect,
  Command,
  exitWith,
  Io,
  oneOf,
  processIo,
  program,
  Refusal,
  run,
  UsageError,
} from "./lib/cli";
import { resolveStack } from "./lib/stack-files";
import { resolve } from "node:path";

interface Common extends EdgeOptions {
  site: string;
  runner: RunnerKind;
  synthOut: string;
}

/** The slots the site's stack file names under edge.slots (read from the file: no connection). */
export function slotsOf(site: string): string[] {
  const raw = resolveStack(site).config["jetstream-paas:edge"];
  const edge = raw ? (decodeValue(raw) as { slots?: Record<string, unknown> }) : undefined;
  return Object.keys(edge?.slots ?? {}).sort();
}

function checkSlot(site: string, slot: string): void {
  if (!(SLOTS as readonly string[]).includes(slot))
    throw new UsageError(`slot ${slot}: must be one of ${SLOTS.join(", ")}`);
  const known = slotsOf(site);
  if (!known.includes(slot))
    throw new UsageError(
      `slot ${slot}: site ${site} has no such slot (its edge.slots: ${known.join(", ") || "none"})`,
    );
}

async function runnerFor(c: Common): Promise<Runner> {
  if (c.runner === "synth") return new SynthRunner(c.site, resolve(c.synthOut));
  const missing = await pulumiCliMissing();
  if (missing)
    throw new Refusal(
      `the automation runner drives the Pulumi CLI and ${missing}; install it (https://www.pulumi.com/docs/install/) or run offline with --runner synth`,
    );
  return new AutomationRunner(c.site);
}

function withCommon(c: Command): Command {
  return c
    .option("--site <site>", `site whose slots to operate (${SITES.join(", ")})`, oneOf(SITES), "iu")
    .option(
      "--runner <runner>",
      "automation (Pulumi Automation API, real stacks) or synth (offline, out/)",
      oneOf(RUNNERS),
      "automation",
    )
    .option("--synth-out <dir>", "output root of the synth runner", "out")
    .option(
      "--socket <path>",
      "talk to a local HAProxy runtime socket instead of the edge hosts (repeatable)",
      collect,
    )
    .option("--map <file>", "the slots map file on the edge hosts", EDGE_PATHS.slotsMap)
    .option("--user <name>", "SSH user on the bastion and edge hosts", "ubuntu");
}

export type Ask = (question: string) => Promise<boolean>;

const ttyAsk: Ask | undefined = process.stdin.isTTY
  ? async (q) => {
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      try {
        return /^y(es)?$/i.test((await rl.question(`${q} [y/N] `)).trim());
      } finally {
        rl.close();
      }
    }
  : undefined;

function migrateOptions(c: Command): Command {
  return c
    .option(
      "--namespace <ns>",
      "copy only this namespace (repeatable; default: every non-platform namespace)",
      collect,
    )
    .option("--selector <labels>", "copy only objects whose labels match (kubectl -l syntax)")
    .option(
      "--from-kubeconfig <file>",
      "the source cluster's kubeconfig (default: the --from slot stack's kubeconfig output)",
    )
    .option(
      "--to-kubeconfig <file>",
      "the target cluster's kubeconfig (default: the --to slot stack's kubeconfig output)",
    )
    .option("--force-conflicts", "take over fields another field manager owns on the target", false);
}

export function abCommand(io: Io, ask: Ask | undefined = ttyAsk): Command {
  const root = program(
    "ab",
    "A/B cluster upgrade: bring up the other slot, migrate, smoke-test on pre-live, switch, roll back, retire.",
  );
  const ctxOf = async (c: Common): Promise<AbContext> => ({
    runner: await runnerFor(c),
    io,
    edge: { socket: c.socket, map: c.map, user: c.user },
  });

  withCommon(
    root
      .command("status")
      .description(
        "per site: live and pre-live slot, each slot's stack, Kubernetes version, last smoke test",
      ),
  ).action(async (c: Common) => status(await ctxOf(c)));
  withCommon(
    root
      .command("up")
      .description("bring the slot's cluster stack up and put it on pre-live (refuses the live slot)"),
  )
    .argument("<slot>", "the slot to bring up")
    .action(async (slot: string, c: Common) => {
      checkSlot(c.site, slot);
      await up(await ctxOf(c), slot);
    });
  migrateOptions(
    withCommon(
      root
        .command("migrate")
        .description("copy Kubernetes objects from one slot to the other, minus what a cluster makes itself"),
    ),
  )
    .option("--from <slot>", "the slot to read (the live one)")
    .option("--to <slot>", "the slot to write (never the live one)")
    .option("--dry-run", "print what would change on the target as a diff; change nothing", false)
    .option(
      "--from-file <path>",
      "file mode: read kubectl get -o yaml|json output (a file or a folder) instead of a cluster",
    )
    .option(
      "--out <dir>",
      "file mode: write one YAML per object under <dir>/<namespace or _cluster>/ and skipped.json",
    )
    .action(async (c: Common & MigrateOptions) => {
      checkMigrateArgs(c, slotsOf(c.site));
      await migrate(await ctxOf(c), c);
    });
  withCommon(
    root
      .command("smoke")
      .description(
        "send the configured checks through the edge's pre-live frontend; record the result with the slot's version",
      ),
  )
    .argument("<slot>", "the slot on pre-live")
    .option(
      "--via <url>",
      "send the checks to this pre-live address instead of the site's (http://host:port/)",
    )
    .option("--report <file>", "write the JSON report here (default: out/ab/smoke/)")
    .action(async (slot: string, c: Common & { via?: string; report?: string }) => {
      checkSlot(c.site, slot);
      if (c.via !== undefined && !/^https?:\/\/[^/\s]+\/?$/.test(c.via))
        throw new UsageError(`--via ${c.via}: must be http(s)://host[:port]/`);
      await smoke(await ctxOf(c), slot, c);
    });
  withCommon(
    root
      .command("switch")
      .description("make the slot live through the edge's runtime API and persist it in the site config"),
  )
    .argument("<slot>", "the slot to make live")
    .action(async (slot: string, c: Common) => {
      checkSlot(c.site, slot);
      await switchTo(await ctxOf(c), slot);
    });
  withCommon(
    root
      .command("rollback")
      .description("make the previous live slot live again, while it still exists and is healthy"),
  ).action(async (c: Common) => rollback(await ctxOf(c)));
  withCommon(
    root.command("retire").description("destroy a slot's stack once it has not been live for the soak time"),
  )
    .argument("<slot>", "the slot to destroy")
    .option("--yes", "really destroy it", false)
    .action(async (slot: string, c: Common & { yes: boolean }) => {
      checkSlot(c.site, slot);
      if (!c.yes) throw new UsageError(`retire ${slot} destroys its stack: add --yes`);
      await retire(await ctxOf(c), slot);
    });
  migrateOptions(
    withCommon(
      root
        .command("upgrade")
        .description("the whole sequence: up, migrate, smoke, then ask before switch (--yes: switch)"),
    ),
  )
    .requiredOption("--to <slot>", "the slot to upgrade into")
    .option("--via <url>", "pre-live address for the smoke test (see smoke --via)")
    .option("--from-file <path>", "migrate from kubectl dumps (see migrate --from-file)")
    .option("--out <dir>", "with --from-file: where the migrated objects are written")
    .option("--yes", "switch without asking once the smoke test passed", false)
    .action(async (c: Common & MigrateOptions & { via?: string; yes: boolean }) => {
      checkSlot(c.site, c.to!);
      await upgrade(await ctxOf(c), c, ask);
    });
  withCommon(
    root.command("unlock").description("break the site's A/B lock that a crashed operation left behind"),
  )
    .option("--yes", "really break it", false)
    .action(async (c: Common & { yes: boolean }) => {
      if (!c.yes)
        throw new UsageError("unlock breaks another operator's lock: check it is stale, then add --yes");
      await unlock(await ctxOf(c));
    });
  return root;
}

async function upgrade(
  ctx: AbContext,
  o: MigrateOptions & { via?: string; yes: boolean; to?: string },
  ask: Ask | undefined,
): Promise<void> {
  const to = o.to!;
  const state = (await import("./ab/steps")).loadState;
  const live = (await state(ctx.runner)).state.live;
  const m: MigrateOptions = { ...o, from: o.fromFile ? undefined : live, to };
  checkMigrateArgs(m, slotsOf(ctx.runner.site));
  ctx.io.out(`upgrade site ${ctx.runner.site}: ${live} -> ${to}`);
  ctx.io.out(`\n== up ${to}`);
  await up(ctx, to);
  ctx.io.out(`\n== migrate ${live} -> ${to}`);
  await migrate(ctx, m);
  ctx.io.out(`\n== smoke ${to}`);
  await smoke(ctx, to, { via: o.via });
  const go =
    o.yes || (ask ? await ask(`smoke test of ${to} passed; switch live from ${live} to ${to} now?`) : false);
  if (!go) {
    ctx.io.out(
      `\nstopped before the switch: ${to} passed its smoke test. Switch with: npm run ab -- switch ${to}${ctx.runner.kind === "synth" ? " --runner synth" : ""}`,
    );
    return;
  }
  ctx.io.out(`\n== switch ${to}`);
  await switchTo(ctx, to);
}

export function main(argv: string[], io: Io = processIo): Promise<number> {
  return run(abCommand(io), argv, io);
}

if (require.main === module) exitWith(main(process.argv.slice(2)));
