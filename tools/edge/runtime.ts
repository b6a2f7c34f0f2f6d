// Live/pre-live switch through the HAProxy runtime API. Used by `npm run edge -- switch` (over
// SSH on each edge host) and by the drill (a local socket): one code path for both.

/** Sends one runtime-API command and returns HAProxy's answer. */
export type RuntimeSend = (command: string) => Promise<string>;

export interface SlotChoice {
  live: string;
  prelive?: string;
}

const SLOT_RE = /^[A-Za-z0-9_.-]+$/;

/** `show map <file>` -> { key: value } */
export function parseMap(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/);
    // "0x55d5c6a1b2c0 live paasA"
    if (f.length === 3 && f[0].startsWith("0x")) out[f[1]] = f[2];
  }
  return out;
}

/** Usable (running, not in maintenance) servers per backend, from `show servers state`. */
export function usableServers(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || !/^\d+$/.test(f[0])) continue;
    const [backend, opState, adminState] = [f[1], Number(f[5]), Number(f[6])];
    out[backend] ??= 0;
    if (opState === 2 && (adminState & 0x01) === 0 && (adminState & 0x20) === 0) out[backend] += 1;
  }
  return out;
}

export interface SwitchResult {
  before: Record<string, string>;
  after: Record<string, string>;
}

/**
 * Moves the live (and pre-live) slot. Refuses when the new live slot has no usable ingress
 * node: a switch must never send live traffic to nothing. Existing requests finish on the
 * slot they started on; new requests use the new slot (use_backend is evaluated per request).
 */
export async function switchSlots(
  send: RuntimeSend,
  mapFile: string,
  choice: SlotChoice,
): Promise<SwitchResult> {
  for (const s of [choice.live, choice.prelive].filter((x): x is string => x !== undefined)) {
    if (!SLOT_RE.test(s)) throw new Error(`slot "${s}" is not a slot name`);
  }
  if (choice.prelive === choice.live) throw new Error("live and prelive must differ");
  const before = parseMap(await send(`show map ${mapFile}`));
  const usable = usableServers(await send("show servers state"));
  if (!(`live_${choice.live}_http` in usable)) {
    throw new Error(
      `this edge has no backend for slot ${choice.live}: run pulumi up with it in edge.slots first`,
    );
  }
  // slot_<slot>_http holds the slot's nodes only (live_* also has the other site as backup)
  if ((usable[`slot_${choice.live}_http`] ?? 0) === 0) {
    throw new Error(
      `slot ${choice.live} has no usable ingress node on this edge; refusing to switch live to it`,
    );
  }
  const set = async (key: string, value: string) => {
    const verb = key in before ? "set" : "add";
    const answer = (await send(`${verb} map ${mapFile} ${key} ${value}`)).trim();
    if (answer !== "") throw new Error(`${verb} map ${key} ${value}: ${answer}`);
  };
  await set("live", choice.live);
  if (choice.prelive !== undefined) await set("prelive", choice.prelive);
  const after = parseMap(await send(`show map ${mapFile}`));
  if (after.live !== choice.live || (choice.prelive !== undefined && after.prelive !== choice.prelive)) {
    throw new Error(`map ${mapFile} reads ${JSON.stringify(after)} after the switch`);
  }
  return { before, after };
}

/** The map file's text for a choice (what the edge hosts keep on disk for reloads). */
export function mapText(choice: SlotChoice): string {
  return `live ${choice.live}\n${choice.prelive !== undefined ? `prelive ${choice.prelive}\n` : ""}`;
}

/** Clears the failover latch: the operator decides to go back to the local site. */
export async function clearLatch(send: RuntimeSend): Promise<void> {
  const answer = (await send("clear table failover_latch")).trim();
  if (answer !== "") throw new Error(`clear table failover_latch: ${answer}`);
}
