/**
 * NodePorts of the Istio ingress gateway Service that the edge HAProxy targets on every
 * ingress node: HTTP, HTTPS and the readiness port 15021 (`/healthz/ready`). The site security
 * groups open exactly these to the edge, the mesh config defaults to them, and the edge
 * falls back to them when a cluster stack does not say: one definition for all three.
 */
export const INGRESS_NODE_PORT_DEFAULTS = { http: 30080, https: 30443, status: 30021 } as const;
