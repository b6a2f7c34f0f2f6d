// npm run edge -- <command> --site iu [options]
//   switch   --live paasB [--prelive paasA] | --rollback   flip live/pre-live on every edge host
//   failback                                               clear the failover latch (go back home)
//   status                                                 slots, latch and usable nodes per host
//   apply                                                  push out/<site>/haproxy, validate, reload
// Hosts come from the site stack's outputs (`pulumi stack output --json --stack <site>`, or
// --outputs FILE); the runtime API is reached over SSH through the bastion. `--socket PATH`
// (repeatable) talks to local HAProxy sockets instead (the drill, a lab).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { EDGE_PATHS } from "../components/edge/render/edge-cloud-init";
import { runtimeApi } from "./drill/edge-sim";
import { clearLatch, mapText, parseMap, RuntimeSend, switchSlots, usableServers } from "./edge/runtime";

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

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      site: { type: "string" },
      live: { type: "string" },
      prelive: { type: "string" },
      rollback: { type: "boolean", default: false },
      outputs: { type: "string" },
      socket: { type: "string", multiple: true },
      map: { type: "string", default: EDGE_PATHS.slotsMap },
      user: { type: "string", default: "ubuntu" },
    },
  });
  const cmd = positionals[0];
  const site = values.site;
  if (!cmd || !site) {
    console.error(
      "usage: npm run edge -- switch|failback|status|apply --site <iu|tacc> [options] (see tools/edge.ts)",
    );
    return 2;
  }
  const mapFile = values.map!;
  const hosts = values.socket?.length
    ? localHosts(values.socket, mapFile)
    : sshHosts(site, siteOutputs(site, values.outputs), values.user!, mapFile);

  if (cmd === "status") {
    for (const h of hosts) {
      const map = parseMap(await h.send(`show map ${mapFile}`));
      const usable = usableServers(await h.send("show servers state"));
      const latch = /gpt0=1/.test(await h.send("show table failover_latch"));
      console.log(JSON.stringify({ host: h.name, slots: map, failedOver: latch, usableServers: usable }));
    }
    return 0;
  }

  if (cmd === "failback") {
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
      console.log(`${h.name}: failover latch cleared; live traffic returns to the local slot`);
    }
    return 0;
  }

  if (cmd === "switch") {
    const current = parseMap(await hosts[0].send(`show map ${mapFile}`));
    let live = values.live;
    let prelive = values.prelive;
    if (values.rollback) {
      if (!current.prelive) throw new Error("nothing to roll back to: no prelive slot in the map");
      live = current.prelive;
      prelive = current.live;
    } else if (!live) {
      throw new Error("give --live SLOT or --rollback");
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
      const r = await switchSlots(h.send, mapFile, { live: live!, prelive });
      h.writeMap(mapText({ live: live!, prelive })); // a reload keeps the choice
      console.log(`${h.name}: ${JSON.stringify(r.before)} -> ${JSON.stringify(r.after)}`);
    }
    console.log("\nCommit the same choice so the next `pulumi up` agrees:");
    console.log(`  pulumi config set --path edge.live ${live} --stack ${site}`);
    if (prelive) console.log(`  pulumi config set --path edge.prelive ${prelive} --stack ${site}`);
    return 0;
  }

  if (cmd === "apply") {
    // The configs `pulumi up` rendered from the real stack (its outputs), one host at a time:
    // the other keeps the VIP if a config turns out bad (jsp-edge-apply validates first).
    const o = siteOutputs(site, values.outputs);
    if (!o.edgeHaproxyConfig || !o.edgeKeepalivedConfigs)
      throw new Error(`stack ${site} exports no edge configs`);
    for (const h of hosts) {
      if (!h.run) throw new Error("apply needs SSH hosts, not --socket");
      const keep = o.edgeKeepalivedConfigs[h.name];
      if (!keep) throw new Error(`no keepalived config for ${h.name}`);
      h.run(["sudo", "tee", `${EDGE_PATHS.stageDir}/haproxy.cfg`], o.edgeHaproxyConfig);
      h.run(["sudo", "tee", `${EDGE_PATHS.stageDir}/keepalived.conf`], keep);
      h.run(["sudo", EDGE_PATHS.applyScript]);
      console.log(`${h.name}: validated and reloaded`);
    }
    return 0;
  }
  console.error(`unknown command ${cmd}`);
  return 2;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`edge: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
