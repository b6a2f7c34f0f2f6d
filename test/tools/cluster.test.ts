// Real tools on the cluster stack's rendered files, taken from an actual `npm run synth` of
// iu then paasA: cloud-init schema on every node, ansible-inventory on both inventories,
// ansible-playbook --syntax-check on our playbook, shellcheck on the runner script.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { cloudInitSchema, requireTools, runTool } from "../harness/tools";
import { runSynth } from "../harness/synth";

const outRoot = mkdtempSync(join(tmpdir(), "jsp-cluster-tools-"));
after(() => rmSync(outRoot, { recursive: true, force: true }));
let out = "";

interface AnsibleList {
  _meta: { hostvars: Record<string, Record<string, string>> };
  [group: string]: { hosts?: string[]; children?: string[] } | AnsibleList["_meta"];
}

function inventoryList(file: string): AnsibleList {
  const r = runTool("ansible-inventory", ["-i", file, "--list"]);
  assert.ok(r.ok, r.output);
  return JSON.parse(r.output) as AnsibleList;
}

describe("real tools on the synthesized paasA cluster", () => {
  before(() => {
    requireTools(["cloud-init", "ansible-inventory", "ansible-playbook", "shellcheck"]);
    assert.equal(runSynth("iu", outRoot, ["--quiet"]).status, 0);
    const run = runSynth("paasA", outRoot, ["--quiet"]);
    assert.equal(run.status, 0, run.stderr);
    out = run.outDir;
  });

  it("every node cloud-config passes cloud-init schema", async () => {
    const files = readdirSync(join(out, "cloud-init")).filter((f) => f.startsWith("paasa-"));
    assert.equal(files.length, 6);
    // One cloud-init process per file, in parallel: its start-up is most of the cost.
    const results = await Promise.all(
      files.map((f) =>
        promisify(execFile)("cloud-init", ["schema", "--config-file", join(out, "cloud-init", f)]).then(
          (r) => ({ f, ok: true, output: r.stdout + r.stderr }),
          (e: { stdout?: string; stderr?: string }) => ({
            f,
            ok: false,
            output: `${e.stdout ?? ""}${e.stderr ?? ""}`,
          }),
        ),
      ),
    );
    for (const r of results) {
      assert.ok(r.ok, `${r.f}: ${r.output}`);
      assert.match(r.output, /Valid (cloud-config|schema)/, r.f);
    }
  });

  it("cloud-init schema is a real check here: a broken node config fails", () => {
    const text = readFileSync(join(out, "cloud-init", "paasa-cp-1.yaml"), "utf8").replace(
      "package_update: false",
      "package_update: [1]",
    );
    assert.equal(cloudInitSchema(text, outRoot, "broken.yaml").ok, false);
  });

  it("ansible-inventory reads the operator inventory: groups, ip, ansible_host, ProxyJump, etcd names", () => {
    const inv = inventoryList(join(out, "kubespray", "inventory.yaml"));
    const hosts = (g: string) => ((inv[g] as { hosts?: string[] }).hosts ?? []).sort();
    assert.deepEqual(hosts("kube_control_plane"), ["paasa-cp-1", "paasa-cp-2", "paasa-cp-3"]);
    assert.deepEqual(hosts("kube_node"), ["paasa-worker-1", "paasa-worker-2", "paasa-worker-3"]);
    assert.deepEqual(hosts("etcd"), ["paasa-cp-1", "paasa-cp-2", "paasa-cp-3"]);
    assert.deepEqual(((inv.k8s_cluster as { children?: string[] }).children ?? []).sort(), [
      "kube_control_plane",
      "kube_node",
    ]);
    const site = JSON.parse(readFileSync(join(outRoot, "iu", "outputs.json"), "utf8")) as {
      outputs: { bastionAddress: string };
    };
    for (const [name, v] of Object.entries(inv._meta.hostvars)) {
      assert.match(v.ip, /^10\.20\./, name);
      assert.equal(v.ansible_host, v.ip, name);
      assert.match(
        v.ansible_ssh_common_args,
        new RegExp(`ProxyJump=ubuntu@${site.outputs.bastionAddress.replace(/\./g, "\\.")}`),
      );
    }
    assert.equal(inv._meta.hostvars["paasa-cp-2"].etcd_member_name, "etcd2");
  });

  it("ansible-inventory reads the runner inventory: direct fixed IPs, no jump", () => {
    const inv = inventoryList(join(out, "kubespray", "runner", "inventory.yaml"));
    for (const [name, v] of Object.entries(inv._meta.hostvars)) {
      assert.equal(v.ansible_host, v.ip, name);
      assert.doesNotMatch(v.ansible_ssh_common_args, /ProxyJump/, name);
    }
  });

  it("Ansible applies the group_vars to the right hosts in the runner's layout", () => {
    // Same layout as on the bastion: inventory/inventory.yaml beside inventory/group_vars/.
    const dir = join(outRoot, "runner-layout", "inventory");
    mkdirSync(dir, { recursive: true });
    cpSync(join(out, "kubespray", "runner", "inventory.yaml"), join(dir, "inventory.yaml"));
    cpSync(join(out, "kubespray", "group_vars"), join(dir, "group_vars"), { recursive: true });
    const inv = inventoryList(join(dir, "inventory.yaml"));
    for (const host of ["paasa-cp-1", "paasa-worker-3"]) {
      const v = inv._meta.hostvars[host] as unknown as Record<string, unknown>;
      assert.equal(v.kube_version, "1.35.4", host);
      assert.equal(v.kube_network_plugin, "calico", host);
      assert.equal(v.cluster_name, "jetstream-iu-paasa", host);
      assert.equal((v.loadbalancer_apiserver as { port: number }).port, 6443, host);
      assert.equal(v.kube_vip_address, (v.loadbalancer_apiserver as { address: string }).address, host);
    }
  });

  it("the runner script refuses an unknown step with its usage", () => {
    const home = mkdtempSync(join(outRoot, "home-"));
    const r = runTool("env", [`HOME=${home}`, "bash", join(out, "kubespray", "commands.sh"), "bogus"]);
    assert.equal(r.ok, false);
    assert.match(r.output, /usage: commands\.sh prepare\|install\|upgrade\|scale\|remove-node\|kubeconfig/);
    const r2 = runTool("env", [
      `HOME=${home}`,
      "bash",
      join(out, "kubespray", "commands.sh"),
      "remove-node",
      "x",
    ]);
    assert.match(r2.output, /remove-node needs NAME and IP/);
  });

  it("ansible-playbook --syntax-check accepts our playbook against the inventory", () => {
    const r = runTool("ansible-playbook", [
      "--syntax-check",
      "-i",
      join(out, "kubespray", "inventory.yaml"),
      join(out, "kubespray", "playbooks", "wait-for-nodes.yml"),
    ]);
    assert.ok(r.ok, r.output);
    const bad = join(outRoot, "bad-playbook.yml");
    writeFileSync(bad, "- hosts: all\n  tasks:\n    - name: x\n      no_such_module_xyz: {}\n");
    assert.equal(runTool("ansible-playbook", ["--syntax-check", "-i", "localhost,", bad]).ok, false);
  });

  it("shellcheck finds nothing in the runner script, and bash parses it", () => {
    const script = join(out, "kubespray", "commands.sh");
    const r = runTool("shellcheck", ["--severity=style", script]);
    assert.ok(r.ok, r.output);
    assert.ok(runTool("bash", ["-n", script]).ok);
  });
});
