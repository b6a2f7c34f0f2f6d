// GIVEN each shipped stack file, WHEN any one value in it is replaced by a value of the wrong
// shape, THEN the refusal is one line per problem in our form `key = value: rule` (or
// `key: rule`), and none of the schema library's own English leaks through.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ConfigError, parseStackConfig } from "../../../components/config";
import { readStackConfigMap, resolveStack } from "../../../tools/lib/stack-files";

const ZOD_ENGLISH =
  /Too (small|big)|Invalid (input|option|type|key|element|string)|expected \w+, received|expected (number|string|array|object|record) to/i;
const LINE = /^[A-Za-z0-9_.:\-[\]]+( = .+)?: \S/;
const WRONG: unknown[] = [[], {}, -1, 0.5, "x", true, null, ["a", 1]];

type Json = unknown;

/** Every path to a leaf (and to every map/list) of a decoded config value. */
function paths(v: Json, prefix: Array<string | number> = []): Array<Array<string | number>> {
  const here = prefix.length > 0 ? [prefix] : [];
  if (Array.isArray(v)) return [...here, ...v.flatMap((e, i) => paths(e, [...prefix, i]))];
  if (v && typeof v === "object") {
    return [...here, ...Object.entries(v).flatMap(([k, e]) => paths(e, [...prefix, k]))];
  }
  return here;
}

function setAt(v: Json, path: Array<string | number>, value: unknown): Json {
  if (path.length === 0) return value;
  const copy = Array.isArray(v) ? [...v] : { ...(v as Record<string, unknown>) };
  const [head, ...rest] = path;
  (copy as Record<string | number, unknown>)[head] = setAt(
    (v as Record<string | number, unknown>)[head],
    rest,
    value,
  );
  return copy;
}

function decode(text: string): Json {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

for (const stack of ["iu", "tacc", "paasA"]) {
  describe(`wording of refusals: every value of ${stack} broken in turn`, () => {
    const files = resolveStack(stack);
    const kind = files.project === "jetstream-paas" ? "site" : "cluster";
    it("refuses each wrong shape in our words", () => {
      let tried = 0;
      for (const [key, text] of Object.entries(files.config)) {
        if (!key.startsWith(`${files.project}:`)) continue;
        const value = decode(text);
        for (const path of paths(value).concat([[]])) {
          for (const wrong of WRONG) {
            const broken = setAt(value, path, wrong);
            const values = {
              ...files.config,
              [key]: typeof broken === "string" ? broken : JSON.stringify(broken),
            };
            let lines: readonly string[] = [];
            try {
              parseStackConfig(kind, { values, secretKeys: new Set(files.secretKeys) });
              continue; // some replacements are valid (a string where any string will do)
            } catch (err) {
              assert.ok(
                err instanceof ConfigError,
                `${key}${JSON.stringify(path)} = ${JSON.stringify(wrong)}: ${String(err)}`,
              );
              lines = err.lines;
            }
            tried += 1;
            assert.ok(lines.length > 0);
            for (const line of lines) {
              assert.match(line, LINE, `not in our form: ${line}`);
              assert.doesNotMatch(line, ZOD_ENGLISH, `zod's wording leaks: ${line}`);
            }
          }
        }
      }
      assert.ok(tried > 100, `only ${tried} refusals tried`);
    });
  });
}

describe("values that are never echoed", () => {
  it("a private key pasted into ssh.publicKey is redacted, not quoted", () => {
    const files = resolveStack("iu");
    const pasted =
      "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----\n";
    const ssh = { ...(JSON.parse(files.config["jetstream-paas:ssh"]) as object), publicKey: pasted };
    try {
      parseStackConfig("site", {
        values: { ...files.config, "jetstream-paas:ssh": JSON.stringify(ssh) },
        secretKeys: new Set(),
      });
      assert.fail("accepted a private key as the public key");
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      const line = err.lines.find((l) => l.includes("ssh.publicKey"))!;
      assert.match(line, /^jetstream-paas:ssh\.publicKey = \[redacted: looks like a private key\]: /);
      assert.ok(!err.lines.join("\n").includes("b3BlbnNzaC1rZXkt"));
    }
  });
});

describe("stack files that are not valid YAML", () => {
  const cases: Array<[string, string, RegExp]> = [
    [
      "a duplicate key",
      "config:\n  a: 1\n  a: 2\n",
      /^bad\.yaml:3:3: not valid YAML \(Map keys must be unique\)$/,
    ],
    [
      "a tab",
      "config:\n\tjetstream-paas:site: iu\n",
      /^bad\.yaml:2:1: not valid YAML \(Tabs are not allowed/,
    ],
    ["an unclosed list", "config:\n  x: [1, 2\n", /^bad\.yaml:3:1: not valid YAML \(/],
    ["config as a list", "config: [1, 2]\n", /^bad\.yaml: config = \[1,2\]: must be a map of keys$/],
    ["a list at the top", "- config\n", /^bad\.yaml: must be a YAML map with a `config:` key$/],
  ];
  for (const [what, text, line] of cases) {
    it(`refuses ${what} with file, line and column`, () => {
      const dir = mkdtempSync(join(tmpdir(), "jsp-yaml-"));
      const file = join(dir, "bad.yaml");
      writeFileSync(file, text);
      try {
        assert.throws(
          () => readStackConfigMap(file),
          (err: unknown) => {
            assert.ok(err instanceof ConfigError);
            assert.equal(err.lines.length, 1, err.lines.join("\n"));
            assert.match(err.lines[0].replace(`${dir}/`, ""), line);
            return true;
          },
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
