// The cluster's pure renderers: whole-output checks on the text they produce, and each bad
// input refused with a message naming it. No mocks.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse } from "yaml";
import {
  KUBESPRAY,
  renderGroupVars,
  renderInventory,
  renderNodeCloudInit,
  renderRunnerScript,
  renderUploadScript,
  rewriteKubeconfigServer,
  stepCommand,
  SUPPORTED_KUBERNETES_VERSIONS,
} from "../../../components/cluster";
import type { InventoryInput } from "../../../components/cluster";
import { mockKubeconfig } from "../../harness/mock-state";

const h = (name: string, last: number, floatingIp?: string) => ({
  name,
  ip: `10.20.0.${last}`,
  ...(floatingIp ? { floatingIp } : {}),
});

export const INVENTORY: InventoryInput = {
  controlPlane: [h("paasa-cp-2", 12), h("paasa-cp-1", 11), h("paasa-cp-3", 13)],
  workers: [h("paasa-worker-10", 30), h("paasa-worker-2", 22), h("paasa-worker-1", 21, "198.51.100.40")],
  sshUser: "ubuntu",
  from: "operator",
  bastion: { address: "198.51.100.10", user: "ubuntu" },
};

type Inv = {
  all: {
    hosts: Record<string, Record<string, string>>;
    children: Record<string, { hosts?: Record<string, unknown>; children?: Record<string, unknown> }>;
  };
};

describe("renderInventory", () => {
  const inv = parse(renderInventory(INVENTORY)) as Inv;

  it("puts hosts in Kubespray's groups, sorted naturally, etcd on the control plane", () => {
    const groups = inv.all.children;
    assert.deepEqual(Object.keys(groups.kube_control_plane.hosts!), [
      "paasa-cp-1",
      "paasa-cp-2",
      "paasa-cp-3",
    ]);
    assert.deepEqual(Object.keys(groups.kube_node.hosts!), [
      "paasa-worker-1",
      "paasa-worker-2",
      "paasa-worker-10",
    ]);
    assert.deepEqual(Object.keys(groups.etcd.hosts!), ["paasa-cp-1", "paasa-cp-2", "paasa-cp-3"]);
    assert.deepEqual(Object.keys(groups.k8s_cluster.children!), ["kube_control_plane", "kube_node"]);
  });

  it("uses the fixed IP for ip/access_ip and jumps through the bastion when a node has no floating IP", () => {
    const cp1 = inv.all.hosts["paasa-cp-1"];
    assert.equal(cp1.ip, "10.20.0.11");
    assert.equal(cp1.access_ip, "10.20.0.11");
    assert.equal(cp1.ansible_host, "10.20.0.11");
    assert.match(cp1.ansible_ssh_common_args, /-o ProxyJump=ubuntu@198\.51\.100\.10 /);
    assert.equal(cp1.etcd_member_name, "etcd1");
    assert.equal(inv.all.hosts["paasa-cp-3"].etcd_member_name, "etcd3");
    assert.equal(inv.all.hosts["paasa-worker-2"].etcd_member_name, undefined);
  });

  it("never puts a floating IP in ip/access_ip (kubespray#10101); it is only ansible_host", () => {
    const w1 = inv.all.hosts["paasa-worker-1"];
    assert.equal(w1.ansible_host, "198.51.100.40");
    assert.equal(w1.ip, "10.20.0.21");
    assert.equal(w1.access_ip, "10.20.0.21");
    assert.doesNotMatch(w1.ansible_ssh_common_args, /ProxyJump/);
  });

  it("connects to fixed IPs directly when Ansible runs on the bastion", () => {
    const runner = parse(renderInventory({ ...INVENTORY, from: "runner" })) as Inv;
    for (const [name, vars] of Object.entries(runner.all.hosts)) {
      assert.equal(vars.ansible_host, vars.ip, name);
      assert.doesNotMatch(vars.ansible_ssh_common_args, /ProxyJump/, name);
    }
  });

  it("names separate etcd hosts as the etcd group", () => {
    const sep = parse(
      renderInventory({
        ...INVENTORY,
        etcd: [h("paasa-etcd-1", 41), h("paasa-etcd-2", 42), h("paasa-etcd-3", 43)],
      }),
    ) as Inv;
    assert.deepEqual(Object.keys(sep.all.children.etcd.hosts!), [
      "paasa-etcd-1",
      "paasa-etcd-2",
      "paasa-etcd-3",
    ]);
    assert.equal(sep.all.hosts["paasa-etcd-2"].etcd_member_name, "etcd2");
    assert.equal(sep.all.hosts["paasa-cp-1"].etcd_member_name, undefined);
  });

  it("is deterministic whatever the input order", () => {
    const shuffled = { ...INVENTORY, controlPlane: [...INVENTORY.controlPlane].reverse() };
    assert.equal(renderInventory(shuffled), renderInventory(INVENTORY));
  });

  const bad: Array<[string, Partial<InventoryInput>, RegExp]> = [
    [
      "an even etcd count",
      { controlPlane: [h("a-cp-1", 1), h("a-cp-2", 2)] },
      /etcd must have an odd number/,
    ],
    ["no worker", { workers: [] }, /workers must list at least one host/],
    [
      "an uppercase host",
      { workers: [h("Paasa-worker-1", 21)] },
      /workers: host name "Paasa-worker-1" must be a lowercase/,
    ],
    ["an underscore host", { workers: [h("paasa_worker_1", 21)] }, /must be a lowercase RFC 1123 label/],
    ["a duplicate IP", { workers: [h("paasa-worker-1", 11)] }, /ip 10\.20\.0\.11 is used twice/],
    [
      "a bad IP",
      { workers: [{ name: "w-1", ip: "10.20.0" }] },
      /workers\.w-1\.ip "10\.20\.0" must be an IPv4 address/,
    ],
  ];
  for (const [what, patch, re] of bad) {
    it(`refuses ${what}`, () => assert.throws(() => renderInventory({ ...INVENTORY, ...patch }), re));
  }
});

