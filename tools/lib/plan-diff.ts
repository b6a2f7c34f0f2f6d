// The difference between two synthesized plans (out/<stack>/plan.json) as Markdown: resources
// added, removed and changed, counted by type, and the changed inputs. A value that is secret in
// either plan (plan.json shows "[secret]") is never printed: the whole input is shown as
// "[secret]" on both sides. The pull-request comment of CI is this text.
import { structuredPatch } from "diff";
import { isDeepStrictEqual } from "node:util";

export const SECRET = "[secret]";

export interface DiffPlan {
  stack: string;
  project: string;
  resources: Array<{ type: string; name: string; urn: string; inputs: Record<string, unknown> }>;
}

type Resource = DiffPlan["resources"][number];

export interface InputChange {
  path: string;
  before?: unknown;
  after?: unknown;
  /** secret in either plan: neither value may be shown */
  secret: boolean;
}

export interface ResourceChange {
  kind: "added" | "removed" | "changed";
  type: string;
  name: string;
  urn: string;
  inputs: InputChange[];
}

/** A rendered file beside plan.json (cloud-init, haproxy.cfg, ...): only its line counts. */
export interface FileChange {
  path: string;
  kind: "added" | "removed" | "changed";
  added: number;
  removed: number;
}

export interface PlanDiff {
  stack: string;
  project: string;
  changes: ResourceChange[];
  unchanged: number;
  files: FileChange[];
}

/** Leaves of a JSON value by path (`spec.ports[0].nodePort`); a secret is a leaf. */
function leaves(v: unknown, path: string, out: Map<string, unknown>): Map<string, unknown> {
  if (Array.isArray(v) && v.length > 0) v.forEach((x, i) => leaves(x, `${path}[${i}]`, out));
  else if (v && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length > 0) {
    for (const [k, x] of Object.entries(v)) leaves(x, path ? `${path}.${k}` : k, out);
  } else out.set(path, v);
  return out;
}

/** Paths at which a plan shows a secret; every path under one of them is secret too. */
function secretPaths(m: Map<string, unknown>): string[] {
  return [...m].filter(([, v]) => v === SECRET).map(([p]) => p);
}

