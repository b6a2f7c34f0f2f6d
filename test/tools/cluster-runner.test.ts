// The runner script with real bash and stand-ins for the tools it drives: ansible-playbook
// and kubectl record their arguments, ssh-agent/ssh-add/ssh answer locally. Proves which
// Kubespray playbook each step runs, and when it runs none. Nothing leaves this machine.
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { after, before, beforeEach, describe, it } from "node:test";
import { renderRunnerScript } from "../../components/cluster";
import { requireTools } from "../harness/tools";

const CLUSTER = "jetstream-iu-paasa";
const root = mkdtempSync(join(tmpdir(), "jsp-runner-"));
after(() => rmSync(root, { recursive: true, force: true }));
const home = join(root, "home");
const work = join(home, "jetstream-paas", CLUSTER);
const bin = join(root, "bin");
const calls = join(root, "calls.log");

function stub(path: string, body: string): void {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, `#!/usr/bin/env bash\n${body}\n`);
  chmodSync(path, 0o755);
}

/** kubectl stand-in: node names and kubelet versions come from files the test writes. */
function setCluster(nodes: Array<[string, string]>): void {
  writeFileSync(join(root, "nodes"), nodes.map(([n]) => n).join("\n") + (nodes.length ? "\n" : ""));
  writeFileSync(join(root, "versions"), nodes.map(([, v]) => v).join("\n") + (nodes.length ? "\n" : ""));
}

function run(
  step: string,
  ...args: string[]
): { status: number; stderr: string; stdout: string; calls: string[] } {
  writeFileSync(calls, "");
  const r = spawnSync("bash", [join(work, "commands.sh"), step, ...args], {
    env: { HOME: home, PATH: `${bin}:/usr/bin:/bin` },
    input: "stand-in key text\n",
    encoding: "utf8",
    timeout: 60_000,
  });
  return {
    status: r.status ?? -1,
    stderr: r.stderr,
    stdout: r.stdout,
    calls: readFileSync(calls, "utf8").split("\n").filter(Boolean),
  };
}

