// The one place where the Kubespray release, the tools it needs and the cluster defaults are
// kept. A leaf module: the config schema and the cluster component both read it, so neither
// imports the other. Everything else (the runner script, docs) reads these constants too.
//
// Sources (checked 2026-11, see /work/shared/facts.md §2 and docs/clusters.md "Pins"):
// - kubernetes-sigs/kubespray tag v2.31.0 (2026-04-24) = commit 1c9add48975060f45396b34d8e022c30d7f80dab;
//   no newer tag at 2026-08-21.
// - requirements.txt @ v2.31.0: ansible==11.13.0, cryptography==46.0.7, jmespath==1.1.0, netaddr==1.3.0.
// - playbooks/ansible_version.yml @ v2.31.0: asserts 2.18.0 <= ansible-core < 2.19.0.
// - docs/ansible/ansible.md @ v2.31.0: controller Python 3.11-3.13.
// - roles/kubespray_defaults/vars/main/checksums.yml @ v2.31.0: kubelet amd64 checksums for
//   1.33.0-1.33.11, 1.34.0-1.34.7, 1.35.0-1.35.4; the default kube_version is the first, 1.35.4.
// To move the pin: change all of it together from the new tag's files, then run `npm test`.

export const KUBESPRAY = {
  repository: "https://github.com/kubernetes-sigs/kubespray.git",
  version: "v2.31.0",
  commit: "1c9add48975060f45396b34d8e022c30d7f80dab",
  /** pip pins from the tag's requirements.txt, installed into the runner's venv */
  pythonRequirements: ["ansible==11.13.0", "cryptography==46.0.7", "jmespath==1.1.0", "netaddr==1.3.0"],
  /** ansible-core range the tag asserts: [min, max) */
  ansibleCore: { min: "2.18.0", maxExclusive: "2.19.0" },
  /** controller Python versions the tag supports (minor versions of 3) */
  python: { minMinor: 11, maxMinor: 13 },
  defaultKubernetesVersion: "1.35.4",
} as const;

/** Kubernetes versions the pinned Kubespray has checksums for (and so will install). */
export const SUPPORTED_KUBERNETES_VERSIONS: readonly string[] = [
  ...range("1.35", 4),
  ...range("1.34", 7),
  ...range("1.33", 11),
];

function range(minor: string, lastPatch: number): string[] {
  return Array.from({ length: lastPatch + 1 }, (_, i) => `${minor}.${lastPatch - i}`);
}

/** Kubespray's own floors (roles/kubernetes/preinstall) and kubeadm's preflight (2 CPUs). */
export const NODE_MINIMUMS = {
  controlPlane: { ramMb: 1500, vcpus: 2 },
  worker: { ramMb: 1024, vcpus: 1 },
  etcd: { ramMb: 1024, vcpus: 1 },
} as const;

/** Defaults of a cluster slot: the schema's `.default()`s and the component's `??` both use these. */
export const CLUSTER_DEFAULTS = {
  /** Kubespray's own kube_pods_subnet / kube_service_addresses (inventory/sample group_vars) */
  podCidr: "10.233.64.0/18",
  serviceCidr: "10.233.0.0/18",
  networkPlugin: "calico",
  apiPort: 6443,
  /** the default user of Jetstream2's Featured-Ubuntu images */
  sshUser: "ubuntu",
  externalNetwork: "public",
} as const;