describe("renderGroupVars", () => {
  const input = {
    clusterName: "jetstream-iu-paasa",
    kubernetesVersion: "1.35.4",
    networkPlugin: "calico" as const,
    podCidr: "10.233.64.0/18",
    serviceCidr: "10.233.0.0/18",
    apiVip: "10.20.0.50",
    apiExtraAddresses: ["198.51.100.11"],
    apiPort: 6443,
  };
  const files = renderGroupVars(input);

  it("writes all/ and k8s_cluster/ files like Kubespray's sample", () => {
    assert.deepEqual(Object.keys(files).sort(), [
      "group_vars/all/all.yml",
      "group_vars/k8s_cluster/k8s-cluster.yml",
    ]);
    for (const t of Object.values(files)) assert.ok(t.endsWith("\n"));
  });

  it("pins the version, CNI, CIDRs, cluster name and the API addresses in the certificate", () => {
    const k = parse(files["group_vars/k8s_cluster/k8s-cluster.yml"]) as Record<string, unknown>;
    assert.equal(k.kube_version, "1.35.4");
    assert.equal(k.kube_network_plugin, "calico");
    assert.equal(k.kube_pods_subnet, "10.233.64.0/18");
    assert.equal(k.kube_service_addresses, "10.233.0.0/18");
    assert.equal(k.cluster_name, "jetstream-iu-paasa");
    assert.equal(k.dns_domain, "cluster.local");
    assert.deepEqual(k.supplementary_addresses_in_ssl_keys, ["10.20.0.50", "198.51.100.11"]);
    assert.equal(k.kube_vip_address, "10.20.0.50");
    assert.equal(k.kube_proxy_strict_arp, true, "kube-vip ARP mode under IPVS needs strict ARP");
    const a = parse(files["group_vars/all/all.yml"]) as Record<string, unknown>;
    assert.deepEqual(a.loadbalancer_apiserver, { address: "10.20.0.50", port: 6443 });
  });

  it("refuses what Kubespray would refuse later", () => {
    assert.throws(
      () => renderGroupVars({ ...input, kubernetesVersion: "1.32.9" }),
      /kubernetesVersion "1\.32\.9"/,
    );
    assert.throws(() => renderGroupVars({ ...input, clusterName: "Jetstream" }), /clusterName "Jetstream"/);
    assert.throws(() => renderGroupVars({ ...input, apiVip: "vip" }), /apiVip "vip"/);
  });
});

describe("pins", () => {
  it("holds one Kubespray release with its ansible pin and the versions it installs", () => {
    assert.equal(KUBESPRAY.version, "v2.31.0");
    assert.ok(KUBESPRAY.pythonRequirements.includes("ansible==11.13.0"));
    assert.ok(SUPPORTED_KUBERNETES_VERSIONS.includes(KUBESPRAY.defaultKubernetesVersion));
    assert.ok(SUPPORTED_KUBERNETES_VERSIONS.includes("1.33.0"));
    assert.ok(!SUPPORTED_KUBERNETES_VERSIONS.includes("1.35.5"));
    assert.equal(SUPPORTED_KUBERNETES_VERSIONS.length, 25);
  });
});