describe("runner script steps (bash, stand-in tools)", () => {
  before(() => {
    requireTools(["shellcheck"]);
    mkdirSync(work, { recursive: true });
    writeFileSync(
      join(work, "commands.sh"),
      renderRunnerScript({
        clusterName: CLUSTER,
        kubernetesVersion: "1.35.4",
        apiVip: "10.20.0.50",
        apiPort: 6443,
      }),
    );
    mkdirSync(join(work, "kubespray"), { recursive: true });
    stub(
      join(work, "venv", "bin", "ansible-playbook"),
      `echo "ansible-playbook $*" >>"${calls}"; echo "PLAY RECAP"`,
    );
    stub(
      join(work, "inventory", "artifacts", "kubectl"),
      [
        `echo "kubectl $*" >>"${calls}"`,
        `case "$*" in`,
        `  *kubeletVersion*) cat "${root}/versions" ;;`,
        `  *"get nodes"*) cat "${root}/nodes" ;;`,
        `  *readyz*) exit 0 ;;`,
        `esac`,
      ].join("\n"),
    );
    writeFileSync(join(work, "inventory", "artifacts", "admin.conf"), "apiVersion: v1\nkind: Config\n");
    stub(
      join(bin, "ssh-agent"),
      `[ "\${1:-}" = -k ] && exit 0; echo "SSH_AUTH_SOCK=${root}/agent.sock; export SSH_AUTH_SOCK;"`,
    );
    stub(join(bin, "ssh-add"), `cat >"${root}/key-seen"`);
    stub(join(bin, "ssh"), `echo "ssh $*" >>"${calls}"; exit 0`);
  });
  beforeEach(() => rmSync(join(root, "key-seen"), { force: true }));

  it("install waits for the nodes then runs cluster.yml, with the key loaded from stdin", () => {
    setCluster([]);
    const r = run("install");
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.calls[0],
      /^ansible-playbook -i \S+\/inventory\/inventory\.yaml \S+\/playbooks\/wait-for-nodes\.yml$/,
    );
    assert.match(r.calls[1], /^ansible-playbook -i \S+ --become cluster\.yml$/);
    assert.equal(readFileSync(join(root, "key-seen"), "utf8"), "stand-in key text\n");
    assert.equal(r.stdout, "", "nothing on stdout: Pulumi state gets no Ansible output");
    assert.ok(existsSync(join(work, "logs")));
  });

  it("scale adds only the workers that are not nodes yet, after refreshing facts", () => {
    setCluster([
      ["paasa-cp-1", "v1.35.4"],
      ["paasa-worker-1", "v1.35.4"],
    ]);
    const r = run("scale", "paasa-worker-1", "paasa-worker-2", "paasa-worker-3");
    assert.equal(r.status, 0, r.stderr);
    const playbooks = r.calls.filter((c) => c.startsWith("ansible-playbook"));
    assert.match(playbooks[0], /--limit paasa-worker-2,paasa-worker-3 .*wait-for-nodes\.yml$/);
    assert.match(playbooks[1], /--become playbooks\/facts\.yml$/);
    assert.match(playbooks[2], /--become --limit paasa-worker-2,paasa-worker-3 scale\.yml$/);
  });

  it("scale runs nothing when every worker is already a node", () => {
    setCluster([["paasa-worker-1", "v1.35.4"]]);
    const r = run("scale", "paasa-worker-1");
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.calls.filter((c) => c.startsWith("ansible-playbook")).length, 0);
    assert.match(r.stderr, /nothing to scale/);
  });

  it("upgrade runs upgrade-cluster.yml only when a node runs another version", () => {
    setCluster([
      ["paasa-cp-1", "v1.35.4"],
      ["paasa-worker-1", "v1.35.4"],
    ]);
    let r = run("upgrade");
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.calls.filter((c) => c.startsWith("ansible-playbook")).length, 0);
    setCluster([
      ["paasa-cp-1", "v1.35.4"],
      ["paasa-worker-1", "v1.34.7"],
    ]);
    r = run("upgrade");
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.calls.filter((c) => c.startsWith("ansible-playbook"))[0],
      /--become upgrade-cluster\.yml$/,
    );
  });

  it("remove-node runs remove-node.yml without a prompt, the node put back in the inventory", () => {
    setCluster([["paasa-worker-3", "v1.35.4"]]);
    const r = run("remove-node", "paasa-worker-3", "10.20.0.70");
    assert.equal(r.status, 0, r.stderr);
    const pb = r.calls.filter((c) => c.startsWith("ansible-playbook"))[0];
    assert.match(
      pb,
      /-i \S+\/removing-paasa-worker-3\.yaml -e node=paasa-worker-3 -e skip_confirmation=true -e reset_nodes=true remove-node\.yml$/,
    );
    assert.ok(
      !existsSync(join(work, "inventory", "removing-paasa-worker-3.yaml")),
      "temporary inventory removed",
    );
  });

  it("remove-node does nothing for a node the cluster does not know", () => {
    setCluster([["paasa-worker-1", "v1.35.4"]]);
    const r = run("remove-node", "paasa-worker-9", "10.20.0.79");
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.calls.filter((c) => c.startsWith("ansible-playbook")).length, 0);
  });

  it("a failed playbook fails the step and names the log on the bastion", () => {
    setCluster([]);
    const pb = join(work, "venv", "bin", "ansible-playbook");
    const saved = readFileSync(pb, "utf8");
    stub(
      pb,
      `echo "ansible-playbook $*" >>"${calls}"; echo "PLAY RECAP"; echo "paasa-cp-1 : ok=3 failed=1 unreachable=0"; exit 2`,
    );
    try {
      const r = run("install");
      assert.notEqual(r.status, 0);
      assert.match(
        r.stderr,
        /wait-for-nodes\.yml failed; the log is \S+\/logs\/\S+-wait-for-nodes\.log on the bastion/,
      );
      assert.match(r.stderr, /failed=1/);
    } finally {
      writeFileSync(pb, saved);
    }
  });

  it("kubeconfig prints the admin kubeconfig and nothing else on stdout", () => {
    const r = run("kubeconfig");
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "apiVersion: v1\nkind: Config\n");
  });
});
