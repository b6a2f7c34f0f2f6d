// npm run app -- switch NAME --to blue|green [--rollback] [--kubeconfig FILE] [--context CTX]
//                         [--namespace NS] [--timeout SECONDS] [--stack paasA]
// npm run app -- status NAME [--kubeconfig FILE] [--namespace NS]
//
// Moves a BlueGreenService's traffic at run time: waits until the target colour's Deployment
// is Ready (observedGeneration, updated and available replicas), then points the Service
// selector and, for a meshed app, the VirtualService at it. --rollback returns to the colour
// recorded before the last switch. It prints the config change to commit, because the next
// `pulumi up` otherwise puts the colour in the stack config back.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse } from "yaml";
import { isColour } from "../components/apps/render/blue-green";
import { KubeClient, kubeconfigPath, parseKubeconfig } from "./app/kube";
import { appStatus, switchColour } from "./app/switch";
import {
  Command,
  exitWith,
  intIn,
  Io,
  numberIn,
  processIo,
  program,
  Refusal,
  run,
  UsageError,
} from "./lib/cli";

export type { Io };

/** The exact `pulumi config set` for the app's `active`, from the stack file when --stack is given. */
export function configChange(name: string, colour: string, stack?: string): string {
  if (stack) {
    const file = join(resolve(__dirname, ".."), "stacks", "paas", `Pulumi.${stack}.yaml`);
    if (existsSync(file)) {
      const doc = parse(readFileSync(file, "utf8")) as { config?: Record<string, unknown> };
      const apps = doc.config?.["jetstream-paas-cluster:blueGreen"];
      const i = Array.isArray(apps) ? apps.findIndex((a) => (a as { name?: string }).name === name) : -1;
      if (i >= 0) {
        return `pulumi -C stacks/paas -s ${stack} config set --path 'jetstream-paas-cluster:blueGreen[${i}].active' ${colour}`;
      }
    }
  }
  return `set blueGreen entry "${name}" active: ${colour} in stacks/paas/Pulumi.<stack>.yaml (or: pulumi -C stacks/paas -s <stack> config set --path 'jetstream-paas-cluster:blueGreen[<index of ${name}>].active' ${colour})`;
}

interface KubeOptions {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
}

interface SwitchOptions extends KubeOptions {
  to?: string;
  rollback: boolean;
  timeout: number;
  interval: number;
  stack?: string;
}

function kubeTarget(o: KubeOptions): { client: KubeClient; namespace: string } {
  try {
    const target = parseKubeconfig(readFileSync(kubeconfigPath(o.kubeconfig), "utf8"), o.context);
    return { client: new KubeClient(target), namespace: o.namespace ?? target.namespace ?? "default" };
  } catch (err) {
    throw new Error(`kubeconfig: ${(err as Error).message}`);
  }
}

function withKube(c: Command): Command {
  return c
    .option("--kubeconfig <file>", "kubeconfig (default: $KUBECONFIG or ~/.kube/config)")
    .option("--context <name>", "kubeconfig context")
    .option("--namespace <ns>", "the app's namespace (default: the context's, else default)");
}

async function doSwitch(name: string, o: SwitchOptions, io: Io): Promise<void> {
  if (o.to !== undefined && !isColour(o.to)) throw new UsageError(`--to ${o.to}: must be blue or green`);
  if ((o.to === undefined) === !o.rollback) throw new UsageError("give --to blue|green or --rollback");
  const { client, namespace } = kubeTarget(o);
  const result = await switchColour({
    client,
    name,
    namespace,
    to: o.to as "blue" | "green" | undefined,
    rollback: o.rollback,
    timeoutMs: o.timeout * 1000,
    intervalMs: o.interval,
    log: io.out,
  });
  switch (result.outcome) {
    case "switched":
      io.out(
        `switched ${namespace}/${name} from ${result.from} to ${result.to}${result.meshed ? " (Service and VirtualService)" : ""}`,
      );
      io.out(
        `roll back with: npm run app -- ${o.rollback ? "switch " + name + " --to " + result.from : "switch " + name + " --rollback"}`,
      );
      io.out("record it in the cluster stack, or the next `pulumi up` moves traffic back:");
      io.out(`  ${configChange(name, result.to, o.stack)}`);
      return;
    case "unchanged":
      io.out(`no change: ${namespace}/${name} is already on ${result.to}`);
      return;
    case "not-ready":
      throw new Refusal(
        `not switched: ${name}-${result.to} is not Ready after ${o.timeout} s (${result.reason}); traffic stays where it was`,
      );
    case "refused":
      throw new Refusal(`not switched: ${result.reason}`);
  }
}

export function appCommand(io: Io): Command {
  const root = program("app", "Move a blue/green service's traffic at run time.");
  withKube(
    root.command("switch").description("point NAME's Service (and VirtualService) at the other colour"),
  )
    .argument("<name>", "the blue/green service")
    .option("--to <colour>", "blue or green")
    .option("--rollback", "return to the colour recorded before the last switch", false)
    .option("--timeout <seconds>", "how long to wait for the colour to be Ready", numberIn(0, 3600), 300)
    .option("--interval <ms>", "readiness poll interval", intIn(10, 60_000), 2000)
    .option("--stack <stack>", "cluster stack whose file gets the config change to commit")
    .action((name: string, o: SwitchOptions) => doSwitch(name, o, io));
  withKube(root.command("status").description("live and previous colour, readiness of each"))
    .argument("<name>", "the blue/green service")
    .action(async (name: string, o: KubeOptions) => {
      const { client, namespace } = kubeTarget(o);
      for (const line of await appStatus(client, name, namespace)) io.out(line);
    });
  return root;
}

export function main(argv: string[], io: Io = processIo): Promise<number> {
  return run(appCommand(io), argv, io);
}

if (require.main === module) exitWith(main(process.argv.slice(2)));
