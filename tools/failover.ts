// npm run failover -- status|promote|failback [--yes] [--config FILE]
// npm run failover -- status|promote|failback [--yes] --host EDGE [--jump BASTION] [--user ubuntu]
//
// The operator's side of the failover controller: the same steps the controller runs, by hand.
//  - with --config: runs them here, against the databases and HAProxy named in that file
//    (e.g. on an edge host, or through SSH tunnels);
//  - with --host: runs the `jsp-failover` command shipped on a standby-site edge host over SSH,
//    jumping through the bastion (SSH to edge hosts is only allowed from the bastion).
// promote and failback change which database takes writes and need --yes.
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";
import { cli } from "../components/state/controller/main";

const USAGE = `usage: npm run failover -- <status|promote|failback> [--yes] (--config FILE | --host EDGE [--jump BASTION] [--user USER])`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      config: { type: "string" },
      host: { type: "string" },
      jump: { type: "string" },
      user: { type: "string", default: "ubuntu" },
      yes: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  const cmd = positionals[0];
  if (values.help || !cmd || !["status", "promote", "failback"].includes(cmd)) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  if (values.host) {
    const args = ["-o", "BatchMode=yes", "-o", "ConnectTimeout=10"];
    if (values.jump) args.push("-J", `${values.user}@${values.jump}`);
    args.push(`${values.user}@${values.host}`, "sudo", "/usr/local/bin/jsp-failover", cmd);
    if (values.yes) args.push("--yes");
    const r = spawnSync("ssh", args, { stdio: "inherit" });
    return r.status ?? 1;
  }
  if (!values.config) {
    console.error(`${USAGE}\n(give --config with the controller config, or --host to run on an edge host)`);
    return 2;
  }
  const argv = [cmd, "--config", values.config];
  if (values.yes) argv.push("--yes");
  return cli(argv);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
