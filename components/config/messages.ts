// Our words for the schema library's generic refusals. Fields that state their own rule keep
// it (a schema-level `error` wins); this map only answers where a field said nothing, so that
// no line of zod's own English ("Too small: expected number to be >=0", "Invalid input:
// expected record, received array") reaches an operator.
import type { z } from "zod";

const TYPE_WORDS: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  array: "a list",
  object: "a map of keys",
  record: "a map of keys",
  map: "a map of keys",
  bigint: "a whole number",
  date: "a date",
  null: "empty",
  undefined: "left out",
};

function typeWord(expected: unknown): string {
  return TYPE_WORDS[String(expected)] ?? String(expected);
}

function bound(kind: "at least" | "at most", origin: unknown, limit: unknown, inclusive: unknown): string {
  const n = Number(limit);
  const exact = inclusive === false ? (kind === "at least" ? n + 1 : n - 1) : n;
  switch (origin) {
    case "string":
      return `must be ${kind} ${exact} character${exact === 1 ? "" : "s"} long${exact === 1 && kind === "at least" ? " (not empty)" : ""}`;
    case "array":
    case "set":
      return `must have ${kind} ${exact} entr${exact === 1 ? "y" : "ies"}`;
    default:
      return `must be ${kind} ${exact}`;
  }
}

/** The per-parse error map (`schema.safeParse(v, { error: ourWords })`). */
export function ourWords(issue: z.core.$ZodRawIssue): string {
  const i = issue as z.core.$ZodRawIssue & Record<string, unknown>;
  switch (i.code) {
    case "invalid_type":
      return `must be ${typeWord(i.expected)}`;
    case "too_small":
      return bound("at least", i.origin, i.minimum, i.inclusive);
    case "too_big":
      return bound("at most", i.origin, i.maximum, i.inclusive);
    case "invalid_value":
      return `must be one of ${(i.values as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
    case "invalid_format":
      return `must be a valid ${String(i.format)}`;
    case "not_multiple_of":
      return `must be a multiple of ${String(i.divisor)}`;
    case "invalid_union":
      return "matches none of the accepted forms (see docs/configuration.md)";
    case "invalid_key":
      return "has a key that is not allowed here";
    case "invalid_element":
      return "has an entry that is not allowed here";
    default:
      return "is not accepted here (see docs/configuration.md)";
  }
}
