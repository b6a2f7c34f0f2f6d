// Inputs of the edge renderers that tests start from and change one field at a time.
import { edgeHaproxyInput } from "../../../components/edge/render/edge-input";
import type { EdgeHaproxyInput } from "../../../components/edge/render/haproxy";
import type { KeepalivedInput } from "../../../components/edge/render/keepalived";

export function haproxyInput(
  patch: Partial<Parameters<typeof edgeHaproxyInput>[0]> = {},
  paths = {
    adminSocket: "/run/haproxy/admin.sock",
    stateFile: "/var/lib/haproxy/server-state",
    slotsMap: "/etc/haproxy/jsp-slots.map",
  },
): EdgeHaproxyInput {
  return edgeHaproxyInput({
    site: "iu",
    liveSlot: "paasA",
    preliveSlot: "paasB",
    slots: [
      { name: "paasA", ingressNodes: ["10.20.0.22", "10.20.0.21"] },
      { name: "paasB", ingressNodes: ["10.20.0.31"] },
    ],
    peer: { site: "tacc", address: "198.51.100.140" },
    vip: "10.20.3.250",
    adminCidrs: ["203.0.113.0/26"],
    paths,
    ...patch,
  });
}

export function keepalivedInput(patch: Partial<KeepalivedInput> = {}): KeepalivedInput {
  return {
    self: { name: "iu-edge-1", address: "10.20.0.11" },
    peers: [{ name: "iu-edge-2", address: "10.20.0.12" }],
    vip: "10.20.3.250",
    prefixLength: 22,
    interface: "ens3",
    virtualRouterId: 51,
    priority: 110,
    advertIntSeconds: 1,
    check: { script: "/usr/local/sbin/jsp-check-haproxy", intervalSeconds: 1, fall: 2, rise: 2 },
    notifyScript: "/usr/local/sbin/jsp-keepalived-notify",
    authFile: "/etc/keepalived/jsp-auth.conf",
    ...patch,
  };
}

/** Lines of one section (`backend x`, `frontend y`) of a haproxy.cfg. */
export function section(cfg: string, header: string): string[] {
  const lines = cfg.split("\n");
  const start = lines.indexOf(header);
  if (start < 0) throw new Error(`no section "${header}"`);
  const out: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (l === "" || /^\S/.test(l)) break;
    out.push(l.trim());
  }
  return out;
}
