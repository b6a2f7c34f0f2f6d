// Label selectors as `kubectl -l` takes them: `a=b`, `a==b`, `a!=b`, `a`, `!a`,
// `a in (x,y)`, `a notin (x,y)`, comma-separated (all must hold). Parsed once, matched on labels.
import { UsageError } from "../../lib/cli";

export type Requirement =
  { key: string; op: "exists" | "absent" } | { key: string; op: "in" | "notin"; values: string[] };

export type Selector = Requirement[];

const KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of text) {
    if (ch === "(") depth += 1;
    if (ch === ")") depth -= 1;
    if (ch === "," && depth === 0) {
      terms.push(cur.trim());
      cur = "";
    } else cur += ch;
  }
  terms.push(cur.trim());
  return terms.filter((t) => t.length > 0);
}

function checkKey(key: string, term: string): string {
  if (!KEY.test(key)) throw new UsageError(`--selector ${term}: "${key}" is not a label key`);
  return key;
}

function checkValues(values: string[], term: string): string[] {
  for (const v of values)
    if (!VALUE.test(v)) throw new UsageError(`--selector ${term}: "${v}" is not a label value`);
  return values;
}

function parseTerm(term: string): Requirement {
  const set = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
  if (set) {
    const values = set[3].split(",").map((v) => v.trim());
    return { key: checkKey(set[1], term), op: set[2] as "in" | "notin", values: checkValues(values, term) };
  }
  const eq = /^([^!=\s]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
  if (eq) {
    const values = checkValues([eq[3].trim()], term);
    return { key: checkKey(eq[1], term), op: eq[2] === "!=" ? "notin" : "in", values };
  }
  if (term.startsWith("!")) return { key: checkKey(term.slice(1).trim(), term), op: "absent" };
  return { key: checkKey(term, term), op: "exists" };
}

/** Parses a selector; a malformed one is a usage mistake (exit 2). */
export function parseSelector(text: string): Selector {
  const terms = splitTerms(text);
  if (terms.length === 0) throw new UsageError("--selector: is empty");
  return terms.map(parseTerm);
}

export function matchesSelector(labels: Record<string, string> | undefined, selector: Selector): boolean {
  const l = labels ?? {};
  return selector.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    switch (r.op) {
      case "exists":
        return has;
      case "absent":
        return !has;
      case "in":
        return has && r.values.includes(l[r.key]);
      case "notin":
        return !has || !r.values.includes(l[r.key]);
    }
  });
}

/** The selector as the API's `labelSelector` query parameter takes it. */
export function selectorText(selector: Selector): string {
  return selector
    .map((r) => {
      if (r.op === "in" || r.op === "notin") return `${r.key} ${r.op} (${r.values.join(",")})`;
      return r.op === "exists" ? r.key : `!${r.key}`;
    })
    .join(",");
}
