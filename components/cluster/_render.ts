// Phase 2 of a KubesprayCluster: everything Kubespray reads (inventories, group_vars, the
// runner script, the wait playbook), rendered in one apply and registered as artifacts. The
// text is passed on as the remote steps' inputs, so out/ shows exactly what the bastion gets.
import * as pulumi from "@pulumi/pulumi";
import { registerArtifact } from "../../src/artifacts";
import { cidrsOverlap, parseCidr } from "../../src/cidr";
import type { ClusterNames, PlannedNode, PlannedNodes } from "./_nodes";
import type { ClusterSettings } from "./kubespray-cluster";
import { GroupVarsFiles, renderGroupVars } from "./render/group-vars";
import { InventoryHost, renderInventory } from "./render/inventory";
import { renderRunnerScript, renderWaitPlaybook } from "./render/runner";

/** @internal */
export interface RenderedCluster {
  operatorInventory: string;
  runnerInventory: string;
  groupVars: GroupVarsFiles;
  runnerScript: string;
  playbook: string;
}

/** @internal The inventory hosts of a node list: fixed IP as `ip`, floating IP if any. */
export function hostsOf(nodes: PlannedNode[]): pulumi.Output<InventoryHost[]> {
  return pulumi
    .all(nodes.map((node) => pulumi.all([node.ip, node.floatingIp])))
    .apply((pairs) =>
      pairs.map(([ip, fip], i) => ({ name: nodes[i].host, ip, ...(fip ? { floatingIp: fip } : {}) })),
    );
}

/** @internal */
export interface RenderInputs {
  n: ClusterNames;
  settings: ClusterSettings;
  nodes: PlannedNodes;
  apiVip: pulumi.Output<string>;
  apiAddress: pulumi.Output<string>;
  bastionAddress: pulumi.Input<string>;
  subnetCidr: pulumi.Input<string>;
  parent: pulumi.Resource;
}

/** @internal Renders and registers the Kubespray files; the pod/service CIDRs are checked against the subnet. */
export function renderClusterFiles(r: RenderInputs): pulumi.Output<RenderedCluster> {
  const { n, settings: s } = r;
  const rendered = pulumi
    .all([
      hostsOf(r.nodes.controlPlane),
      hostsOf(r.nodes.etcd),
      hostsOf(r.nodes.workers),
      r.apiVip,
      r.apiAddress,
      r.bastionAddress,
      r.subnetCidr,
    ])
    .apply(([cpH, etcdH, workerH, vip, address, bastion, subnetCidr]) => {
      checkAgainstSubnet(s, subnetCidr, r.parent);
      const inventoryInput = {
        controlPlane: cpH,
        workers: workerH,
        etcd: etcdH,
        sshUser: s.sshUser,
        bastion: { address: bastion, user: s.sshUser },
      };
      return {
        operatorInventory: renderInventory({ ...inventoryInput, from: "operator" }),
        runnerInventory: renderInventory({ ...inventoryInput, from: "runner" }),
        groupVars: renderGroupVars({
          clusterName: n.clusterName,
          kubernetesVersion: s.kubernetesVersion,
          networkPlugin: s.networkPlugin,
          podCidr: s.podCidr,
          serviceCidr: s.serviceCidr,
          apiVip: vip,
          apiExtraAddresses: address !== vip ? [address] : [],
          apiPort: s.apiPort,
        }),
        runnerScript: renderRunnerScript({
          clusterName: n.clusterName,
          kubernetesVersion: s.kubernetesVersion,
          apiVip: vip,
          apiPort: s.apiPort,
        }),
        playbook: renderWaitPlaybook(),
      };
    });
  registerArtifact("kubespray/inventory.yaml", rendered.operatorInventory);
  registerArtifact("kubespray/runner/inventory.yaml", rendered.runnerInventory);
  for (const file of ["group_vars/all/all.yml", "group_vars/k8s_cluster/k8s-cluster.yml"] as const) {
    registerArtifact(
      `kubespray/${file}`,
      rendered.groupVars.apply((g) => g[file]),
    );
  }
  registerArtifact("kubespray/commands.sh", rendered.runnerScript);
  registerArtifact("kubespray/playbooks/wait-for-nodes.yml", rendered.playbook);
  return rendered;
}

/**
 * The site subnet is known only once the site stack's output resolves. The stack program checks
 * the same rule up front with the config keys' names (stacks/paas/cluster.ts); this is the
 * component's own guard for other programs.
 */
function checkAgainstSubnet(s: ClusterSettings, subnetCidr: string, parent: pulumi.Resource): void {
  const subnet = parseCidr(subnetCidr);
  for (const [key, c] of [
    ["podCidr", s.podCidr],
    ["serviceCidr", s.serviceCidr],
  ] as const) {
    const other = parseCidr(c);
    if (subnet && other && cidrsOverlap(subnet, other)) {
      throw new pulumi.ResourceError(`${key} ${c} overlaps the site subnet ${subnetCidr}`, parent);
    }
  }
}
