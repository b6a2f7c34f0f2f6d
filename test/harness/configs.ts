// Valid stack configs in engine form (full keys, JSON values), for tests to start from and
// break one key at a time.
import type { RawConfig } from "../../components/config";

export const PUBLIC_KEY =
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHVwAPMeRFy1UdHM6hv8P9o2d0FSOWXyh6XQ8qAKIjTl test@example.org";

export function siteValues(overrides: Record<string, unknown> = {}): Record<string, string> {
  const base: Record<string, unknown> = {
    "openstack:region": "IU",
    "jetstream-paas:site": "iu",
    "jetstream-paas:image": "Featured-Ubuntu24",
    "jetstream-paas:adminCidrs": ["203.0.113.0/26"],
    "jetstream-paas:network": { name: "jsp-iu", cidr: "10.20.0.0/22" },
    "jetstream-paas:ssh": { keypairName: "jsp-iu-operator", publicKey: PUBLIC_KEY },
  };
  return encode({ ...base, ...overrides });
}

export function clusterValues(overrides: Record<string, unknown> = {}): Record<string, string> {
  const base: Record<string, unknown> = {
    "openstack:region": "IU",
    "jetstream-paas-cluster:site": "iu",
    "jetstream-paas-cluster:slot": "paasA",
    "jetstream-paas-cluster:siteStack": "organization/jetstream-paas/iu",
    "jetstream-paas-cluster:image": "Featured-Ubuntu24",
  };
  return encode({ ...base, ...overrides });
}

/** Values as the engine passes them: strings stay, everything else JSON; undefined removes. */
export function encode(values: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) continue;
    out[k] = typeof v === "string" ? v : JSON.stringify(v);
  }
  return out;
}

export function raw(values: Record<string, string>, secretKeys: string[] = []): RawConfig {
  return { values, secretKeys: new Set(secretKeys) };
}
