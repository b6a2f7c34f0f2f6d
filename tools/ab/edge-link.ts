// How `npm run ab` reaches the edge's HAProxy runtime API: local sockets (`--socket`, a lab or
// the drill) or each edge host over SSH through the bastion (the site stack's outputs), the
// same transport `npm run edge` uses. The switch itself is tools/edge/runtime.ts's.
import { execFileSync } from "node:child_process";
import { EDGE_PATHS } from "../../components/edge/render/edge-cloud-init";
import { runtimeApi } from "../drill/edge-sim";
import { mapText, parseMap, RuntimeSend, switchSlots, usableServers } from "../edge/runtime";

export interface EdgeHost {
  name: string;
  send: RuntimeSend;
  /** the slots map file on the host (kept for reloads) */
  writeMap: (text: string) => void;
}

export function socketHosts(sockets: readonly string[], mapFile: string): EdgeHost[] {
  return sockets.map((s) => ({
    name: s,
    send: (c: string) => runtimeApi(s, c),
    writeMap: (text: string) =>
      void execFileSync("tee", [mapFile], { input: text, stdio: ["pipe", "ignore", "inherit"] }),
  }));
}

export function sshHosts(outputs: Record<string, unknown>, user: string, mapFile: string): EdgeHost[] {
  const hosts = outputs.edgeHosts as Record<string, string> | undefined;
  const bastion = outputs.bastionAddress as string | undefined;
  if (!hosts || Object.keys(hosts).length === 0) throw new Error("the site stack exports no edgeHosts");
  if (!bastion) throw new Error("the site stack exports no bastionAddress");
  return Object.entries(hosts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, ip]) => {
      const run = (cmd: string[], input?: string) =>
        execFileSync("ssh", ["-o", "BatchMode=yes", "-J", `${user}@${bastion}`, `${user}@${ip}`, ...cmd], {
          encoding: "utf8",
          input,
          timeout: 30_000,
        });
      return {
        name,
        send: async (command: string) =>
          run(["sudo", "socat", "-T2", "stdio", `UNIX-CONNECT:${EDGE_PATHS.adminSocket}`], `${command}\n`),
        writeMap: (text: string) => void run(["sudo", "tee", mapFile], text),
      };
    });
}

/** Usable ingress nodes of `slot` per host (the slot_<slot>_http backend: its own nodes only). */
export async function slotHealth(
  hosts: readonly EdgeHost[],
  slot: string,
): Promise<Array<{ host: string; usable: number }>> {
  const out: Array<{ host: string; usable: number }> = [];
  for (const h of hosts)
    out.push({
      host: h.name,
      usable: usableServers(await h.send("show servers state"))[`slot_${slot}_http`] ?? 0,
    });
  return out;
}

export async function currentMap(h: EdgeHost, mapFile: string): Promise<Record<string, string>> {
  return parseMap(await h.send(`show map ${mapFile}`));
}

/**
 * Moves live (and pre-live) on every host, all or none: every host is checked for a usable node
 * of the new live slot before any host changes. No reload: requests in flight finish where
 * they are, new ones go to the new slot.
 */
export async function switchEdge(
  hosts: readonly EdgeHost[],
  mapFile: string,
  choice: { live: string; prelive?: string },
  log: (line: string) => void,
): Promise<void> {
  for (const h of await slotHealth(hosts, choice.live)) {
    if (h.usable === 0)
      throw new Error(`${h.host}: slot ${choice.live} has no usable ingress node; no edge host was switched`);
  }
  for (const h of hosts) {
    const r = await switchSlots(h.send, mapFile, choice);
    h.writeMap(mapText(choice));
    log(`    ${h.name}: ${JSON.stringify(r.before)} -> ${JSON.stringify(r.after)} (runtime API, no reload)`);
  }
}
