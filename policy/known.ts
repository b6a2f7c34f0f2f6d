// The few things the policy rules must know about particular charts and about our own
// components, in one table. Everything else the rules read from resource types and inputs, so
// renaming a component (or its token) does not change what the policies decide.
import { INGRESS_NODE_PORT_DEFAULTS } from "../src/ingress-ports";

export const KNOWN = {
  /**
   * Our SiteNetwork names the edge security group `<site>-edge` (components/network). Only this
   * group may take traffic from anywhere, and only on 80/443 without an advisory.
   */
  edgeSecurityGroupName: /(^|-)edge$/,
  /** Ports any host may reach on the edge: HTTP (redirects, ACME) and HTTPS. */
  edgeWorldPorts: [80, 443] as readonly number[],
  /** Istio's ingress gateway chart (istio manifests/charts/gateway): the one NodePort Service. */
  gatewayChart: "gateway",
  /** Istio's control-plane chart: a stack that installs it is a mesh, and must be STRICT. */
  istiodChart: "istiod",
  /** Kiali's server chart (kiali/helm-charts). */
  kialiChart: "kiali-server",
  /** The gateway's fixed NodePorts, the ones the edge and the node security group target. */
  gatewayNodePorts: Object.values(INGRESS_NODE_PORT_DEFAULTS) as readonly number[],
} as const;
