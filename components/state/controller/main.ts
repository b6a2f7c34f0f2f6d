// Entry point of the bundle shipped to the edge hosts (/opt/jetstream-paas/failover/controller.js):
//   controller.js run      --config FILE    the systemd service
//   controller.js status   --config FILE
//   controller.js promote  --config FILE --yes
//   controller.js failback --config FILE --yes
import { readFileSync } from "node:fs";
import { userInfo } from "node:os";
import { parseArgs } from "node:util";
import { parseControllerConfig } from "./config";
import { failback, manualPromote, runController, status } from "./controller";

export async function cli(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: "string", default: "/etc/jetstream-paas/failover/controller.json" },
      yes: { type: "boolean", default: false },
      "max-ticks": { type: "string" },
    },
  });
  const cmd = positionals[0] ?? "status";
  const cfg = parseControllerConfig(readFileSync(values.config!, "utf8"));
  const operator = process.env.SUDO_USER ?? userInfo().username;
  switch (cmd) {
    case "run":
      await runController(cfg, { maxTicks: values["max-ticks"] ? Number(values["max-ticks"]) : undefined });
      return 0;
    case "status":
      console.log(JSON.stringify(await status(cfg), null, 2));
      return 0;
    case "promote":
    case "failback": {
      if (!values.yes) {
        console.error(`${cmd} changes which database takes writes; run again with --yes to do it`);
        return 2;
      }
      if (cmd === "promote") return (await manualPromote(cfg, operator)) ? 0 : 1;
      const r = await failback(cfg, operator);
      console.log(r.detail);
      return r.ok ? 0 : 1;
    }
    default:
      console.error(`unknown command ${cmd}; use run, status, promote or failback`);
      return 2;
  }
}

if (require.main === module) {
  cli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : String(err));
      process.exit(1);
    },
  );
}
