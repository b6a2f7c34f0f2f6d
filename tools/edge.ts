// npm run edge -- <command> --site iu [options]   (npm run edge -- --help for the whole list)
//   switch   --live paasB [--prelive paasA] | --rollback   flip live/pre-live on every edge host
//   failback                                               clear the failover latch (go back home)
//   status                                                 slots, latch and usable nodes per host
//   apply                                                  push the stack's rendered configs, validate, reload
//   dns status [--stack iu]                                where the public names point; each edge's health
//   dns flip --to tacc --yes [--force]                     move the public names to that site's edge
// Hosts come from the site stack's outputs (`pulumi stack output --json --stack <site>`, or
// --outputs FILE); the runtime API is reached over SSH through the bastion. `--socket PATH`
// (repeatable) talks to local HAProxy sockets instead (the drill, a lab).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { SITES } from "../components/config";
import { ACME_PATHS } from "../components/edge/render/acme";
import { EDGE_PATHS } from "../components/edge/render/edge-cloud-init";
import { runtimeApi } from "./drill/edge-sim";
import { clearLatch, mapText, parseMap, RuntimeSend, switchSlots, usableServers } from "./edge/runtime";
import { dnsCommand } from "./edge/dns";
import { collect, Command, exitWith, Io, oneOf, processIo, program, run, UsageError } from "./lib/cli";
import { REPO_ROOT } from "./lib/stack-files";

interface EdgeHost {
  name: string;
  send: RuntimeSend;
  writeMap: (text: string) => void;
  run?: (cmd: string[], input?: string) => string;
}

interface SiteOutputs {
  edgeHosts?: Record<string, string>;
  bastionAddress?: string;
  edgeHaproxyConfig?: string;
  edgeKeepalivedConfigs?: Record<string, string>;
  edgeAcmeEnv?: string;
}

function siteOutputs(site: string, file?: string): SiteOutputs {
  const text = file
    ? readFileSync(file, "utf8")
    : execFileSync("pulumi", ["stack", "output", "--json", "--stack", site], { encoding: "utf8" });
  const doc = JSON.parse(text) as SiteOutputs & { outputs?: SiteOutputs };
  return doc.outputs ?? doc; // synth's outputs.json wraps them
}

function sshHosts(site: string, o: SiteOutputs, user: string, mapFile: string): EdgeHost[] {
  if (!o.edgeHosts || Object.keys(o.edgeHosts).length === 0)
    throw new Error(`stack ${site} exports no edgeHosts`);
  if (!o.bastionAddress) throw new Error(`stack ${site} exports no bastionAddress`);
  return Object.entries(o.edgeHosts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, ip]) => {
      const run = (cmd: string[], input?: string) =>
        execFileSync(
          "ssh",
          ["-o", "BatchMode=yes", "-J", `${user}@${o.bastionAddress}`, `${user}@${ip}`, ...cmd],
          {
            encoding: "utf8",
            input,
            timeout: 30_000,
          },
        );
      return {
        name,
        run,
        send: async (command: string) =>
          run(["sudo", "socat", "-T2", "stdio", `UNIX-CONNECT:${EDGE_PATHS.adminSocket}`], `${command}\n`),
        writeMap: (text: string) => void run(["sudo", "tee", mapFile], text),
      };
    });
}

function localHosts(sockets: string[], mapFile: string): EdgeHost[] {
  return sockets.map((s) => ({
    name: s,
    send: (c: string) => runtimeApi(s, c),
    writeMap: (text: string) =>
      execFileSync("tee", [mapFile], { input: text, stdio: ["pipe", "ignore", "inherit"] }) && undefined,
  }));
}

interface Connection {
  site: string;
  outputs?: string;
  socket?: string[];
  map: string;
  user: string;
}

