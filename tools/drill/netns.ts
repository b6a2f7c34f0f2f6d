// Network namespaces and processes for drills. Everything created here is registered for
// cleanup (by name for namespaces, by pid for processes) and removed by `cleanupAll`, which
// the runner also calls on SIGINT/SIGTERM and after a scenario fails. Only documentation
// address ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24) are used inside namespaces.
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { openSync } from "node:fs";

type Cleanup = { label: string; fn: () => void };
const cleanups: Cleanup[] = [];

/** Registers an undo step; cleanupAll runs them newest first. */
export function registerCleanup(label: string, fn: () => void): void {
  cleanups.push({ label, fn });
}

/** Runs every registered undo step (newest first), never throwing. */
export function cleanupAll(log?: (l: string) => void): void {
  while (cleanups.length > 0) {
    const c = cleanups.pop()!;
    try {
      c.fn();
    } catch (err) {
      log?.(`cleanup ${c.label}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

const DOC_RANGES = [/^192\.0\.2\.\d+$/, /^198\.51\.100\.\d+$/, /^203\.0\.113\.\d+$/];

export function assertDocAddress(ip: string): void {
  if (!DOC_RANGES.some((r) => r.test(ip))) {
    throw new Error(`drill address ${ip} is outside 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24`);
  }
}

export function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

export function nsExec(ns: string, cmd: string, args: string[]): string {
  return sh("ip", ["netns", "exec", ns, cmd, ...args]);
}

/** A flat L2 segment: a bridge inside its own namespace, one veth per attached namespace. */
export class Lab {
  readonly tag: string;
  readonly switchNs: string;
  private links = 0;
  readonly namespaces: string[] = [];

  constructor() {
    this.tag = (process.pid % 0xffff).toString(16).padStart(4, "0");
    this.switchNs = this.addNs("sw");
    sh("ip", ["-n", this.switchNs, "link", "add", "br0", "type", "bridge"]);
    sh("ip", ["-n", this.switchNs, "link", "set", "br0", "up"]);
  }

  /** Creates namespace `jsp<tag><role>` with loopback up; removed on cleanup. */
  addNs(role: string): string {
    const ns = `jsp${this.tag}${role}`;
    if (ns.length > 30) throw new Error(`namespace name ${ns} too long`);
    try {
      sh("ip", ["netns", "del", ns]);
    } catch {
      // did not exist: the normal case
    }
    sh("ip", ["netns", "add", ns]);
    registerCleanup(`netns ${ns}`, () => sh("ip", ["netns", "del", ns]));
    sh("ip", ["-n", ns, "link", "set", "lo", "up"]);
    this.namespaces.push(ns);
    return ns;
  }

  /**
   * Attaches a new namespace to the segment with the given addresses (/24 each). Other
   * documentation ranges are routed on-link, so every host reaches every other on the segment.
   */
  host(role: string, addresses: string[]): { ns: string; dev: string } {
    addresses.forEach(assertDocAddress);
    const ns = this.addNs(role);
    this.links += 1;
    const a = `jv${this.tag}${this.links}a`;
    const b = `jv${this.tag}${this.links}b`;
    sh("ip", ["link", "add", a, "type", "veth", "peer", "name", b]);
    sh("ip", ["link", "set", a, "netns", this.switchNs]);
    sh("ip", ["link", "set", b, "netns", ns]);
    sh("ip", ["-n", this.switchNs, "link", "set", a, "master", "br0"]);
    sh("ip", ["-n", this.switchNs, "link", "set", a, "up"]);
    sh("ip", ["-n", ns, "link", "set", b, "name", "eth0"]);
    for (const ip of addresses) sh("ip", ["-n", ns, "addr", "add", `${ip}/24`, "dev", "eth0"]);
    sh("ip", ["-n", ns, "link", "set", "eth0", "up"]);
    const own = new Set(addresses.map((ip) => ip.split(".").slice(0, 3).join(".")));
    for (const net of ["192.0.2", "198.51.100", "203.0.113"]) {
      if (!own.has(net)) sh("ip", ["-n", ns, "route", "add", `${net}.0/24`, "dev", "eth0"]);
    }
    return { ns, dev: "eth0" };
  }
}

export interface Proc {
  readonly pid: number;
  readonly child: ChildProcess;
  readonly name: string;
  exited: boolean;
  /** SIGTERM, then SIGKILL after `graceMs` */
  stop(graceMs?: number): Promise<void>;
}

/** Starts a command inside a namespace; killed by pid on cleanup. Output goes to logFile. */
export function startInNs(ns: string, name: string, cmd: string, args: string[], logFile: string): Proc {
  const fd = openSync(logFile, "a");
  const child = spawn("ip", ["netns", "exec", ns, cmd, ...args], { stdio: ["ignore", fd, fd] });
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  const pid = child.pid;
  const proc: Proc = {
    pid,
    child,
    name,
    exited: false,
    stop: (graceMs = 2000) =>
      new Promise<void>((resolve) => {
        if (proc.exited) return resolve();
        const t = setTimeout(() => {
          try {
            process.kill(pid, "SIGKILL");
          } catch {
            // gone already
          }
        }, graceMs);
        child.once("exit", () => {
          clearTimeout(t);
          resolve();
        });
        try {
          process.kill(pid, "SIGTERM");
        } catch {
          clearTimeout(t);
          resolve();
        }
      }),
  };
  child.once("exit", () => {
    proc.exited = true;
  });
  registerCleanup(`process ${name} (${pid})`, () => {
    if (!proc.exited) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone already
      }
    }
  });
  return proc;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `probe` every `everyMs` until it returns true or `timeoutMs` passes. */
export async function waitFor(
  probe: () => boolean | Promise<boolean>,
  timeoutMs: number,
  everyMs = 50,
): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    try {
      if (await probe()) return true;
    } catch {
      // not yet
    }
    await sleep(everyMs);
  }
  return false;
}
