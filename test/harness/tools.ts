// Real-tool tests call requireTools first: it runs scripts/ensure-tools.sh, which installs
// missing Debian packages as root and otherwise names what is missing. A missing tool fails
// the test loudly; it is never skipped in silence.
import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const ROOT = resolve(__dirname, "..", "..");
const PG_BIN = "/usr/lib/postgresql/15/bin";

export function requireTools(tools: string[]): void {
  try {
    execFileSync("bash", [join(ROOT, "scripts", "ensure-tools.sh"), ...tools], {
      stdio: ["ignore", "inherit", "pipe"],
    });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? "";
    throw new Error(`required tools unavailable (${tools.join(", ")}): ${stderr.trim()}`);
  }
}

/** Path of a tool, looking in PostgreSQL's bin folder too. */
export function toolPath(tool: string): string {
  const pg = join(PG_BIN, tool);
  return existsSync(pg) ? pg : tool;
}

export interface ToolResult {
  ok: boolean;
  output: string;
}

/** Runs a tool, never throwing: the exit status and combined output are the result. */
export function runTool(
  cmd: string,
  args: string[],
  opts: { input?: string; cwd?: string } = {},
): ToolResult {
  try {
    const out = execFileSync(toolPath(cmd), args, {
      encoding: "utf8",
      stdio: "pipe",
      input: opts.input,
      cwd: opts.cwd,
    });
    return { ok: true, output: out };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message?: string };
    return {
      ok: false,
      output: `${e.stdout ?? ""}${e.stderr ?? ""}${e.stdout || e.stderr ? "" : (e.message ?? "")}`,
    };
  }
}

/** `cloud-init schema --config-file` on a rendered cloud-config. */
export function cloudInitSchema(text: string, dir: string, name: string): ToolResult {
  const file = join(dir, name);
  writeFileSync(file, text);
  return runTool("cloud-init", ["schema", "--config-file", file]);
}
