// `npm run synth` of the cluster stacks end to end, and the real tools on what it wrote: one
// synth of iu then paasA (with a secure SSH key, as an operator's stack file has it) serves
// the plan checks, the no-secrets check, cloud-init schema on every node, ansible-inventory on
// both inventories, ansible-playbook --syntax-check on our playbook and shellcheck on the
// runner script. (One file, so the ~5 s synth runs are not repeated.)
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import type { Plan } from "../../tools/synth";
import { mockSecret, MOCK_KUBECONFIG_KEY_DATA } from "../harness/mock-state";
import { cloudInitSchema, requireTools, runTool } from "../harness/tools";
import { readJson, ROOT, runSynth } from "../harness/synth";

const outRoot = mkdtempSync(join(tmpdir(), "jsp-cluster-tools-"));
after(() => rmSync(outRoot, { recursive: true, force: true }));
let out = "";
let keyed: ReturnType<typeof runSynth>;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

function withConfig(
  stack: string,
  edit: (text: string) => string,
  root = outRoot,
): ReturnType<typeof runSynth> {
  const file = join(root, `Pulumi.${stack}.edited.yaml`);
  mkdirSync(root, { recursive: true });
  writeFileSync(file, edit(readFileSync(join(ROOT, "stacks", "paas", `Pulumi.${stack}.yaml`), "utf8")));
  return runSynth(stack, root, ["--config", file]);
}

interface AnsibleList {
  _meta: { hostvars: Record<string, Record<string, string>> };
  [group: string]: { hosts?: string[]; children?: string[] } | AnsibleList["_meta"];
}

function inventoryList(file: string): AnsibleList {
  const r = runTool("ansible-inventory", ["-i", file, "--list"]);
  assert.ok(r.ok, r.output);
  return JSON.parse(r.output) as AnsibleList;
}

describe("synth of paasA and the real tools on its files", () => {
  before(() => {
    requireTools(["cloud-init", "ansible-inventory", "ansible-playbook", "shellcheck"]);
    assert.equal(runSynth("iu", outRoot, ["--quiet"]).status, 0);
    keyed = withConfig(
      "paasA",
      (t) => `${t}  jetstream-paas-cluster:sshPrivateKey:\n    secure: v1:AAAAAAAAAAAAAAAA:zzzz\n`,
    );
    assert.equal(keyed.status, 0, keyed.stderr);
    out = keyed.outDir;
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

  it("plans >= 3 control-plane and >= 1 worker VMs, the remote steps and the kubernetes provider", () => {
    const run = keyed;
    assert.equal(run.status, 0, run.stderr);
    const plan = readJson<Plan>(join(run.outDir, "plan.json"));
    const vms = plan.resources.filter((r) => r.type === "openstack:compute/instance:Instance");
    assert.ok(vms.filter((v) => /-cp-\d+$/.test(String(v.inputs.name))).length >= 3);
    assert.ok(vms.filter((v) => /-worker-\d+$/.test(String(v.inputs.name))).length >= 1);
    assert.ok(plan.resources.some((r) => r.type === "command:remote:Command" && r.name === "paasa-install"));
    const provider = plan.resources.find((r) => r.type === "pulumi:providers:kubernetes");
    assert.equal(provider?.inputs.clusterIdentifier, "jetstream-iu-paasa");
    // the cloud side of the cluster hangs under the cluster component (the mesh has its own,
    // the slot's config container its own: docs/ab-upgrade.md)
    for (const r of plan.resources) {
      if (/^openstack:objectstorage\//.test(r.type)) assert.equal(r.parent, "paasa-config", r.name);
      else if (/^(openstack|command):/.test(r.type)) assert.equal(r.parent, "paasa", r.name);
    }
  });

  it("exports the contract outputs, kubeconfig as a secret", () => {
    const out = readJson<{ outputs: Record<string, unknown>; secretOutputNames: string[] }>(
      join(outRoot, "paasA", "outputs.json"),
    );
    for (const k of [
      "site",
      "slot",
      "clusterName",
      "kubeconfig",
      "apiAddress",
      "ingressNodes",
      "ingressNodePorts",
    ]) {
      assert.ok(k in out.outputs, k);
    }
    // deployKubeconfig: the deploy identity Jenkins holds (docs/delivery.md section 7)
    assert.deepEqual(out.secretOutputNames, ["deployKubeconfig", "grafanaAdminPassword", "kubeconfig"]);
    assert.equal(out.outputs.kubeconfig, "[secret]");
    assert.deepEqual(out.outputs.ingressNodePorts, { http: 30080, https: 30443, status: 30021 });
    assert.equal((out.outputs.ingressNodes as string[]).length, 3);
  });

  it("writes no private key and no kubeconfig material to out/", () => {
    const run = keyed;
    assert.equal(run.status, 0, run.stderr);
    assert.doesNotMatch(run.stderr, /no SSH private key given/);
    const standIn = mockSecret("jetstream-paas-cluster:sshPrivateKey");
    for (const f of filesUnder(run.outDir)) {
      const text = readFileSync(f, "utf8");
      assert.ok(!text.includes(standIn), `${f} holds the private key`);
      assert.ok(!text.includes(MOCK_KUBECONFIG_KEY_DATA), `${f} holds kubeconfig key data`);
      assert.doesNotMatch(text, /client-key-data|BEGIN [A-Z ]*PRIVATE KEY/, f);
    }
  });

  it("refuses an even control-plane count in Pulumi.paasA.yaml with one line and plans nothing", () => {
    // Its own out root: the shared one keeps the good paasA plan for the other tests.
    const run = withConfig(
      "paasA",
      (t) => t.replace(/(controlPlane:\n\s+count:) 3/, "$1 4"),
      join(outRoot, "refused"),
    );
    assert.equal(run.status, 1);
    assert.match(
      run.stderr,
      /^config error: jetstream-paas-cluster:cluster\.controlPlane\.count = 4: must be odd \(etcd keeps quorum/m,
    );
    assert.match(run.stderr, /synth: paasA: refused, nothing planned/);
    assert.ok(!existsSync(join(run.outDir, "plan.json")));
  });

  it("plans paasB with its own names beside paasA in the same site", () => {
    const run = runSynth("paasB", outRoot, ["--quiet"]);
    assert.equal(run.status, 0, run.stderr);
    const plan = readJson<Plan>(join(run.outDir, "plan.json"));
    const names = plan.resources
      .filter((r) => r.type === "openstack:compute/instance:Instance")
      .map((r) => String(r.inputs.name));
    assert.ok(names.length >= 4 && names.every((n) => n.startsWith("paasb-")), names.join(","));
  });
});
