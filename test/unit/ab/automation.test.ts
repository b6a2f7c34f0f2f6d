// The automation runner: the real Automation API (@pulumi/pulumi/automation) against a
// stand-in for the Pulumi CLI first on PATH (test/harness/pulumi-standin.ts), which records
// what it was asked and answers like the CLI. Proves which stacks are selected where, what
// config and tags are written, that output streams, that Pulumi's stack lock and the A/B lock
// are respected, and the one-line answer when there is no CLI at all.
import assert from "node:assert/strict";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { main } from "../../../tools/ab";
import { REPO_ROOT, resolveStack } from "../../../tools/lib/stack-files";
import { pulumiStandin, Standin, StandinState } from "../../harness/pulumi-standin";

const A = "organization/jetstream-paas-cluster/paasA";
const B = "organization/jetstream-paas-cluster/paasB";
const PAAS = join(REPO_ROOT, "stacks", "paas");

function initial(): StandinState {
  const iu = resolveStack("iu");
  const config = Object.fromEntries(
    Object.entries(iu.config).map(([k, v]) => [k, { value: v, secret: iu.secretKeys.includes(k) }]),
  );
  const slotOutputs = (n: string) => ({
    ingressNodes: [`10.20.0.${n}1`, `10.20.0.${n}2`],
    kubernetesVersion: "1.35.4",
    kubeconfig: "apiVersion: v1\nkind: Config\n",
  });
  return {
    stacks: {
      iu: {
        config,
        tags: {},
        outputs: { edgePublicAddress: "198.51.100.10" },
        history: [
          {
            version: 7,
            kind: "update",
            result: "succeeded",
            startTime: "2026-11-30T10:00:00Z",
            endTime: "2026-11-30T10:05:00Z",
          },
        ],
      },
      [A]: {
        config: {},
        tags: {},
        outputs: slotOutputs("6"),
        secretOutputs: ["kubeconfig"],
        history: [
          {
            version: 3,
            kind: "update",
            result: "succeeded",
            startTime: "2026-11-30T09:00:00Z",
            endTime: "2026-11-30T09:40:00Z",
          },
        ],
      },
      [B]: {
        config: {},
        tags: {},
        outputs: {},
        upOutputs: slotOutputs("7"),
        secretOutputs: ["kubeconfig"],
        history: [],
      },
    },
  };
}

let standin: Standin;
const saved = { ...process.env };

async function ab(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const o: string[] = [];
  const e: string[] = [];
  const code = await main(argv, { out: (l) => o.push(l), err: (l) => e.push(l) });
  return { code, out: o, err: e };
}
const text = (r: { out: string[] }) => r.out.join("\n");
const calls = () => standin.calls().map((c) => ({ cmd: c.args.join(" "), cwd: c.cwd }));

