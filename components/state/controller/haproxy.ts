// HAProxy runtime API: `show servers state` over the admin socket, parsed into the view the
// decision needs (how many of the primary site's servers are up). Parsing is pure; `query`
// is the only IO.
import { connect } from "node:net";

export interface ServerState {
  backend: string;
  server: string;
  address: string;
  /** srv_op_state: 0 stopped, 1 starting, 2 running, 3 stopping */
  opState: number;
  /** srv_admin_state: non-zero means maintenance or drain set by an operator */
  adminState: number;
}

/** Parses `show servers state` (format version 1, HAProxy 2.x). */
export function parseServersState(text: string): ServerState[] {
  const lines = text.split("\n").map((l) => l.trim());
  const header = lines.find((l) => l.startsWith("# be_id"));
  if (!header) throw new Error("show servers state: no header line (is this HAProxy's runtime API?)");
  const cols = header.slice(2).split(/\s+/);
  const idx = (name: string) => {
    const i = cols.indexOf(name);
    if (i < 0) throw new Error(`show servers state: column ${name} missing`);
    return i;
  };
  const [be, srv, addr, op, admin] = [
    "be_name",
    "srv_name",
    "srv_addr",
    "srv_op_state",
    "srv_admin_state",
  ].map(idx);
  const out: ServerState[] = [];
  for (const l of lines) {
    if (l === "" || l.startsWith("#") || /^\d+$/.test(l)) continue;
    const f = l.split(/\s+/);
    if (f.length < cols.length) continue;
    out.push({
      backend: f[be],
      server: f[srv],
      address: f[addr],
      opState: Number(f[op]),
      adminState: Number(f[admin]),
    });
  }
  return out;
}

/**
 * Up/total of the primary site's servers in the watched backends. Servers an operator put in
 * maintenance or drain are left out: a planned switch is not evidence of a lost site.
 */
export function primarySiteView(
  servers: readonly ServerState[],
  backends: readonly string[],
  serverPattern: RegExp,
): { up: number; total: number } {
  const mine = servers.filter(
    (s) => backends.includes(s.backend) && serverPattern.test(s.server) && s.adminState === 0,
  );
  return { up: mine.filter((s) => s.opState === 2).length, total: mine.length };
}

/** Sends one command to the runtime API socket and returns the whole answer. */
export function query(socketPath: string, command: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(socketPath);
    let data = "";
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`haproxy socket ${socketPath}: no answer in ${timeoutMs} ms`));
    }, timeoutMs);
    sock.setEncoding("utf8");
    sock.on("connect", () => sock.write(`${command}\n`));
    sock.on("data", (d: string) => (data += d));
    sock.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on("end", () => {
      clearTimeout(timer);
      resolve(data);
    });
  });
}
