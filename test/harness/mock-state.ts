// Canned cloud state for the mock engine: realistic ids and addresses for OpenStack, echo
// for everything else. Only OpenStack and the Kubernetes API are mocked; renderers, config and
// components run for real on top of these values.
import { createHash } from "node:crypto";
import { cidrHost, parseCidr } from "../../src/cidr";

export type Props = Record<string, unknown>;

export interface MockCloud {
  /** region from openstack:region, picks the floating IP range */
  region: string;
  subnets: Map<string, { cidr: string; networkId: string; next: number }>;
  networkSubnet: Map<string, string>;
  ports: Map<string, string>;
  fipNext: number;
  /** outputs of other stacks, by fully qualified name, for StackReference */
  stackOutputs: Map<string, { outputs: Props; secretOutputNames: string[] }>;
}

export function newMockCloud(region: string): MockCloud {
  return {
    region,
    subnets: new Map(),
    networkSubnet: new Map(),
    ports: new Map(),
    fipNext: 10,
    stackOutputs: new Map(),
  };
}

/** Deterministic UUID-shaped id from a seed, so plans are stable across runs. */
export function mockUuid(seed: string): string {
  const h = createHash("sha256").update(seed).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Deterministic stand-in for a generated secret; the engine records it for redaction. */
export function mockSecret(seed: string, length = 24): string {
  return createHash("sha256").update(`secret:${seed}`).digest("base64url").slice(0, Math.max(8, length));
}

function allocate(cloud: MockCloud, subnetId: string | undefined, wanted?: string): string {
  if (wanted) return wanted;
  const s = subnetId ? cloud.subnets.get(subnetId) : undefined;
  if (!s) return "10.254.0.10";
  const ip = cidrHost(parseCidr(s.cidr)!, s.next);
  s.next += 1;
  return ip;
}

function floatingIp(cloud: MockCloud): string {
  // Documentation range, never a real Jetstream2 address: IU gets 198.51.100.0/25, TACC the upper half.
  const base = cloud.region === "TACC" ? 128 : 0;
  const ip = `198.51.100.${base + (cloud.fipNext % 120)}`;
  cloud.fipNext += 1;
  return ip;
}

function asList(v: unknown): Props[] {
  return Array.isArray(v) ? (v.filter((x) => typeof x === "object" && x !== null) as Props[]) : [];
}

export type StateHandler = (cloud: MockCloud, name: string, inputs: Props) => { id?: string; state: Props };

/** Per-type state. Components that need more realistic outputs add an entry here. */
export const STATE_HANDLERS: Record<string, StateHandler> = {
  "openstack:networking/network:Network": (_c, name, inputs) => ({
    state: { ...inputs, name: inputs.name ?? name },
  }),
  "openstack:networking/subnet:Subnet": (cloud, name, inputs) => {
    const id = mockUuid(`subnet:${name}`);
    const cidr = String(inputs.cidr);
    cloud.subnets.set(id, { cidr, networkId: String(inputs.networkId), next: 10 });
    cloud.networkSubnet.set(String(inputs.networkId), id);
    return { id, state: { ...inputs, gatewayIp: cidrHost(parseCidr(cidr)!, 1) } };
  },
  "openstack:networking/port:Port": (cloud, name, inputs) => {
    const id = mockUuid(`port:${name}`);
    const fixed = asList(inputs.fixedIps).map((f) => ({
      subnetId: f.subnetId,
      ipAddress: allocate(cloud, f.subnetId as string | undefined, f.ipAddress as string | undefined),
    }));
    const ips = fixed.map((f) => f.ipAddress);
    if (ips[0]) cloud.ports.set(id, ips[0]);
    const mac = `fa:16:3e:${mockUuid(name).slice(0, 6).match(/../g)!.join(":")}`;
    return { id, state: { ...inputs, fixedIps: fixed, allFixedIps: ips, macAddress: mac } };
  },
  "openstack:compute/instance:Instance": (cloud, name, inputs) => {
    const nets = asList(inputs.networks).map((n) => {
      const ip = n.port
        ? cloud.ports.get(String(n.port))
        : allocate(cloud, cloud.networkSubnet.get(String(n.uuid ?? "")), n.fixedIpV4 as string | undefined);
      return { ...n, fixedIpV4: ip };
    });
    return {
      id: mockUuid(`instance:${name}`),
      state: { ...inputs, networks: nets, accessIpV4: nets[0]?.fixedIpV4 ?? "", powerState: "active" },
    };
  },
  "openstack:networking/floatingIp:FloatingIp": (cloud, name, inputs) => ({
    id: mockUuid(`fip:${name}`),
    state: { ...inputs, address: floatingIp(cloud) },
  }),
  "random:index/randomPassword:RandomPassword": (_c, name, inputs) => ({
    state: { ...inputs, result: mockSecret(name, Number(inputs.length ?? 24)) },
  }),
  "tls:index/privateKey:PrivateKey": (_c, name, inputs) => ({
    state: {
      ...inputs,
      privateKeyOpenssh: `-----BEGIN OPENSSH PRIVATE KEY-----\n${mockSecret(`tls:${name}`, 64)}\n-----END OPENSSH PRIVATE KEY-----\n`,
      publicKeyOpenssh: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5${mockSecret(`tls-pub:${name}`, 43)}\n`,
    },
  }),
  "pulumi:pulumi:StackReference": (cloud, name, inputs) => {
    const ref = String(inputs.name ?? name);
    const found = cloud.stackOutputs.get(ref);
    // A stack that exists but was never brought up has no outputs; consumers handle that.
    return {
      id: ref,
      state: { name: ref, outputs: found?.outputs ?? {}, secretOutputNames: found?.secretOutputNames ?? [] },
    };
  },
};

/** Canned results of data-source invokes (lookups of existing cloud objects). */
export function invokeResult(cloud: MockCloud, token: string, inputs: Props): Props {
  switch (token) {
    case "openstack:networking/getNetwork:getNetwork":
      return {
        ...inputs,
        id: mockUuid(`network:${String(inputs.name)}`),
        external: inputs.name === "public",
      };
    case "openstack:networking/getSubnet:getSubnet": {
      const id = mockUuid(`subnet:${String(inputs.name)}`);
      if (typeof inputs.cidr === "string" && !cloud.subnets.has(id)) {
        cloud.subnets.set(id, { cidr: inputs.cidr, networkId: String(inputs.networkId ?? ""), next: 10 });
        cloud.networkSubnet.set(String(inputs.networkId ?? ""), id);
      }
      return { ...inputs, id };
    }
    case "openstack:networking/getRouter:getRouter":
      return { ...inputs, id: mockUuid(`router:${String(inputs.name)}`) };
    default:
      return { ...inputs };
  }
}