describe("renderNodeCloudInit", () => {
  const doc = parse(renderNodeCloudInit({ hostname: "paasa-worker-1", role: "worker" })) as Record<
    string,
    unknown
  >;

  it("stops unattended-upgrades before it can hold the apt lock, and does no apt work itself", () => {
    assert.match(JSON.stringify(doc.bootcmd), /systemctl stop [^"]*unattended-upgrades\.service/);
    assert.match(JSON.stringify(doc.bootcmd), /systemctl mask [^"]*apt-daily\.timer/);
    assert.equal(doc.package_update, false);
    assert.equal(doc.package_upgrade, false);
    const files = doc.write_files as Array<{ path: string; content: string }>;
    const auto = files.find((f) => f.path === "/etc/apt/apt.conf.d/20auto-upgrades");
    assert.match(auto!.content, /Unattended-Upgrade "0"/);
  });

  it("loads the kernel modules and sysctls Kubernetes needs and turns swap off", () => {
    const files = doc.write_files as Array<{ path: string; content: string }>;
    assert.match(
      files.find((f) => f.path.startsWith("/etc/modules-load.d/"))!.content,
      /br_netfilter\noverlay/,
    );
    assert.match(
      files.find((f) => f.path.startsWith("/etc/sysctl.d/"))!.content,
      /net\.ipv4\.ip_forward = 1/,
    );
    assert.match(JSON.stringify(doc.runcmd), /"swapoff","-a"/);
    assert.deepEqual((doc.ntp as { ntp_client: string }).ntp_client, "chrony");
  });

  it("hardens sshd (keys only, no forwarding on nodes) and keeps /etc/hosts for Kubespray", () => {
    const files = doc.write_files as Array<{ path: string; content: string }>;
    const sshd = files.find((f) => f.path.includes("sshd_config.d"))!.content;
    assert.match(sshd, /PasswordAuthentication no/);
    assert.match(sshd, /AllowTcpForwarding no/);
    assert.equal(doc.ssh_pwauth, false);
    assert.equal(doc.manage_etc_hosts, false);
    assert.equal(doc.hostname, "paasa-worker-1");
  });

  it("refuses host names Kubespray refuses, and private keys", () => {
    assert.throws(
      () => renderNodeCloudInit({ hostname: "paasA-cp-1", role: "control-plane" }),
      /hostname "paasA-cp-1"/,
    );
    assert.throws(
      () =>
        renderNodeCloudInit({
          hostname: "a",
          role: "worker",
          sshAuthorizedKeys: ["-----BEGIN OPENSSH PRIVATE KEY-----"],
        }),
      /public keys only/,
    );
  });
});

describe("runner script and step commands", () => {
  const script = renderRunnerScript({
    clusterName: "jetstream-iu-paasa",
    kubernetesVersion: "1.35.4",
    apiVip: "10.20.0.50",
    apiPort: 6443,
  });

  it("pins the Kubespray commit and the pip requirements, and checks the ansible-core range", () => {
    assert.match(script, /KUBESPRAY_COMMIT="1c9add48975060f45396b34d8e022c30d7f80dab"/);
    assert.match(
      script,
      /PY_REQUIREMENTS="ansible==11\.13\.0 cryptography==46\.0\.7 jmespath==1\.1\.0 netaddr==1\.3\.0"/,
    );
    assert.match(script, /ANSIBLE_CORE_MIN="2\.18\.0"/);
    assert.match(script, /ANSIBLE_CORE_MAX="2\.19\.0"/);
  });

  it("runs one Kubespray playbook per operation, removal without a prompt", () => {
    assert.match(script, /run_playbook cluster\.yml --become/);
    assert.match(script, /run_playbook scale\.yml --become --limit "\$limit"/);
    assert.match(script, /run_playbook upgrade-cluster\.yml --become/);
    assert.match(script, /run_playbook remove-node\.yml .*-e skip_confirmation=true/);
  });

  it("keeps the key off the disk and ansible output out of Pulumi", () => {
    assert.match(script, /ssh-add -q - /);
    assert.doesNotMatch(script, /id_rsa|id_ed25519|> *~\/\.ssh/);
    assert.match(script, />"\$log_file" 2>&1/);
  });

  it("builds exact, shell-safe step commands", () => {
    assert.equal(
      stepCommand("jetstream-iu-paasa", "scale", ["paasa-worker-1", "paasa-worker-2"]),
      'bash "$HOME/jetstream-paas/jetstream-iu-paasa/commands.sh" scale paasa-worker-1 paasa-worker-2',
    );
    assert.throws(
      () => stepCommand("jetstream-iu-paasa", "scale", ["w; rm -rf /"]),
      /argument "w; rm -rf \/"/,
    );
    assert.throws(() => stepCommand("Bad", "install"), /clusterName "Bad"/);
  });

  it("uploads files through base64 so no content can break the script", () => {
    const up = renderUploadScript("c", { "inventory/x.yaml": "a'b\nEOF\n$(x)" });
    assert.match(up, /mkdir -p "\$d\/logs" "\$d\/inventory"/);
    assert.ok(up.includes(Buffer.from("a'b\nEOF\n$(x)").toString("base64")));
    assert.doesNotMatch(up, /\$\(x\)/);
    assert.throws(() => renderUploadScript("c", { "../etc/passwd": "" }), /upload path "\.\.\/etc\/passwd"/);
  });
});

describe("rewriteKubeconfigServer", () => {
  it("points every cluster at the reachable API address and keeps the credentials", () => {
    const text = mockKubeconfig("t");
    const out = rewriteKubeconfigServer(text, "https://198.51.100.11:6443");
    const doc = parse(out) as { clusters: Array<{ cluster: { server: string } }>; users: unknown[] };
    assert.equal(doc.clusters[0].cluster.server, "https://198.51.100.11:6443");
    assert.equal(JSON.stringify(doc.users), JSON.stringify((parse(text) as { users: unknown[] }).users));
  });

  it("refuses a kubeconfig without clusters without echoing it", () => {
    assert.throws(
      () => rewriteKubeconfigServer("users: [secret-stuff]\n", "https://a:6443"),
      (e: Error) => /no clusters/.test(e.message) && !e.message.includes("secret-stuff"),
    );
  });
});
