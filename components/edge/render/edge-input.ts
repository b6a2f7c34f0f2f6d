// The one place that turns site config + resolved stack outputs into the HAProxy renderer's
// input. The EdgeProxy component and the drill both call it, so the drill runs the config the
// stack renders, with only addresses and file paths substituted.
import { INGRESS_NODE_PORT_DEFAULTS } from "../../../src/ingress-ports";
import { EdgeHaproxyInput, EdgeSlot, HealthCheckSettings } from "./haproxy";
import type { EdgeTlsSettings } from "./haproxy-tls";

export const EDGE_DEFAULT_PORTS = {
  preliveHttp: 8080,
  preliveHttps: 8443,
  peerHttp: 8081,
  peerHttps: 8444,
  stats: 8404,
};

export const EDGE_DEFAULT_HEALTH: HealthCheckSettings = {
  interMs: 1000,
  fastinterMs: 500,
  downinterMs: 2000,
  fall: 2,
  rise: 3,
  timeoutMs: 1000,
  slowstartSeconds: 10,
  observeErrorLimit: 3,
};

export const EDGE_DEFAULT_NODE_PORTS = INGRESS_NODE_PORT_DEFAULTS;

export interface EdgeInputOptions {
  site: string;
  liveSlot: string;
  preliveSlot?: string;
  /** slot name -> ingress node IPs (undefined: the slot's stack is not up) */
  slots: Array<{ name: string; ingressNodes: string[] | undefined }>;
  nodePorts?: { http: number; https: number; status: number };
  peer?: { site: string; address: string };
  ports?: Partial<typeof EDGE_DEFAULT_PORTS>;
  vip: string;
  adminCidrs: string[];
  statsUser?: string;
  health?: Partial<HealthCheckSettings>;
  paths: EdgeHaproxyInput["paths"];
  extraGlobal?: string[];
  /** TLS on the edge (certificate, ACME answer, HSTS, the verified hop to the peer) */
  tls?: EdgeTlsSettings;
}

const IP_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Server names in HAProxy: slot and last two octets, stable while the node keeps its IP. */
export function serverName(slot: string, ip: string): string {
  const m = IP_RE.exec(ip);
  return `${slot.toLowerCase()}-${m ? `${m[3]}-${m[4]}` : ip.replace(/[^0-9A-Za-z]/g, "-")}`;
}

export function edgeHaproxyInput(o: EdgeInputOptions): EdgeHaproxyInput {
  const slots: EdgeSlot[] = o.slots.map((s) => ({
    name: s.name,
    servers: (s.ingressNodes ?? []).map((ip) => ({ name: serverName(s.name, ip), address: ip })),
  }));
  return {
    site: o.site,
    liveSlot: o.liveSlot,
    preliveSlot: o.preliveSlot,
    slots,
    nodePorts: o.nodePorts ?? EDGE_DEFAULT_NODE_PORTS,
    checkPath: "/healthz/ready",
    peer: o.peer,
    ports: { http: 80, https: 443, ...EDGE_DEFAULT_PORTS, ...o.ports },
    privateBindAddress: o.vip,
    adminCidrs: o.adminCidrs,
    stats: { user: o.statsUser ?? "jsp-admin", passwordEnv: "JSP_STATS_PASSWORD" },
    health: { ...EDGE_DEFAULT_HEALTH, ...o.health },
    timeouts: { connectMs: 1000, clientSeconds: 30, serverSeconds: 30, queueSeconds: 5 },
    paths: o.paths,
    extraGlobal: o.extraGlobal,
    tls: o.tls,
  };
}
