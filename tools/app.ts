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
import { parseArgs } from "node:util";
import { parse } from "yaml";
import { isColour } from "../components/apps/render/blue-green";
import { KubeClient, kubeconfigPath, parseKubeconfig } from "./app/kube";
import { appStatus, switchColour } from "./app/switch";

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

const USAGE =
  "usage: npm run app -- switch NAME (--to blue|green | --rollback) [--kubeconfig FILE] [--context CTX] [--namespace NS] [--timeout SECONDS] [--stack STACK]\n" +
  "       npm run app -- status NAME [--kubeconfig FILE] [--context CTX] [--namespace NS]";

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

export async function main(argv: string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        to: { type: "string" },
        rollback: { type: "boolean", default: false },
        kubeconfig: { type: "string" },
        context: { type: "string" },
        namespace: { type: "string" },
        timeout: { type: "string", default: "300" },
        interval: { type: "string", default: "2000" },
        stack: { type: "string" },
      },
    });
  } catch (err) {
    io.err(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, name] = positionals;
  if (!command || !name || !["switch", "status"].includes(command) || positionals.length > 2) {
    io.err(USAGE);
    return 2;
  }
  if (values.to !== undefined && !isColour(values.to)) {
    io.err(`--to ${values.to}: must be blue or green`);
    return 2;
  }
  const timeoutS = Number(values.timeout);
  const intervalMs = Number(values.interval);
  if (!Number.isFinite(timeoutS) || timeoutS < 0 || !Number.isInteger(intervalMs) || intervalMs < 10) {
    io.err("--timeout must be seconds >= 0 and --interval milliseconds >= 10");
    return 2;
  }

  let client: KubeClient;
  let namespace: string;
  try {
    const path = kubeconfigPath(values.kubeconfig);
    const target = parseKubeconfig(readFileSync(path, "utf8"), values.context);
    client = new KubeClient(target);
    namespace = values.namespace ?? target.namespace ?? "default";
  } catch (err) {
    io.err(`kubeconfig: ${(err as Error).message}`);
    return 1;
  }

  try {
    if (command === "status") {
      for (const line of await appStatus(client, name, namespace)) io.out(line);
      return 0;
    }
    const result = await switchColour({
      client,
      name,
      namespace,
      to: values.to as "blue" | "green" | undefined,
      rollback: values.rollback ?? false,
      timeoutMs: timeoutS * 1000,
      intervalMs,
      log: io.out,
    });
    switch (result.outcome) {
      case "switched":
        io.out(
          `switched ${namespace}/${name} from ${result.from} to ${result.to}${result.meshed ? " (Service and VirtualService)" : ""}`,
        );
        io.out(
          `roll back with: npm run app -- ${values.rollback ? "switch " + name + " --to " + result.from : "switch " + name + " --rollback"}`,
        );
        io.out("record it in the cluster stack, or the next `pulumi up` moves traffic back:");
        io.out(`  ${configChange(name, result.to, values.stack)}`);
        return 0;
      case "unchanged":
        io.out(`no change: ${namespace}/${name} is already on ${result.to}`);
        return 0;
      case "not-ready":
        io.err(
          `not switched: ${name}-${result.to} is not Ready after ${timeoutS} s (${result.reason}); traffic stays where it was`,
        );
        return 1;
      case "refused":
        io.err(`not switched: ${result.reason}`);
        return 1;
    }
  } catch (err) {
    io.err(`error: ${(err as Error).message}`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2), {
    out: (l) => process.stdout.write(`${l}\n`),
    err: (l) => process.stderr.write(`${l}\n`),
  }).then((code) => process.exit(code));
}
