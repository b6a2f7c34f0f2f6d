// Kubespray group_vars of one cluster, by scope as in inventory/sample/group_vars: one file for
// `all`, one for `k8s_cluster`. Pure: plain input, a map of relative path -> text out.
import { parseCidr, parseIp } from "../../../src/cidr";
import { isDnsLabel } from "../../../src/naming";
import { toYaml } from "../../../src/yaml";
import { SUPPORTED_KUBERNETES_VERSIONS } from "../../../src/kubespray";

export interface GroupVarsInput {
  clusterName: string;
  kubernetesVersion: string;
  networkPlugin: "calico" | "cilium" | "flannel";
  podCidr: string;
  serviceCidr: string;
  /** fixed IP of the API VIP on the site subnet (kube-vip announces it by ARP) */
  apiVip: string;
  /** further names/addresses clients use for the API (the VIP's floating IP) */
  apiExtraAddresses: readonly string[];
  apiPort: number;
}

export type GroupVarsFiles = Record<string, string>;

function header(scope: string): string {
  return `# Kubespray group_vars/${scope} rendered by jetstream-paas from stack config. Do not edit.\n`;
}

export function renderGroupVars(input: GroupVarsInput): GroupVarsFiles {
  if (!isDnsLabel(input.clusterName)) {
    throw new Error(`clusterName "${input.clusterName}" must be a lowercase RFC 1123 label`);
  }
  if (!SUPPORTED_KUBERNETES_VERSIONS.includes(input.kubernetesVersion)) {
    throw new Error(
      `kubernetesVersion "${input.kubernetesVersion}" is not installable by the pinned Kubespray`,
    );
  }
  for (const [k, v] of [
    ["podCidr", input.podCidr],
    ["serviceCidr", input.serviceCidr],
  ] as const) {
    if (!parseCidr(v)) throw new Error(`${k} "${v}" must be an IPv4 CIDR`);
  }
  if (parseIp(input.apiVip) === undefined)
    throw new Error(`apiVip "${input.apiVip}" must be an IPv4 address`);
  for (const a of input.apiExtraAddresses) {
    if (parseIp(a) === undefined && !/^[a-z0-9.-]+$/.test(a)) {
      throw new Error(`apiExtraAddresses entry "${a}" must be an IPv4 address or a DNS name`);
    }
  }
  const sans = [...new Set([input.apiVip, ...input.apiExtraAddresses])].sort();

  const all = {
    // The API is reached at the VIP; kube-vip (below) moves it between control-plane nodes.
    loadbalancer_apiserver: { address: input.apiVip, port: input.apiPort },
    loadbalancer_apiserver_localhost: false,
    // No `cloud_provider`: the edge reaches workers on fixed NodePorts, so nothing needs
    // Octavia or Cinder from inside the cluster (docs/clusters.md).
    ntp_enabled: false,
  };
  const k8sCluster = {
    cluster_name: input.clusterName,
    // The DNS domain stays cluster.local: charts (Istio included) assume it.
    dns_domain: "cluster.local",
    kube_version: input.kubernetesVersion,
    kube_network_plugin: input.networkPlugin,
    kube_pods_subnet: input.podCidr,
    kube_service_addresses: input.serviceCidr,
    kube_apiserver_port: input.apiPort,
    supplementary_addresses_in_ssl_keys: sans,
    kube_proxy_mode: "ipvs",
    // kube-vip in ARP mode requires strict ARP under IPVS (Kubespray docs/ingress/kube-vip.md).
    kube_proxy_strict_arp: true,
    kube_vip_enabled: true,
    kube_vip_controlplane_enabled: true,
    kube_vip_arp_enabled: true,
    kube_vip_address: input.apiVip,
    kube_vip_services_enabled: false,
    // Secrets encrypted at rest in etcd; certificates renewed by a systemd timer.
    kube_encrypt_secret_data: true,
    auto_renew_certificates: true,
    // The runner keeps an admin kubeconfig and kubectl in <inventory>/artifacts for the
    // post-install steps (scale, upgrade check, kubeconfig fetch).
    kubeconfig_localhost: true,
    kubectl_localhost: true,
    container_manager: "containerd",
    etcd_deployment_type: "host",
  };
  return {
    "group_vars/all/all.yml": header("all") + toYaml(all),
    "group_vars/k8s_cluster/k8s-cluster.yml": header("k8s_cluster") + toYaml(k8sCluster),
  };
}