/** The slots a site's stack file lists under edge.slots: a switch may only name one of them. */
export function siteSlots(site: string): string[] {
  const file = `${REPO_ROOT}/Pulumi.${site}.yaml`;
  const doc = parse(readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null;
  const edge = doc?.config?.["jetstream-paas:edge"] as { slots?: Record<string, unknown> } | undefined;
  return Object.keys(edge?.slots ?? {}).sort();
}

function checkSlot(site: string, flag: string, slot: string | undefined): void {
  if (slot === undefined) return;
  const known = siteSlots(site);
  if (!known.includes(slot)) {
    throw new UsageError(
      `${flag} ${slot}: site ${site} has no such slot (its edge.slots: ${known.join(", ") || "none"})`,
    );
  }
}

function connect(c: Connection): EdgeHost[] {
  return c.socket?.length
    ? localHosts(c.socket, c.map)
    : sshHosts(c.site, siteOutputs(c.site, c.outputs), c.user, c.map);
}

async function status(hosts: EdgeHost[], mapFile: string, io: Io): Promise<void> {
  for (const h of hosts) {
    const map = parseMap(await h.send(`show map ${mapFile}`));
    const usable = usableServers(await h.send("show servers state"));
    const latch = /gpt0=1/.test(await h.send("show table failover_latch"));
    io.out(JSON.stringify({ host: h.name, slots: map, failedOver: latch, usableServers: usable }));
  }
}

async function failback(hosts: EdgeHost[], mapFile: string, io: Io): Promise<void> {
  // Going back to the local site is an operator decision, made after checking it is healthy.
  for (const h of hosts) {
    const usable = usableServers(await h.send("show servers state"));
    const live = parseMap(await h.send(`show map ${mapFile}`)).live;
    if (!live || (usable[`slot_${live}_http`] ?? 0) === 0) {
      throw new Error(`${h.name}: live slot ${live ?? "?"} has no usable node; refusing to fail back`);
    }
  }
  for (const h of hosts) {
    await clearLatch(h.send);
    io.out(`${h.name}: failover latch cleared; live traffic returns to the local slot`);
  }
}

interface SwitchOptions {
  live?: string;
  prelive?: string;
  rollback: boolean;
}

async function switchLive(hosts: EdgeHost[], c: Connection, o: SwitchOptions, io: Io): Promise<void> {
  const current = parseMap(await hosts[0].send(`show map ${c.map}`));
  let live = o.live;
  let prelive = o.prelive;
  if (o.rollback) {
    if (!current.prelive) throw new Error("nothing to roll back to: no prelive slot in the map");
    live = current.prelive;
    prelive = current.live;
  } else if (prelive === undefined && current.live && current.live !== live) {
    prelive = current.live; // keep the way back open: the old live slot becomes pre-live
  }
  // Check every host first, then switch: all hosts end in the same state or none moves.
  for (const h of hosts) {
    const usable = usableServers(await h.send("show servers state"));
    if ((usable[`live_${live}_http`] ?? 0) === 0)
      throw new Error(`${h.name}: slot ${live} has no usable node`);
  }
  for (const h of hosts) {
    const r = await switchSlots(h.send, c.map, { live: live!, prelive });
    h.writeMap(mapText({ live: live!, prelive })); // a reload keeps the choice
    io.out(`${h.name}: ${JSON.stringify(r.before)} -> ${JSON.stringify(r.after)}`);
  }
  io.out("\nCommit the same choice so the next `pulumi up` agrees:");
  io.out(`  pulumi config set --path edge.live ${live} --stack ${c.site}`);
  if (prelive) io.out(`  pulumi config set --path edge.prelive ${prelive} --stack ${c.site}`);
}

function apply(hosts: EdgeHost[], c: Connection, io: Io): void {
  // The configs `pulumi up` rendered from the real stack (its outputs), one host at a time:
  // the other keeps the VIP if a config turns out bad (jsp-edge-apply validates first).
  const o = siteOutputs(c.site, c.outputs);
  if (!o.edgeHaproxyConfig || !o.edgeKeepalivedConfigs)
    throw new Error(`stack ${c.site} exports no edge configs`);
  for (const h of hosts) {
    if (!h.run) throw new Error("apply needs SSH hosts, not --socket");
    const keep = o.edgeKeepalivedConfigs[h.name];
    if (!keep) throw new Error(`no keepalived config for ${h.name}`);
    h.run(["sudo", "tee", `${EDGE_PATHS.stageDir}/haproxy.cfg`], o.edgeHaproxyConfig);
    h.run(["sudo", "tee", `${EDGE_PATHS.stageDir}/keepalived.conf`], keep);
    h.run(["sudo", EDGE_PATHS.applyScript]);
    io.out(`${h.name}: validated and reloaded`);
    if (o.edgeAcmeEnv) {
      // new certificate names or ACME settings: the renewal job issues anew when the names changed
      h.run(["sudo", "tee", ACME_PATHS.env], o.edgeAcmeEnv);
      h.run(["sudo", "systemctl", "start", "--no-block", "jsp-acme-renew.service"]);
      io.out(`${h.name}: ACME settings updated; certificate check started`);
    }
  }
}

/** The options every subcommand shares: which site, and how its edge hosts are reached. */
function withConnection(c: Command): Command {
  return c
    .requiredOption("--site <site>", `site whose edge to act on (${SITES.join(", ")})`, oneOf(SITES))
    .option("--outputs <file>", "site stack outputs as JSON (default: pulumi stack output --json)")
    .option("--socket <path>", "talk to a local HAProxy runtime socket instead of SSH (repeatable)", collect)
    .option("--map <file>", "the slots map file on the edge hosts", EDGE_PATHS.slotsMap)
    .option("--user <name>", "SSH user on the bastion and edge hosts", "ubuntu");
}

export function edgeCommand(io: Io): Command {
  const root = program("edge", "Operate a site's edge (HAProxy pair) through its runtime API.");
  withConnection(
    root.command("status").description("slots, failover latch and usable nodes per edge host"),
  ).action(async (c: Connection) => status(connect(c), c.map, io));
  withConnection(
    root.command("switch").description("move live (and pre-live) to another slot on every edge host"),
  )
    .option("--live <slot>", "the slot to make live")
    .option("--prelive <slot>", "the slot to put on pre-live (default: the old live slot)")
    .option("--rollback", "swap live and pre-live back", false)
    .action(async (o: Connection & SwitchOptions) => {
      if (!o.rollback && !o.live) throw new UsageError("give --live SLOT or --rollback");
      if (o.rollback && (o.live || o.prelive))
        throw new UsageError("--rollback takes no --live or --prelive");
      checkSlot(o.site, "--live", o.live);
      checkSlot(o.site, "--prelive", o.prelive);
      if (o.live !== undefined && o.live === o.prelive)
        throw new UsageError("--live and --prelive must differ");
      await switchLive(connect(o), o, o, io);
    });
  withConnection(
    root.command("failback").description("clear the failover latch: live traffic returns to the local slot"),
  ).action(async (c: Connection) => failback(connect(c), c.map, io));
  withConnection(
    root
      .command("apply")
      .description("push the stack's rendered configs to each edge host, validate, reload"),
  ).action(async (c: Connection) => apply(connect(c), c, io));
  dnsCommand(root, io);
  return root;
}

export function main(argv: string[], io: Io = processIo): Promise<number> {
  return run(edgeCommand(io), argv, io);
}

if (require.main === module) exitWith(main(process.argv.slice(2)));
