// A stand-in for the Pulumi CLI, first on PATH, so the real Automation API
// (@pulumi/pulumi/automation) can be tested without a cloud: it records every invocation
// (argv and folder) and answers the commands the Automation API sends as the CLI does, from a
// JSON state file (stacks with their config, tags, outputs, history, a lock).
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface StandinStack {
  config: Record<string, { value: string; secret?: boolean }>;
  tags: Record<string, string>;
  outputs: Record<string, unknown>;
  secretOutputs?: string[];
  /** outputs the next `up` sets */
  upOutputs?: Record<string, unknown>;
  history: Array<{ version: number; kind: string; result: string; startTime: string; endTime: string }>;
  /** another update holds Pulumi's stack lock */
  locked?: boolean;
  resources?: unknown[];
}

export interface StandinState {
  stacks: Record<string, StandinStack>;
}

const SCRIPT = String.raw`
const fs = require("node:fs");
const args = process.argv.slice(2).filter((a) => a !== "--non-interactive");
const statePath = process.env.JSP_STANDIN_STATE;
fs.appendFileSync(process.env.JSP_STANDIN_LOG, JSON.stringify({ args, cwd: process.cwd() }) + "\n");
const state = JSON.parse(fs.readFileSync(statePath, "utf8"));
const save = () => fs.writeFileSync(statePath, JSON.stringify(state, null, 2));
const flag = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const has = (name) => args.includes(name);
const out = (s) => process.stdout.write(typeof s === "string" ? s : JSON.stringify(s));
const fail = (msg) => { process.stderr.write(msg + "\n"); process.exit(255); };
const name = flag("--stack");
const stack = () => { const s = state.stacks[name]; if (!s) fail("error: no stack named '" + name + "' found"); return s; };
const positional = args.filter((a, i) => !a.startsWith("--") && !(i > 0 && args[i - 1].startsWith("--") && ["--stack","--page-size","--page","--exec-kind","--color","--message"].includes(args[i - 1])));
const [c0, c1, c2] = positional;
if (c0 === "version") { out("v3.270.0\n"); process.exit(0); }
if (c0 === "whoami") { out(has("--json") ? { user: "standin" } : "standin\n"); process.exit(0); }
if (c0 === "stack" && c1 === "select") { stack(); process.exit(0); }
if (c0 === "stack" && c1 === "tag") {
  const s = stack();
  if (c2 === "ls") out(s.tags);
  else if (c2 === "get") { if (!(positional[3] in s.tags)) fail("error: stack tag '" + positional[3] + "' not found"); out(s.tags[positional[3]] + "\n"); }
  else if (c2 === "set") { s.tags[positional[3]] = positional[4]; save(); }
  else if (c2 === "rm") { delete s.tags[positional[3]]; save(); }
  process.exit(0);
}
const setPath = (s, key, value) => {
  if (!has("--path")) { s.config[key] = { value, secret: has("--secret") }; return; }
  const dot = key.indexOf(".");
  const top = key.slice(0, dot);
  const obj = s.config[top] ? JSON.parse(s.config[top].value) : {};
  const path = key.slice(dot + 1).split(".");
  let cur = obj;
  for (const p of path.slice(0, -1)) cur = cur[p] = cur[p] || {};
  if (value === undefined) delete cur[path[path.length - 1]]; else cur[path[path.length - 1]] = value;
  s.config[top] = { value: JSON.stringify(obj), secret: false };
};
if (c0 === "config" && c1 === "set") { const s = stack(); const dd = args.indexOf("--"); setPath(s, positional[2], args[dd + 1]); save(); process.exit(0); }
if (c0 === "config" && c1 === "rm") { const s = stack(); setPath(s, positional[2], undefined); save(); process.exit(0); }
if (c0 === "config" && !c1) { out(stack().config); process.exit(0); }
if (c0 === "stack" && c1 === "output") {
  const s = stack();
  const show = has("--show-secrets");
  out(Object.fromEntries(Object.entries(s.outputs).map(([k, v]) => [k, !show && (s.secretOutputs || []).includes(k) ? "[secret]" : v])));
  process.exit(0);
}
if (c0 === "stack" && c1 === "history") { out([...stack().history].reverse().slice(0, Number(flag("--page-size") || 10))); process.exit(0); }
if (c0 === "stack" && c1 === "export") { out({ version: 3, deployment: { resources: stack().resources || [] } }); process.exit(0); }
if (c0 === "up" || c0 === "destroy") {
  const s = stack();
  if (s.locked) fail("error: [409] Conflict: Another update is currently in progress.");
  out("Updating (" + name + "):\n");
  out("    pulumi:pulumi:Stack " + name + " running\n");
  out(" +  1 created\n");
  const now = new Date().toISOString();
  s.history.push({ version: s.history.length + 1, kind: c0 === "up" ? "update" : "destroy", result: "succeeded", startTime: now, endTime: now, resourceChanges: {} });
  if (c0 === "up" && s.upOutputs) s.outputs = s.upOutputs;
  if (c0 === "destroy") s.outputs = {};
  save();
  out("Resources:\n    1 created\n");
  process.exit(0);
}
fail("error: the stand-in does not know: pulumi " + args.join(" "));
`;

export interface Standin {
  dir: string;
  stateFile: string;
  logFile: string;
  state(): StandinState;
  write(s: StandinState): void;
  calls(): Array<{ args: string[]; cwd: string }>;
  /** PATH with the stand-in first */
  path: string;
}

export function pulumiStandin(initial: StandinState): Standin {
  const dir = mkdtempSync(join(tmpdir(), "jsp-pulumi-"));
  const stateFile = join(dir, "state.json");
  const logFile = join(dir, "calls.jsonl");
  writeFileSync(join(dir, "pulumi"), `#!${process.execPath}\n${SCRIPT}`);
  chmodSync(join(dir, "pulumi"), 0o755);
  writeFileSync(stateFile, JSON.stringify(initial, null, 2));
  writeFileSync(logFile, "");
  return {
    dir,
    stateFile,
    logFile,
    state: () => JSON.parse(readFileSync(stateFile, "utf8")) as StandinState,
    write: (s) => writeFileSync(stateFile, JSON.stringify(s, null, 2)),
    calls: () =>
      readFileSync(logFile, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { args: string[]; cwd: string }),
    path: `${dir}:${process.env.PATH ?? ""}`,
  };
}
