// The live/pre-live switch logic of `npm run edge -- switch`, against a fake runtime API.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseMap, switchSlots, usableServers } from "../../../tools/edge/runtime";

const STATE = [
  "1",
  "# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state ...",
  "10 live_paasA_http 1 paasa-0-21 10.20.0.21 2 0 1 1 3 15 3 4 6 0 0 0 - 30080 - 0 30021 - - 30021",
  "14 live_paasB_http 1 paasb-0-31 10.20.0.31 2 0 1 1 3 15 3 4 6 0 0 0 - 30080 - 0 30021 - - 30021",
  "14 live_paasB_http 2 paasb-0-32 10.20.0.32 0 0 1 1 3 15 3 4 6 0 0 0 - 30080 - 0 30021 - - 30021",
  "14 live_paasB_http 3 tacc-edge 198.51.100.140 2 0 1 1 3 15 3 4 6 0 0 0 - 8081 - 0 0 - - 0",
  "16 slot_paasB_http 1 paasb-0-31 10.20.0.31 2 0 1 1 3 1 0 3 0 0 0 0 - 30080 - 0 0 - - 0",
  "16 slot_paasB_http 2 paasb-0-32 10.20.0.32 0 0 1 1 3 1 0 3 0 0 0 0 - 30080 - 0 0 - - 0",
  "",
].join("\n");

function fakeApi(map: Record<string, string>, state = STATE) {
  const sent: string[] = [];
  const send = async (c: string) => {
    sent.push(c);
    if (c.startsWith("show map")) {
      return Object.entries(map)
        .map(([k, v], i) => `0x55d5c6a1b2c${i} ${k} ${v}`)
        .join("\n");
    }
    if (c === "show servers state") return state;
    const m = /^(set|add) map \S+ (\S+) (\S+)$/.exec(c);
    if (m) {
      map[m[2]] = m[3];
      return "\n";
    }
    return "Unknown command\n";
  };
  return { send, sent, map };
}

describe("edge runtime switch", () => {
  it("parses maps and counts usable servers", () => {
    assert.deepEqual(parseMap("0x1 live paasA\n0x2 prelive paasB\n"), { live: "paasA", prelive: "paasB" });
    assert.deepEqual(usableServers(STATE), { live_paasA_http: 1, live_paasB_http: 2, slot_paasB_http: 1 });
  });

  it("moves live and pre-live with set map and verifies the result", async () => {
    const api = fakeApi({ live: "paasA", prelive: "paasB" });
    const r = await switchSlots(api.send, "/etc/haproxy/jsp-slots.map", { live: "paasB", prelive: "paasA" });
    assert.deepEqual(r.after, { live: "paasB", prelive: "paasA" });
    assert.ok(api.sent.includes("set map /etc/haproxy/jsp-slots.map live paasB"));
  });

  it("refuses to switch live to a slot with no usable node, even if its backup is up", async () => {
    const down = STATE.replace(/(slot_paasB_http 1 paasb-0-31 10\.20\.0\.31) 2/, "$1 0");
    const api = fakeApi({ live: "paasA", prelive: "paasB" }, down);
    await assert.rejects(
      switchSlots(api.send, "/m", { live: "paasB", prelive: "paasA" }),
      /slot paasB has no usable ingress node on this edge; refusing/,
    );
    assert.ok(!api.sent.some((c) => c.startsWith("set map")), "nothing changed");
  });

  it("refuses a slot this edge has no backend for", async () => {
    const api = fakeApi({ live: "paasA" });
    await assert.rejects(switchSlots(api.send, "/m", { live: "paasC" }), /no backend for slot paasC/);
  });
});
