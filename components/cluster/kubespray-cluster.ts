import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { registerArtifact } from "../../src/artifacts";
import { cidrsOverlap, parseCidr } from "../../src/cidr";
import { shortHash } from "../../src/hash";
import { isDnsLabel } from "../../src/naming";
import { KUBESPRAY, SUPPORTED_KUBERNETES_VERSIONS } from "./pins";
import { renderGroupVars } from "./render/group-vars";
import { InventoryHost, renderInventory } from "./render/inventory";
import { rewriteKubeconfigServer } from "./render/kubeconfig";
import { NodeRole, renderNodeCloudInit } from "./render/node-cloud-init";
import {
  renderRunnerScript,
  renderUploadScript,
  renderWaitPlaybook,
  RunnerStep,
  stepCommand,
} from "./render/runner";

/** One group of identical nodes. */
export interface KubesprayNodePoolArgs {
  count: number;
  /** Jetstream2 flavor, e.g. m3.quad */
  flavor: string;
  /** a floating IP per node; Ansible then connects to it instead of jumping through the bastion */
  floatingIp?: boolean;
  /** boot from a Cinder volume of this many GB instead of the flavor's disk */
  bootVolumeGb?: number;
}

export interface KubesprayWorkerPoolArgs extends KubesprayNodePoolArgs {
  /** @default "soft": tolerates more workers than hypervisors */
  antiAffinity?: "soft" | "hard";
}

/** The site's network shell, from the site stack's outputs or given directly. */
export interface KubesprayClusterNetworkArgs {
  networkId: pulumi.Input<string>;
  subnetId: pulumi.Input<string>;
  /** the site subnet; checked against the pod and service CIDRs */
  subnetCidr: pulumi.Input<string>;
  /** the site's `nodes` security group */
  nodeSecurityGroupId: pulumi.Input<string>;
  /** Nova keypair installed on every node */
  keypairName: pulumi.Input<string>;
  /** public address of the bastion: Kubespray runs there, and operators jump through it */
  bastionAddress: pulumi.Input<string>;
  /** @default "public" */
  externalNetwork?: string;
}

export interface KubesprayClusterArgs {
  /** site name ("iu", "tacc") */
  site: string;
  /** slot name ("paasA", "paasB"): node names and the cluster identity derive from it */
  slot: string;
  /** @default slot in lowercase ("paasa"), so nodes are `paasa-cp-1`, `paasa-worker-1` */
  namePrefix?: string;
  /** Kubespray cluster_name and the provider's clusterIdentifier. @default `jetstream-<site>-<slot>` */
  clusterName?: string;
  network: KubesprayClusterNetworkArgs;
  /** Glance image name for every node (Featured-Ubuntu24) */
  image: string;
  /** odd count (etcd quorum); 3 for HA */
  controlPlane: KubesprayNodePoolArgs;
  workers: KubesprayWorkerPoolArgs;
  /** separate etcd nodes (odd count); absent = etcd stacked on the control plane */
  etcd?: { count: number; flavor: string };
  /** @default the pinned Kubespray's default (pins.ts) */
  kubernetesVersion?: string;
  /** @default "calico" */
  networkPlugin?: "calico" | "cilium" | "flannel";
  /** @default "10.233.64.0/18" */
  podCidr?: string;
  /** @default "10.233.0.0/18" */
  serviceCidr?: string;
  /** API VIP: a floating IP for clients outside the site (default true), the port (default 6443) */
  api?: { floatingIp?: boolean; port?: number };
  ssh: {
    /** @default "ubuntu" */
    user?: string;
    /**
     * The private key the bastion accepts (the site keypair's). Must be a Pulumi secret: the
     * command provider keeps it encrypted in state and passes it on stdin to a short-lived
     * ssh-agent on the bastion. Without it the remote steps cannot log in.
     */
    privateKey?: pulumi.Input<string>;
    /** extra public keys for the nodes' default user */
    authorizedKeys?: string[];
  };
}

interface PlannedNode {
  host: string;
  role: NodeRole;
  port: openstack.networking.Port;
  instance: openstack.compute.Instance;
  ip: pulumi.Output<string>;
  floatingIp?: pulumi.Output<string>;
}

/**
 * A Kubernetes cluster built by Kubespray on Jetstream2 VMs: control-plane (and optional etcd)
 * and worker VMs with anti-affinity, an API VIP moved by kube-vip, and Kubespray run from the
 * site's bastion by remote commands that re-run only when their inputs change.
 */