function under(path: string, prefixes: string[]): boolean {
  return prefixes.some((p) => path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`));
}

/** The changed leaves; each secret path in either plan collapses into one redacted row. */
export function inputChanges(before: Record<string, unknown>, after: Record<string, unknown>): InputChange[] {
  const a = leaves(before, "", new Map());
  const b = leaves(after, "", new Map());
  const secrets = [...secretPaths(a), ...secretPaths(b)];
  const rows = new Map<string, InputChange>();
  for (const path of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const x = a.get(path);
    const y = b.get(path);
    if (a.has(path) === b.has(path) && isDeepStrictEqual(x, y)) continue;
    const secretRoot = secrets.filter((s) => under(path, [s])).sort((p, q) => p.length - q.length)[0];
    if (secretRoot !== undefined) {
      rows.set(secretRoot, { path: secretRoot, secret: true });
      continue;
    }
    rows.set(path, { path, before: x, after: y, secret: false });
  }
  return [...rows.values()];
}

/**
 * Rendered files that differ, with counts of changed lines and no content: many of them feed
 * secret inputs (a VM's user data), whose changes plan.json cannot show, and a line of one may
 * have been secret in the other plan.
 */
export function diffFiles(
  base: ReadonlyMap<string, string>,
  head: ReadonlyMap<string, string>,
): FileChange[] {
  const out: FileChange[] = [];
  for (const path of [...new Set([...base.keys(), ...head.keys()])].sort()) {
    const a = base.get(path);
    const b = head.get(path);
    if (a === b) continue;
    const patch = structuredPatch(path, path, a ?? "", b ?? "", "", "", { context: 0 });
    const lines = patch.hunks.flatMap((h) => h.lines);
    out.push({
      path,
      kind: a === undefined ? "added" : b === undefined ? "removed" : "changed",
      added: lines.filter((l) => l.startsWith("+")).length,
      removed: lines.filter((l) => l.startsWith("-")).length,
    });
  }
  return out;
}

export function diffPlans(
  base: DiffPlan,
  head: DiffPlan,
  files: { base: ReadonlyMap<string, string>; head: ReadonlyMap<string, string> } = {
    base: new Map(),
    head: new Map(),
  },
): PlanDiff {
  const byUrn = (p: DiffPlan) => new Map(p.resources.map((r) => [r.urn, r]));
  const a = byUrn(base);
  const b = byUrn(head);
  const changes: ResourceChange[] = [];
  let unchanged = 0;
  const entry = (kind: ResourceChange["kind"], r: Resource, inputs: InputChange[]): ResourceChange => ({
    kind,
    type: r.type,
    name: r.name,
    urn: r.urn,
    inputs,
  });
  for (const [urn, r] of b) {
    const old = a.get(urn);
    if (!old) changes.push(entry("added", r, []));
    else if (isDeepStrictEqual(old.inputs, r.inputs)) unchanged += 1;
    else changes.push(entry("changed", r, inputChanges(old.inputs, r.inputs)));
  }
  for (const [urn, r] of a) if (!b.has(urn)) changes.push(entry("removed", r, []));
  changes.sort((x, y) => x.type.localeCompare(y.type) || x.name.localeCompare(y.name));
  return {
    stack: head.stack || base.stack,
    project: head.project || base.project,
    changes,
    unchanged,
    files: diffFiles(files.base, files.head),
  };
}

// ---- Markdown ---------------------------------------------------------------------------------

const KIND_MARK = { added: "+", removed: "-", changed: "~" } as const;
const MAX_ROWS_PER_RESOURCE = 25;
const MAX_TEXT_DIFF_LINES = 30;

function code(s: string): string {
  // Inline code that survives backticks and pipes in the value.
  const text = s.replace(/\|/g, "\\|").replace(/\r?\n/g, "⏎");
  return text.includes("`") ? `\`\` ${text} \`\`` : `\`${text}\``;
}

function shown(v: unknown): string {
  if (v === undefined) return "(none)";
  const text = typeof v === "string" ? v : JSON.stringify(v);
  return code(text.length > 80 ? `${text.slice(0, 77)}...` : text);
}

function isText(v: unknown): v is string {
  return typeof v === "string" && (v.includes("\n") || v.length > 80);
}

/** A capped unified diff of a multi-line input (cloud-init, scripts), in a ```diff block. */
function textDiff(path: string, before: string, after: string): string[] {
  const patch = structuredPatch(path, path, before, after, "", "", { context: 1 });
  const lines = patch.hunks.flatMap((h) => [
    `@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`,
    ...h.lines,
  ]);
  const cut = lines.length > MAX_TEXT_DIFF_LINES;
  const body = lines.slice(0, MAX_TEXT_DIFF_LINES).map((l) => l.replace(/```/g, "'''"));
  return [
    `<details><summary><code>${path}</code>: text changed</summary>`,
    "",
    "```diff",
    ...body,
    ...(cut ? [`... ${lines.length - MAX_TEXT_DIFF_LINES} more lines`] : []),
    "```",
    "</details>",
    "",
  ];
}

function resourceSection(c: ResourceChange): string[] {
  const out = [`#### ${KIND_MARK[c.kind]} ${code(c.name)} (${code(c.type)})`, ""];
  if (c.kind !== "changed") return out;
  const rows = c.inputs.slice(0, MAX_ROWS_PER_RESOURCE);
  const texts: string[] = [];
  out.push("| Input | Before | After |", "|---|---|---|");
  for (const i of rows) {
    if (i.secret)
      out.push(`| ${code(i.path)} | [secret] | [secret] (secret in one plan or both: values not shown) |`);
    else if (isText(i.before) && isText(i.after)) {
      out.push(`| ${code(i.path)} | text | text (diff below) |`);
      texts.push(...textDiff(i.path, i.before, i.after));
    } else out.push(`| ${code(i.path)} | ${shown(i.before)} | ${shown(i.after)} |`);
  }
  if (c.inputs.length > rows.length)
    out.push(`| ... | ${c.inputs.length - rows.length} more changed inputs | |`);
  return [...out, "", ...texts];
}

export function renderMarkdown(d: PlanDiff): string {
  const count = (k: ResourceChange["kind"]) => d.changes.filter((c) => c.kind === k).length;
  const head = `### Plan diff: stack \`${d.stack}\` (${d.project})`;
  const totals = `**${count("added")} to add, ${count("changed")} to change, ${count("removed")} to remove** (${d.unchanged} unchanged)`;
  const files = filesSection(d.files);
  if (d.changes.length === 0)
    return [head, "", `No resource changes (${d.unchanged} resources).`, "", ...files].join("\n");
  const types = [...new Set(d.changes.map((c) => c.type))].sort();
  const table = ["| Type | Added | Changed | Removed |", "|---|---:|---:|---:|"];
  for (const t of types) {
    const n = (k: ResourceChange["kind"]) => d.changes.filter((c) => c.type === t && c.kind === k).length;
    table.push(`| ${code(t)} | ${n("added")} | ${n("changed")} | ${n("removed")} |`);
  }
  const details = d.changes.flatMap(resourceSection);
  return [
    head,
    "",
    totals,
    "",
    ...table,
    "",
    "<details><summary>Resources and changed inputs</summary>",
    "",
    ...details,
    "</details>",
    "",
    ...files,
  ].join("\n");
}

function filesSection(files: FileChange[]): string[] {
  if (files.length === 0) return [];
  const rows = files.map((f) => `| ${code(f.path)} | ${f.kind} | +${f.added} −${f.removed} |`);
  return [
    `<details><summary>Rendered files changed: ${files.length} (line counts only)</summary>`,
    "",
    "| File | | Lines |",
    "|---|---|---|",
    ...rows,
    "</details>",
    "",
  ];
}
