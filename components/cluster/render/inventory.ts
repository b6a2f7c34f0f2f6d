// Kubespray inventory (Ansible YAML) of one cluster. Pure: plain input, text out.
// Addressing follows Kubespray's split (docs/ansible/vars.md; kubespray#10101, #1859): `ip` and
// `access_ip` are the fixed address on the NIC, which etcd and kubelet bind to and peer over;
// only `ansible_host` may be a floating IP, and nodes without one are reached through the bastion.
import { parseIp } from "../../../src/cidr";
import { isDnsLabel } from "../../../src/naming";
import { toYaml } from "../../../src/yaml";

export interface InventoryHost {
  name: string;
  /** fixed IP on the site subnet */
  ip: string;
  /** floating IP, when config gives the node one */
  floatingIp?: string;
}

export interface InventoryInput {
  controlPlane: readonly InventoryHost[];
  workers: readonly InventoryHost[];
  /** separate etcd nodes; empty or absent = etcd on the control plane */
  etcd?: readonly InventoryHost[];
  /** login user on every node */
  sshUser: string;
  /**
   * Where Ansible runs. `operator`: outside the site (a workstation or CI), so nodes without a
   * floating IP are reached with ProxyJump through the bastion. `runner`: on the bastion itself,
   * inside the subnet, so every node is reached at its fixed IP directly.
   */
  from: "operator" | "runner";
  /** bastion public address and user, for ProxyJump (operator mode) */
  bastion: { address: string; user: string };
}

const SSH_OPTS = "-o StrictHostKeyChecking=accept-new -o ServerAliveInterval=30";

function checkHost(h: InventoryHost, where: string): void {
  if (!isDnsLabel(h.name))
    throw new Error(`${where}: host name "${h.name}" must be a lowercase RFC 1123 label`);
  if (parseIp(h.ip) === undefined) throw new Error(`${where}.${h.name}.ip "${h.ip}" must be an IPv4 address`);
  if (h.floatingIp !== undefined && parseIp(h.floatingIp) === undefined) {
    throw new Error(`${where}.${h.name}.floatingIp "${h.floatingIp}" must be an IPv4 address`);
  }
}

const byName = (a: InventoryHost, b: InventoryHost) => a.name.localeCompare(b.name, "en", { numeric: true });

export function renderInventory(input: InventoryInput): string {
  const cp = [...input.controlPlane].sort(byName);
  const workers = [...input.workers].sort(byName);
  const etcdHosts = [...(input.etcd ?? [])].sort(byName);
  if (cp.length === 0) throw new Error("controlPlane must list at least one host");
  if (workers.length === 0) throw new Error("workers must list at least one host");
  const etcd = etcdHosts.length > 0 ? etcdHosts : cp;
  if (etcd.length % 2 === 0) throw new Error(`etcd must have an odd number of members, got ${etcd.length}`);
  cp.forEach((h) => checkHost(h, "controlPlane"));
  workers.forEach((h) => checkHost(h, "workers"));
  etcdHosts.forEach((h) => checkHost(h, "etcd"));
  if (input.from === "operator" && parseIp(input.bastion.address) === undefined) {
    throw new Error(`bastion.address "${input.bastion.address}" must be an IPv4 address`);
  }

  const all = [...cp, ...etcdHosts, ...workers];
  const seen = new Set<string>();
  const ips = new Set<string>();
  for (const h of all) {
    if (seen.has(h.name)) throw new Error(`host ${h.name} is listed twice`);
    if (ips.has(h.ip)) throw new Error(`host ${h.name}: ip ${h.ip} is used twice`);
    seen.add(h.name);
    ips.add(h.ip);
  }

  const etcdNames = new Map(etcd.map((h, i) => [h.name, `etcd${i + 1}`]));
  const hosts: Record<string, Record<string, string>> = {};
  for (const h of all) {
    const vars: Record<string, string> = { ip: h.ip, access_ip: h.ip, ansible_user: input.sshUser };
    if (input.from === "runner") {
      vars.ansible_host = h.ip;
      vars.ansible_ssh_common_args = SSH_OPTS;
    } else if (h.floatingIp) {
      vars.ansible_host = h.floatingIp;
      vars.ansible_ssh_common_args = SSH_OPTS;
    } else {
      vars.ansible_host = h.ip;
      vars.ansible_ssh_common_args = `-o ProxyJump=${input.bastion.user}@${input.bastion.address} ${SSH_OPTS}`;
    }
    const member = etcdNames.get(h.name);
    if (member) vars.etcd_member_name = member;
    hosts[h.name] = vars;
  }
  const group = (list: readonly InventoryHost[]) => ({
    hosts: Object.fromEntries(list.map((h) => [h.name, {}])),
  });
  const doc = {
    all: {
      hosts,
      children: {
        kube_control_plane: group(cp),
        kube_node: group(workers),
        etcd: group(etcd),
        k8s_cluster: { children: { kube_control_plane: {}, kube_node: {} } },
      },
    },
  };
  return `# Kubespray inventory rendered by jetstream-paas (Ansible runs from: ${input.from}). Do not edit.\n${toYaml(doc, { sortKeys: false })}`;
}