export class KubesprayCluster extends pulumi.ComponentResource {
  /** kubeconfig of the cluster admin, server rewritten to `apiAddress`; secret */
  public readonly kubeconfig: pulumi.Output<string>;
  /** Kubernetes provider for this cluster, stable across kubeconfig changes */
  public readonly provider: k8s.Provider;
  /** fixed IPs of the workers: the nodes the edge sends traffic to (ingress NodePorts) */
  public readonly ingressNodes: pulumi.Output<string[]>;
  /** address clients use for the API: the VIP's floating IP, or the VIP when it has none */
  public readonly apiAddress: pulumi.Output<string>;
  /** the API VIP on the site subnet */
  public readonly apiVip: pulumi.Output<string>;
  public readonly controlPlaneIps: pulumi.Output<string[]>;
  public readonly slot: string;
  public readonly clusterName: string;

  constructor(name: string, args: KubesprayClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jetstream:cluster:KubesprayCluster", name, args, opts);
    const r = createKubesprayCluster(name, args, this);
    this.kubeconfig = r.kubeconfig;
    this.provider = r.provider;
    this.ingressNodes = r.ingressNodes;
    this.apiAddress = r.apiAddress;
    this.apiVip = r.apiVip;
    this.controlPlaneIps = r.controlPlaneIps;
    this.slot = args.slot;
    this.clusterName = r.clusterName;
    this.registerOutputs({
      kubeconfig: this.kubeconfig,
      ingressNodes: this.ingressNodes,
      apiAddress: this.apiAddress,
      apiVip: this.apiVip,
      controlPlaneIps: this.controlPlaneIps,
      slot: this.slot,
      clusterName: this.clusterName,
    });
  }
}

/** @internal Checks the arguments a config schema would have checked; names the bad one. */
function validate(args: KubesprayClusterArgs, parent: pulumi.Resource): void {
  const fail = (msg: string): never => {
    throw new pulumi.ResourceError(msg, parent);
  };
  const pool = (key: string, p: { count: number; flavor: string }, odd: boolean, min: number) => {
    if (!Number.isInteger(p.count) || p.count < min)
      fail(`${key}.count must be an integer >= ${min}, got ${p.count}`);
    if (odd && p.count % 2 === 0) fail(`${key}.count must be odd (etcd quorum), got ${p.count}`);
    if (!p.flavor) fail(`${key}.flavor must be set`);
  };
  const etcdApart = args.etcd !== undefined && args.etcd.count > 0;
  pool("controlPlane", args.controlPlane, !etcdApart, 1);
  pool("workers", args.workers, false, 1);
  if (args.etcd) pool("etcd", args.etcd, true, 1);
  for (const [key, v] of [
    ["namePrefix", args.namePrefix],
    ["clusterName", args.clusterName],
  ] as const) {
    if (v !== undefined && !isDnsLabel(v)) fail(`${key} "${v}" must be a lowercase RFC 1123 label`);
  }
  const version = args.kubernetesVersion ?? KUBESPRAY.defaultKubernetesVersion;
  if (!SUPPORTED_KUBERNETES_VERSIONS.includes(version)) {
    fail(`kubernetesVersion ${version} is not one Kubespray ${KUBESPRAY.version} installs`);
  }
  const pod = parseCidr(args.podCidr ?? "10.233.64.0/18");
  const svc = parseCidr(args.serviceCidr ?? "10.233.0.0/18");
  if (!pod) fail(`podCidr ${args.podCidr} must be an IPv4 CIDR`);
  if (!svc) fail(`serviceCidr ${args.serviceCidr} must be an IPv4 CIDR`);
  if (pod && svc && cidrsOverlap(pod, svc)) fail(`podCidr ${pod.text} overlaps serviceCidr ${svc.text}`);
}