describe("ab with the automation runner (Automation API, stand-in CLI)", { timeout: 120_000 }, () => {
  let server: http.Server;
  let via: string;
  before(async () => {
    server = http.createServer((_req, res) => res.end("ok\n"));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    via = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  beforeEach(() => {
    standin = pulumiStandin(initial());
    process.env.PATH = standin.path;
    process.env.JSP_STANDIN_STATE = standin.stateFile;
    process.env.JSP_STANDIN_LOG = standin.logFile;
    process.env.PULUMI_SKIP_UPDATE_CHECK = "true";
  });
  after(() => {
    process.env = saved;
    server.close();
  });

  it("says in one line that there is no Pulumi CLI, and suggests --runner synth", async () => {
    process.env.PATH = "/nonexistent";
    const r = await ab("status");
    assert.equal(r.code, 1);
    assert.deepEqual(r.err, [
      "ab: the automation runner drives the Pulumi CLI and no `pulumi` is on PATH; install it (https://www.pulumi.com/docs/install/) or run offline with --runner synth",
    ]);
  });

  it("status selects each stack in its project folder and reads config, tags, outputs and history", async () => {
    const r = await ab("status");
    assert.equal(r.code, 0, r.err.join("\n"));
    assert.match(text(r), /site iu \(automation runner\): live paasA \(site config\), pre-live paasB/);
    assert.match(
      text(r),
      /paasA {2}live {6}up, \? resources, 2026-11-30T09:40:00.000Z; k8s 1\.35\.4; version update-3/,
    );
    assert.match(text(r), /paasB {2}pre-live {2}not up/);
    const c = calls();
    assert.ok(c.some((x) => x.cmd === "stack select --stack iu" && x.cwd === REPO_ROOT));
    assert.ok(c.some((x) => x.cmd === `stack select --stack ${A}` && x.cwd === PAAS));
    assert.ok(c.some((x) => x.cmd === "config --show-secrets --json --stack iu"));
    assert.ok(c.some((x) => x.cmd === "stack tag ls --json --stack iu"));
    assert.ok(!c.some((x) => /^(up|destroy|config set)/.test(x.cmd)), "status changes nothing");
  });

  it("up paasB: pulumi up of the slot (output streamed), edge.prelive in the site config, site up, lock taken and released", async () => {
    const r = await ab("up", "paasB");
    assert.equal(r.code, 0, r.err.join("\n"));
    assert.match(
      text(r),
      /\[1\/3\] bring up slot paasB \(pulumi up\)\n {4}\| Updating \(organization\/jetstream-paas-cluster\/paasB\):/,
    );
    const c = calls().map((x) => `${x.cwd === PAAS ? "paas" : "root"}: ${x.cmd}`);
    const at = (re: RegExp) => c.findIndex((x) => re.test(x));
    assert.ok(at(/^root: stack tag set jsp-ab:lock \S+ up-paasB /) >= 0, "A/B lock taken");
    assert.ok(
      at(/^paas: up --yes --skip-preview .*--stack organization\/jetstream-paas-cluster\/paasB/) >
        at(/jsp-ab:lock/),
    );
    assert.ok(
      at(/^root: config set --path jetstream-paas:edge\.prelive --stack iu --plaintext -- paasB$/) >
        at(/^paas: up/),
    );
    assert.ok(
      at(/^root: up --yes --skip-preview .*--stack iu/) >
        at(/config set --path jetstream-paas:edge\.prelive/),
    );
    assert.ok(at(/^root: stack tag rm jsp-ab:lock --stack iu$/) > at(/^root: up/), "lock released last");
    const st = standin.state();
    assert.equal(st.stacks.iu.tags["jsp-ab:prelive"], "paasB");
    assert.equal(st.stacks.iu.tags["jsp-ab:lock"], undefined);
    assert.equal(JSON.parse(st.stacks.iu.config["jetstream-paas:edge"].value).prelive, "paasB");
  });

  it("respects Pulumi's stack lock: another update in progress is a one-line refusal", async () => {
    const s = standin.state();
    s.stacks[B].locked = true;
    standin.write(s);
    const r = await ab("up", "paasB");
    assert.equal(r.code, 1);
    assert.equal(r.err.length, 1);
    assert.match(
      r.err[0],
      /^ab: pulumi up organization\/jetstream-paas-cluster\/paasB: refused, another update of the stack is in progress \(Pulumi's stack lock\)/,
    );
    assert.equal(standin.state().stacks.iu.tags["jsp-ab:lock"], undefined, "the A/B lock is released");
  });

  it("refuses a second operator while the site's A/B lock tag is held, before any update", async () => {
    const s = standin.state();
    s.stacks.iu.tags["jsp-ab:lock"] = "bob@ops-laptop switch-paasB 2026-12-01T08:00:00.000Z a1b2c3";
    standin.write(s);
    const r = await ab("up", "paasB");
    assert.equal(r.code, 1);
    assert.match(r.err[0], /up paasB: refused, bob@ops-laptop holds the A\/B lock for "switch-paasB"/);
    assert.ok(!calls().some((x) => x.cmd.startsWith("up ")));
  });

  it("smoke records the result in the slot stack's tags with its update number; switch then passes the smoke rule", async () => {
    const s = standin.state();
    s.stacks[B].outputs = s.stacks[B].upOutputs!;
    s.stacks[B].history.push({
      version: 1,
      kind: "update",
      result: "succeeded",
      startTime: "2026-12-01T09:00:00Z",
      endTime: "2026-12-01T09:30:00Z",
    });
    standin.write(s);
    const r = await ab("smoke", "paasB", "--via", via);
    assert.equal(r.code, 0, r.err.join("\n"));
    assert.match(text(r), /\(--via without --socket, or synth runner\): route not checked/);
    assert.match(standin.state().stacks[B].tags["jsp-ab:smoke"], /^passed update-1 \S+ 1\/1_checks$/);
    // the switch now gets past its preconditions and reaches the edge: over SSH, which this test has not
    const sw = await ab("switch", "paasB");
    assert.equal(sw.code, 1);
    assert.match(sw.err[0], /the site stack exports no edgeHosts/);
    assert.equal(
      standin.state().stacks.iu.tags["jsp-ab:live"],
      undefined,
      "nothing recorded: the edge did not switch",
    );
  });

  it("refuses switch without smoke and retire of the live slot; retires a slot never live with pulumi destroy", async () => {
    const s = standin.state();
    s.stacks[B].outputs = s.stacks[B].upOutputs!;
    standin.write(s);
    assert.match((await ab("switch", "paasB")).err[0], /paasB has no passed smoke test/);
    assert.match((await ab("retire", "paasA", "--yes")).err[0], /paasA is live/);
    const r = await ab("retire", "paasB", "--yes");
    assert.equal(r.code, 0, r.err.join("\n"));
    assert.ok(
      calls().some(
        (x) =>
          x.cwd === PAAS &&
          /^destroy --yes --skip-preview .*--stack organization\/jetstream-paas-cluster\/paasB/.test(x.cmd),
      ),
    );
    assert.ok(calls().some((x) => x.cmd === "config rm jetstream-paas:edge.prelive --stack iu --path"));
  });
});
