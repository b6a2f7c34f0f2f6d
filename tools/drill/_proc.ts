// Process bookkeeping for drills: every child is registered by pid and killed by pid on
// cleanup (also on SIGINT/SIGTERM/exit of the drill), never by name.
import { ChildProcess, execFile, spawn, SpawnOptions } from "node:child_process";

export class Procs {
  private readonly children = new Map<number, { name: string; proc: ChildProcess }>();
  private readonly onSignal = () => this.killAllSync();

  constructor() {
    process.once("SIGINT", this.onSignal);
    process.once("SIGTERM", this.onSignal);
    process.once("exit", this.onSignal);
  }

  start(name: string, cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
    const proc = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], ...opts });
    if (proc.pid === undefined) throw new Error(`could not start ${name} (${cmd})`);
    const pid = proc.pid;
    this.children.set(pid, { name, proc });
    proc.on("exit", () => this.children.delete(pid));
    return proc;
  }

  alive(proc: ChildProcess): boolean {
    return proc.exitCode === null && proc.signalCode === null;
  }

  /** Sends a signal to one child and waits (bounded) for it to exit. */
  async stop(proc: ChildProcess, signal: NodeJS.Signals = "SIGTERM", waitMs = 5000): Promise<void> {
    if (!this.alive(proc)) return;
    const exited = new Promise<void>((r) => proc.once("exit", () => r()));
    proc.kill(signal);
    const t = new Promise<void>((r) => setTimeout(r, waitMs));
    await Promise.race([exited, t]);
    if (this.alive(proc)) {
      proc.kill("SIGKILL");
      await Promise.race([exited, new Promise<void>((r) => setTimeout(r, 2000))]);
    }
  }

  async stopAll(): Promise<void> {
    const all = [...this.children.values()].reverse();
    await Promise.all(all.map((c) => this.stop(c.proc, "SIGTERM", 5000)));
    process.removeListener("SIGINT", this.onSignal);
    process.removeListener("SIGTERM", this.onSignal);
    process.removeListener("exit", this.onSignal);
  }

  private killAllSync(): void {
    for (const [pid] of this.children) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    }
  }
}

export interface RunResult {
  ok: boolean;
  out: string;
  err: string;
}

export function run(
  cmd: string,
  args: string[],
  opts: {
    uid?: number;
    gid?: number;
    env?: NodeJS.ProcessEnv;
    timeoutMs?: number;
    input?: string;
    cwd?: string;
  } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      cmd,
      args,
      {
        uid: opts.uid,
        gid: opts.gid,
        env: opts.env ?? process.env,
        timeout: opts.timeoutMs ?? 30_000,
        encoding: "utf8",
        cwd: opts.cwd,
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) =>
        // never err.message: it holds the command line, and command lines may hold secrets
        resolve({
          ok: !err,
          out: String(stdout),
          err: String(stderr) || (err ? (err.killed ? "timed out" : `exit status ${String(err.code)}`) : ""),
        }),
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` until it is true or `timeoutMs` passes; returns whether it became true. */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  everyMs = 100,
): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return true;
    await sleep(everyMs);
  }
  return false;
}