/** @internal */
function createKubesprayCluster(name: string, args: KubesprayClusterArgs, parent: pulumi.Resource) {
  validate(args, parent);
  const opts: pulumi.CustomResourceOptions = { parent };
  const slotLower = args.slot.toLowerCase();
  const prefix = args.namePrefix ?? slotLower;
  const clusterName = args.clusterName ?? `jetstream-${args.site}-${slotLower}`;
  if (!isDnsLabel(`${prefix}-worker-${args.workers.count}`) || !isDnsLabel(clusterName)) {
    throw new pulumi.ResourceError(
      `slot "${args.slot}" gives names that are not lowercase RFC 1123 labels`,
      parent,
    );
  }
  const version = args.kubernetesVersion ?? KUBESPRAY.defaultKubernetesVersion;
  const networkPlugin = args.networkPlugin ?? "calico";
  const podCidr = args.podCidr ?? "10.233.64.0/18";
  const serviceCidr = args.serviceCidr ?? "10.233.0.0/18";
  const apiPort = args.api?.port ?? 6443;
  const sshUser = args.ssh.user ?? "ubuntu";
  const externalNetwork = args.network.externalNetwork ?? "public";
  const net = args.network;
  const etcdApart = args.etcd !== undefined && args.etcd.count > 0;

  // API VIP: a port that only reserves the address; kube-vip on the control plane answers ARP
  // for it, which Neutron port security allows through allowed-address-pairs below.
  const vipPort = new openstack.networking.Port(
    `${name}-api-vip`,
    {
      name: `${prefix}-api-vip`,
      description: `Kubernetes API VIP of ${clusterName} (kube-vip)`,
      networkId: net.networkId,
      fixedIps: [{ subnetId: net.subnetId }],
      securityGroupIds: [net.nodeSecurityGroupId],
      adminStateUp: true,
    },
    opts,
  );
  const apiVip = vipPort.allFixedIps.apply((ips) => ips[0]);
  let apiAddress: pulumi.Output<string> = apiVip;
  if (args.api?.floatingIp ?? true) {
    const fip = new openstack.networking.FloatingIp(
      `${name}-api-fip`,
      { pool: externalNetwork, description: `Kubernetes API of ${clusterName}` },
      opts,
    );
    new openstack.networking.FloatingIpAssociate(
      `${name}-api-fip-assoc`,
      { floatingIp: fip.address, portId: vipPort.id },
      opts,
    );
    apiAddress = fip.address;
  }

  const usesVolumes = [args.controlPlane, args.workers].some((p) => p.bootVolumeGb !== undefined);
  const imageId = usesVolumes
    ? openstack.images.getImageOutput({ name: args.image, mostRecent: true }, { parent }).id
    : undefined;

  const group = (role: string, policy: string) =>
    new openstack.compute.ServerGroup(
      `${name}-${role}-group`,
      { name: `${prefix}-${role}`, policies: [policy] },
      opts,
    );
  const groups = {
    "control-plane": group("cp", "anti-affinity"),
    worker: group("worker", args.workers.antiAffinity === "hard" ? "anti-affinity" : "soft-anti-affinity"),
    etcd: etcdApart ? group("etcd", "anti-affinity") : undefined,
  };

  const makeNode = (
    role: NodeRole,
    short: string,
    index: number,
    pool: KubesprayNodePoolArgs,
  ): PlannedNode => {
    const host = `${prefix}-${short}-${index}`;
    const port = new openstack.networking.Port(
      `${name}-${short}-${index}-port`,
      {
        name: `${host}-port`,
        networkId: net.networkId,
        fixedIps: [{ subnetId: net.subnetId }],
        securityGroupIds: [net.nodeSecurityGroupId],
        adminStateUp: true,
        allowedAddressPairs: role === "control-plane" ? [{ ipAddress: apiVip }] : undefined,
      },
      opts,
    );
    const userData = renderNodeCloudInit({
      hostname: host,
      role,
      sshAuthorizedKeys: args.ssh.authorizedKeys,
    });
    registerArtifact(`cloud-init/${host}.yaml`, userData);
    const instance = new openstack.compute.Instance(
      `${name}-${short}-${index}`,
      {
        name: host,
        imageName: pool.bootVolumeGb === undefined ? args.image : undefined,
        flavorName: pool.flavor,
        keyPair: net.keypairName,
        networks: [{ port: port.id }],
        userData,
        schedulerHints: [{ group: groups[role]!.id }],
        blockDevices:
          pool.bootVolumeGb === undefined
            ? undefined
            : [
                {
                  uuid: imageId!,
                  sourceType: "image",
                  destinationType: "volume",
                  volumeSize: pool.bootVolumeGb,
                  bootIndex: 0,
                  deleteOnTermination: true,
                },
              ],
        metadata: {
          "jetstream-paas/cluster": clusterName,
          "jetstream-paas/role": role,
          "jetstream-paas/site": args.site,
          "jetstream-paas/slot": args.slot,
        },
      },
      // A new cloud-init template applies to new nodes; replacing live nodes is an A/B upgrade.
      { parent, ignoreChanges: ["userData"] },
    );
    let floatingIp: pulumi.Output<string> | undefined;
    if (pool.floatingIp) {
      const fip = new openstack.networking.FloatingIp(
        `${name}-${short}-${index}-fip`,
        { pool: externalNetwork, description: `${host} public address` },
        opts,
      );
      new openstack.networking.FloatingIpAssociate(
        `${name}-${short}-${index}-fip-assoc`,
        { floatingIp: fip.address, portId: port.id },
        { parent, dependsOn: [instance] },
      );
      floatingIp = fip.address;
    }
    return { host, role, port, instance, ip: port.allFixedIps.apply((ips) => ips[0]), floatingIp };
  };

  const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
  const cp = range(args.controlPlane.count).map((i) => makeNode("control-plane", "cp", i, args.controlPlane));
  const etcd = etcdApart
    ? range(args.etcd!.count).map((i) =>
        makeNode("etcd", "etcd", i, { count: args.etcd!.count, flavor: args.etcd!.flavor }),
      )
    : [];
  const workers = range(args.workers.count).map((i) => makeNode("worker", "worker", i, args.workers));
  const allNodes = [...cp, ...etcd, ...workers];

  const hostsOf = (nodes: PlannedNode[]): pulumi.Output<InventoryHost[]> =>
    pulumi
      .all(nodes.map((n) => pulumi.all([n.ip, n.floatingIp])))
      .apply((pairs) =>
        pairs.map(([ip, fip], i) => ({ name: nodes[i].host, ip, ...(fip ? { floatingIp: fip } : {}) })),
      );
  const cpHosts = hostsOf(cp);
  const etcdHosts = hostsOf(etcd);
  const workerHosts = hostsOf(workers);

  // Everything Kubespray reads, rendered in one apply each; the text is passed on as inputs.
  const rendered = pulumi
    .all([cpHosts, etcdHosts, workerHosts, apiVip, apiAddress, net.bastionAddress, net.subnetCidr])
    .apply(([cpH, etcdH, workerH, vip, address, bastion, subnetCidr]) => {
      const subnet = parseCidr(subnetCidr);
      for (const [key, c] of [
        ["podCidr", podCidr],
        ["serviceCidr", serviceCidr],
      ] as const) {
        const other = parseCidr(c);
        if (subnet && other && cidrsOverlap(subnet, other)) {
          throw new Error(`KubesprayCluster ${name}: ${key} ${c} overlaps the site subnet ${subnetCidr}`);
        }
      }
      const inventoryInput = {
        controlPlane: cpH,
        workers: workerH,
        etcd: etcdH,
        sshUser,
        bastion: { address: bastion, user: sshUser },
      };
      const groupVars = renderGroupVars({
        clusterName,
        kubernetesVersion: version,
        networkPlugin,
        podCidr,
        serviceCidr,
        apiVip: vip,
        apiExtraAddresses: address !== vip ? [address] : [],
        apiPort,
      });
      return {
        operatorInventory: renderInventory({ ...inventoryInput, from: "operator" }),
        runnerInventory: renderInventory({ ...inventoryInput, from: "runner" }),
        groupVars,
        runnerScript: renderRunnerScript({ clusterName, kubernetesVersion: version, apiVip: vip, apiPort }),
        playbook: renderWaitPlaybook(),
      };
    });
  registerArtifact("kubespray/inventory.yaml", rendered.operatorInventory);
  registerArtifact("kubespray/runner/inventory.yaml", rendered.runnerInventory);
  registerArtifact(
    "kubespray/group_vars/all/all.yml",
    rendered.groupVars.apply((g) => g["group_vars/all/all.yml"]),
  );
  registerArtifact(
    "kubespray/group_vars/k8s_cluster/k8s-cluster.yml",
    rendered.groupVars.apply((g) => g["group_vars/k8s_cluster/k8s-cluster.yml"]),
  );
  registerArtifact("kubespray/commands.sh", rendered.runnerScript);
  registerArtifact("kubespray/playbooks/wait-for-nodes.yml", rendered.playbook);

  // ---- remote steps on the bastion -------------------------------------------------------
  if (args.ssh.privateKey === undefined) {
    pulumi.log.warn(
      `${name}: no SSH private key given (jetstream-paas-cluster:sshPrivateKey); the Kubespray steps on the bastion will fail to log in`,
      parent,
    );
  }
  const privateKey = args.ssh.privateKey === undefined ? undefined : pulumi.secret(args.ssh.privateKey);
  const connection: pulumi.Input<command.types.input.remote.ConnectionArgs> = {
    host: net.bastionAddress,
    user: sshUser,
    ...(privateKey ? { privateKey } : {}),
  };
  const secretOutputs = ["connection", "stdin"];
  const step = (
    stepName: string,
    runnerStep: RunnerStep,
    extra: {
      args?: string[];
      triggers?: pulumi.Input<unknown>[];
      dependsOn?: pulumi.Resource[];
      needsKey?: boolean;
      secretStdout?: boolean;
    },
  ) =>
    new command.remote.Command(
      `${name}-${stepName}`,
      {
        connection,
        create: stepCommand(clusterName, runnerStep, extra.args ?? []),
        stdin: extra.needsKey ? privateKey : undefined,
        triggers: extra.triggers,
      },
      {
        parent,
        dependsOn: extra.dependsOn,
        additionalSecretOutputs: extra.secretStdout ? [...secretOutputs, "stdout"] : secretOutputs,
      },
    );

  const upload = new command.remote.Command(
    `${name}-upload`,
    {
      connection,
      // Re-runs whenever a rendered file changes (the provider runs `create` again on update).
      create: rendered.apply((r) =>
        renderUploadScript(clusterName, {
          "commands.sh": r.runnerScript,
          "inventory/inventory.yaml": r.runnerInventory,
          ...Object.fromEntries(Object.entries(r.groupVars).map(([p, t]) => [`inventory/${p}`, t])),
          "playbooks/wait-for-nodes.yml": r.playbook,
        }),
      ),
    },
    { parent, additionalSecretOutputs: ["connection"] },
  );

  const prepare = step("prepare", "prepare", {
    triggers: [KUBESPRAY.version, KUBESPRAY.commit, ...KUBESPRAY.pythonRequirements],
    dependsOn: [upload],
  });

  // cluster.yml: only when what defines the cluster changes. Workers and the Kubernetes version
  // are left out on purpose: they drive scale.yml and upgrade-cluster.yml instead.
  const installKey = pulumi
    .all([cpHosts, etcdHosts, apiVip, apiAddress])
    .apply(([cpH, etcdH, vip, address]) =>
      shortHash(
        JSON.stringify({
          cpH,
          etcdH,
          vip,
          address,
          clusterName,
          networkPlugin,
          podCidr,
          serviceCidr,
          apiPort,
        }),
      ),
    );
  const install = step("install", "install", {
    needsKey: true,
    triggers: [installKey],
    dependsOn: [prepare, ...allNodes.map((n) => n.instance)],
  });
  const upgrade = step("upgrade", "upgrade", {
    needsKey: true,
    triggers: [version, KUBESPRAY.version],
    dependsOn: [install],
  });
  const workerKey = workerHosts.apply((w) => shortHash(JSON.stringify(w)));
  const scale = step("scale", "scale", {
    args: workers.map((w) => w.host),
    needsKey: true,
    triggers: [workerKey],
    dependsOn: [upgrade, ...workers.map((w) => w.instance)],
  });
  // One membership record per worker: removing a worker from config deletes it, and its delete
  // runs remove-node.yml (confirmation skipped) before the VM itself is deleted.
  for (const [i, w] of workers.entries()) {
    new command.remote.Command(
      `${name}-worker-${i + 1}-member`,
      {
        connection,
        create: `echo "${w.host} joins ${clusterName} through the scale step"`,
        delete: w.ip.apply((ip) => stepCommand(clusterName, "remove-node", [w.host, ip])),
        stdin: privateKey,
      },
      { parent, dependsOn: [w.instance, install], additionalSecretOutputs: secretOutputs },
    );
  }

  const fetch = step("kubeconfig", "kubeconfig", {
    triggers: [install.id, upgrade.id, scale.id],
    dependsOn: [scale],
    secretStdout: true,
  });
  const kubeconfig = pulumi.secret(
    pulumi
      .all([fetch.stdout, apiAddress])
      .apply(([text, address]) => rewriteKubeconfigServer(text, `https://${address}:${apiPort}`)),
  );
  const provider = new k8s.Provider(
    `${name}-k8s`,
    {
      kubeconfig,
      // Identity by name, not by kubeconfig text: new certificates must not replace every
      // object this provider manages (pulumi-eks#207, pulumi-kubernetes#2745).
      clusterIdentifier: clusterName,
    },
    { parent },
  );

  return {
    kubeconfig,
    provider,
    ingressNodes: pulumi.all(workers.map((w) => w.ip)),
    apiAddress,
    apiVip,
    controlPlaneIps: pulumi.all(cp.map((n) => n.ip)),
    clusterName,
  };
}
