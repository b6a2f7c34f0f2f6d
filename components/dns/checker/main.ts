// Entry point of the bundle shipped to the checker host (/opt/jetstream-paas/dns-checker/checker.js):
//   checker.js run    --config FILE          the systemd service
//   checker.js status --config FILE          where the names point, the last decision, the last events
//   checker.js reset  --config FILE --yes    outside DNS provider only: the names were moved back by hand
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { commandBackend, designateBackend, readEvents, record, runChecker } from "./checker";
import { parseCheckerConfig } from "./config";

export async function cli(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: "string", default: "/etc/jetstream-paas/dns-checker/checker.json" },
      yes: { type: "boolean", default: false },
      "max-ticks": { type: "string" },
    },
  });
  const cmd = positionals[0] ?? "status";
  const cfg = parseCheckerConfig(readFileSync(values.config!, "utf8"));
  switch (cmd) {
    case "run":
      await runChecker(cfg, { maxTicks: values["max-ticks"] ? Number(values["max-ticks"]) : undefined });
      return 0;
    case "status": {
      const backend = cfg.action.kind === "designate" ? designateBackend(cfg) : commandBackend(cfg);
      let target: string;
      try {
        target = await backend.target();
      } catch (err) {
        target = `unknown (${(err as Error).message})`;
      }
      let state: unknown;
      try {
        state = JSON.parse(readFileSync(`${cfg.stateDir}/state.json`, "utf8"));
      } catch {
        state = undefined;
      }
      console.log(
        JSON.stringify(
          { names: cfg.names, target, from: cfg.from, to: cfg.to, state, events: readEvents(cfg).slice(-10) },
          null,
          2,
        ),
      );
      return 0;
    }
    case "reset":
      if (cfg.action.kind !== "command") {
        console.error(
          "reset is for an outside DNS provider; with Designate the checker reads where the names point",
        );
        return 2;
      }
      if (!values.yes) {
        console.error(
          "reset tells the checker the names point at the primary again; run again with --yes once they do",
        );
        return 2;
      }
      record(cfg, "reset", { by: process.env.SUDO_USER ?? "operator" });
      return 0;
    default:
      console.error(`unknown command ${cmd}; use run, status or reset`);
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
