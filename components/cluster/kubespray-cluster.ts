// KubesprayCluster: the class and its args. The builder runs in phases, as pulumi-eks splits
// a cluster: names and defaults here, then VIP and nodes (_nodes.ts), the Kubespray files
// (_render.ts), and the remote steps, kubeconfig and provider (_remote.ts).
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { cidrsOverlap, parseCidr } from "../../src/cidr";
import { CLUSTER_DEFAULTS, KUBESPRAY, SUPPORTED_KUBERNETES_VERSIONS } from "../../src/kubespray";
import { isDnsLabel } from "../../src/naming";
import { ClusterNames, createApiVip, createNodes } from "./_nodes";
import { renderClusterFiles } from "./_render";
import { createRemoteSteps } from "./_remote";

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
  /** @default the pinned Kubespray's default (src/kubespray.ts) */
  kubernetesVersion?: string;
  /** @default "calico" */
  networkPlugin?: "calico" | "cilium" | "flannel";
  /** @default CLUSTER_DEFAULTS.podCidr ("10.233.64.0/18", Kubespray's own) */
  podCidr?: string;
  /** @default CLUSTER_DEFAULTS.serviceCidr ("10.233.0.0/18", Kubespray's own) */
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

/** @internal The cluster's settings with every default applied (CLUSTER_DEFAULTS, KUBESPRAY). */
export interface ClusterSettings {
  kubernetesVersion: string;
  networkPlugin: "calico" | "cilium" | "flannel";
  podCidr: string;
  serviceCidr: string;
  apiPort: number;
  sshUser: string;
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
function validate(
  args: KubesprayClusterArgs,
  s: ClusterSettings,
  n: ClusterNames,
  parent: pulumi.Resource,
): void {
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
  const longest = `${n.prefix}-worker-${args.workers.count}`;
  if (!isDnsLabel(longest))
    fail(`namePrefix "${n.prefix}" gives host names such as ${longest} that are not RFC 1123 labels`);
  if (!SUPPORTED_KUBERNETES_VERSIONS.includes(s.kubernetesVersion)) {
    fail(`kubernetesVersion ${s.kubernetesVersion} is not one Kubespray ${KUBESPRAY.version} installs`);
  }
  const pod = parseCidr(s.podCidr);
  const svc = parseCidr(s.serviceCidr);
  if (!pod) fail(`podCidr ${s.podCidr} must be an IPv4 CIDR`);
  if (!svc) fail(`serviceCidr ${s.serviceCidr} must be an IPv4 CIDR`);
  if (pod && svc && cidrsOverlap(pod, svc)) fail(`podCidr ${pod.text} overlaps serviceCidr ${svc.text}`);
}

/** @internal Every default applied once, from CLUSTER_DEFAULTS and the Kubespray pin. */
function settingsOf(args: KubesprayClusterArgs): ClusterSettings {
  return {
    kubernetesVersion: args.kubernetesVersion ?? KUBESPRAY.defaultKubernetesVersion,
    networkPlugin: args.networkPlugin ?? CLUSTER_DEFAULTS.networkPlugin,
    podCidr: args.podCidr ?? CLUSTER_DEFAULTS.podCidr,
    serviceCidr: args.serviceCidr ?? CLUSTER_DEFAULTS.serviceCidr,
    apiPort: args.api?.port ?? CLUSTER_DEFAULTS.apiPort,
    sshUser: args.ssh.user ?? CLUSTER_DEFAULTS.sshUser,
  };
}

/** @internal */
function createKubesprayCluster(name: string, args: KubesprayClusterArgs, parent: pulumi.Resource) {
  const slotLower = args.slot.toLowerCase();
  const n: ClusterNames = {
    name,
    prefix: args.namePrefix ?? slotLower,
    clusterName: args.clusterName ?? `jetstream-${args.site}-${slotLower}`,
    externalNetwork: args.network.externalNetwork ?? CLUSTER_DEFAULTS.externalNetwork,
  };
  const settings = settingsOf(args);
  validate(args, settings, n, parent);
  const { apiVip, apiAddress } = createApiVip(n, args, parent);
  const nodes = createNodes(n, args, apiVip, parent);
  const common = {
    n,
    settings,
    nodes,
    apiVip,
    apiAddress,
    bastionAddress: args.network.bastionAddress,
    parent,
  };
  const rendered = renderClusterFiles({ ...common, subnetCidr: args.network.subnetCidr });
  const { kubeconfig, provider } = createRemoteSteps({
    ...common,
    rendered,
    privateKey: args.ssh.privateKey,
  });
  return {
    kubeconfig,
    provider,
    ingressNodes: pulumi.all(nodes.workers.map((w) => w.ip)),
    apiAddress,
    apiVip,
    controlPlaneIps: pulumi.all(nodes.controlPlane.map((x) => x.ip)),
    clusterName: n.clusterName,
  };
}
