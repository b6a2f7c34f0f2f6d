// Program of the cluster project (stacks paasA, paasB, tacc-paasA): one Kubernetes cluster
// slot on the network of its site stack, then Istio, observability, Flagger and the apps on
// it through the cluster's own provider. Config is parsed first: a bad config declares nothing.
import { loadStackConfig } from "../../components/config";
import { SlotConfigContainer } from "../../components/cluster";
import { registeredArtifacts } from "../../src/artifacts";
import { createCluster } from "./cluster";
import { deployApps } from "./apps";
import { deployPlatform } from "./platform";
import { chaos, deployIdentity, keycloak } from "./delivery";

const { config } = loadStackConfig("cluster");

const { cluster, siteRef } = createCluster(config);

export const site = config.site;
export const slot = config.slot;
export const clusterName = cluster.clusterName;
export const kubeconfig = cluster.kubeconfig;
export const apiAddress = cluster.apiAddress;
export const ingressNodes = cluster.ingressNodes;
export const kubernetesVersion = config.cluster.kubernetesVersion;
export const siteNetworkId = siteRef.getOutput("networkId");
export const siteSubnetId = siteRef.getOutput("subnetId");

// Mesh and addons (components/mesh, docs/mesh.md) on the cluster's provider; the gateway's
// NodePorts come from the mesh config and are what the site's edge targets.
const { mesh, ...platform } = deployPlatform(config, cluster.provider, config.cluster.kubernetesVersion);
export const {
  ingressNodePorts,
  ingressReadinessPath,
  istioVersion,
  canaries,
  dashboards,
  grafanaAdminUser,
  grafanaAdminPassword,
} = platform;

// Blue/green services (components/apps, docs/delivery.md) on the same provider.
const apps = deployApps(config, cluster.provider, [mesh]);
export const blueGreenActive = Object.fromEntries(Object.entries(apps).map(([n, a]) => [n, a.activeColour]));

// Delivery (components/delivery, components/sso, docs/delivery.md): the deploy identity Jenkins
// holds instead of admin.conf, Keycloak when it is the SSO issuer, kube-monkey when opted in.
const deploy = deployIdentity(config, cluster, cluster.provider, [mesh]);
export const deployKubeconfig = deploy.kubeconfig;
export const deployNamespaces = deploy.namespaces;
const kc = keycloak(config, cluster.provider, [mesh]);
export const keycloakIssuerUrl = kc?.issuerUrl;
export const keycloakBootstrapAdminPassword = kc?.bootstrapAdminPassword;
export const chaosNamespaces =
  chaos(config, cluster.provider, [mesh, ...Object.values(apps)])?.namespaces ?? [];
// The slot's own object-storage container (seed 002's per-cluster bucket): every rendered,
// non-secret file of the slot (inventory, group_vars, runner script, manifests, node
// cloud-init), for audit and rebuild. Created and destroyed with this stack (docs/ab-upgrade.md).
const configStore = new SlotConfigContainer(`${config.slot.toLowerCase()}-config`, {
  site: config.site,
  slot: config.slot,
  files: registeredArtifacts()
    .filter((a) => /^(kubespray|k8s|cloud-init)\//.test(a.path))
    .map((a) => ({ path: a.path, content: a.content })),
});
export const configContainer = configStore.containerName;
