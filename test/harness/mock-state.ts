// Canned cloud state for the mock engine: realistic ids and addresses for OpenStack, echo
// for everything else. Only OpenStack and the Kubernetes API are mocked; renderers, config and
// components run for real on top of these values.
import { createHash } from "node:crypto";
import { cidrHost, parseCidr } from "../../src/cidr";

export type Props = Record<string, unknown>;

export interface MockCloud {
  /** region from openstack:region, picks the floating IP range */
  region: string;
  /**
   * Subnets the mock allocates from. `byName` subnets give a port the address its name hashes
   * to (probing past taken ones), so a port keeps its address whatever else is planned, as a
   * real port does; others hand out addresses in sequence from `next`.
   */
  subnets: Map<
    string,
    { cidr: string; networkId: string; next: number; byName?: boolean; taken?: Set<number> }
  >;
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

/** A PEM block whose body is deterministic filler (not a real key or certificate). */
export function fakePem(label: string, seed: string): string {
  const body = createHash("sha256").update(seed).digest("base64");
  return `-----BEGIN ${label}-----\n${body}${body}\n-----END ${label}-----\n`;
}

function allocate(
  cloud: MockCloud,
  subnetId: string | undefined,
  wanted?: string,
  portName?: string,
): string {
  if (wanted) return wanted;
  const s = subnetId ? cloud.subnets.get(subnetId) : undefined;
  if (!s) return "10.254.0.10";
  if (s.byName && portName) {
    const c = parseCidr(s.cidr)!;
    const span = 2 ** (32 - c.prefix) - s.next - 2;
    s.taken ??= new Set();
    let n = s.next + (parseInt(createHash("sha256").update(portName).digest("hex").slice(0, 8), 16) % span);
    while (s.taken.has(n)) n = s.next + ((n - s.next + 1) % span);
    s.taken.add(n);
    return cidrHost(c, n);
  }
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
      ipAddress: allocate(cloud, f.subnetId as string | undefined, f.ipAddress as string | undefined, name),
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
  // @pulumi/tls and EC2 credentials: PEM-shaped stand-ins so that renderers see realistic text.
  "tls:index/privateKey:PrivateKey": (_c, name, inputs) => ({
    state: {
      ...inputs,
      privateKeyPem: fakePem("PRIVATE KEY", `key:${name}`),
      publicKeyPem: fakePem("PUBLIC KEY", `pub:${name}`),
      privateKeyOpenssh: `-----BEGIN OPENSSH PRIVATE KEY-----\n${mockSecret(`tls:${name}`, 64)}\n-----END OPENSSH PRIVATE KEY-----\n`,
      publicKeyOpenssh: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5${mockSecret(`tls-pub:${name}`, 43)}\n`,
    },
  }),
  "tls:index/selfSignedCert:SelfSignedCert": (_c, name, inputs) => ({
    state: { ...inputs, certPem: fakePem("CERTIFICATE", `ca:${name}`) },
  }),
  "tls:index/certRequest:CertRequest": (_c, name, inputs) => ({
    state: { ...inputs, certRequestPem: fakePem("CERTIFICATE REQUEST", `csr:${name}`) },
  }),
  "tls:index/locallySignedCert:LocallySignedCert": (_c, name, inputs) => ({
    state: { ...inputs, certPem: fakePem("CERTIFICATE", `cert:${name}`) },
  }),
  "openstack:identity/ec2CredentialV3:Ec2CredentialV3": (_c, name, inputs) => ({
    state: {
      ...inputs,
      access: mockUuid(`ec2:${name}`).replace(/-/g, ""),
      secret: mockSecret(`ec2:${name}`, 32),
    },
  }),
  // Designate: a zone created by the stack, and its record sets (echoed, with Designate's status).
  "openstack:dns/zone:Zone": (_c, name, inputs) => ({
    id: mockUuid(`zone:${String(inputs.name ?? name)}`),
    state: { ...inputs, status: "ACTIVE", serial: 1 },
  }),
  "openstack:dns/recordSet:RecordSet": (_c, name, inputs) => ({
    id: `${String(inputs.zoneId)}/${mockUuid(`recordset:${name}`)}`,
    state: { ...inputs, region: "IU" },
  }),
  // Keystone generates the secret of an application credential it creates.
  "openstack:identity/applicationCredential:ApplicationCredential": (_c, name, inputs) => ({
    id: mockUuid(`appcred:${name}`),
    state: { ...inputs, secret: mockSecret(`appcred:${name}`, 43), projectId: mockUuid("project") },
  }),
  // Swift: a container's id is its name; an object's etag is the MD5 of its content.
  "openstack:objectstorage/container:Container": (_c, name, inputs) => ({
    id: String(inputs.name ?? name),
    state: { ...inputs, name: inputs.name ?? name },
  }),
  "openstack:objectstorage/containerObject:ContainerObject": (_c, name, inputs) => ({
    id: `${String(inputs.containerName)}/${String(inputs.name ?? name)}`,
    state: {
      ...inputs,
      etag: createHash("md5")
        .update(String(inputs.content ?? ""))
        .digest("hex"),
      contentLength: Buffer.byteLength(String(inputs.content ?? "")),
    },
  }),
  // Kubespray's steps on the bastion: empty output, except the kubeconfig fetch, which answers
  // with a realistic admin kubeconfig whose key material is a placeholder (never a real key).
  "command:remote:Command": (_c, name, inputs) => ({
    state: {
      ...inputs,
      stdout: /-kubeconfig$/.test(name) ? mockKubeconfig(name) : "",
      stderr: "",
    },
  }),
  "pulumi:pulumi:StackReference": (cloud, name, inputs) => {
    const ref = String(inputs.name ?? name);
    const found = cloud.stackOutputs.get(ref);
    // A consumer stack plans ports on the referenced stack's subnet: let the mock allocate
    // addresses there (above the ones the site stack itself took).
    const o = found?.outputs ?? {};
    if (
      typeof o.subnetId === "string" &&
      typeof o.subnetCidr === "string" &&
      !cloud.subnets.has(o.subnetId)
    ) {
      cloud.subnets.set(o.subnetId, {
        cidr: o.subnetCidr,
        networkId: String(o.networkId ?? ""),
        next: 64,
        byName: true,
      });
      cloud.networkSubnet.set(String(o.networkId ?? ""), o.subnetId);
    }
    // Floating IPs continue after the referenced stack's, so mock addresses never repeat.
    const last = /^198\.51\.100\.(\d+)$/.exec(String(o.bastionAddress ?? ""));
    if (last) cloud.fipNext = Math.max(cloud.fipNext, (Number(last[1]) % 128) + 1);
    // A stack that exists but was never brought up has no outputs; consumers handle that.
    return {
      id: ref,
      state: { name: ref, outputs: found?.outputs ?? {}, secretOutputNames: found?.secretOutputNames ?? [] },
    };
  },
};

/** Base64 placeholder standing in for certificate/key data in the mock kubeconfig. */
export const MOCK_KUBECONFIG_KEY_DATA = Buffer.from("jetstream-paas mock client key, not a key").toString(
  "base64",
);

/** What Kubespray's kubeconfig_localhost writes: the VIP as server, embedded client credentials. */
export function mockKubeconfig(seed: string): string {
  const ca = Buffer.from(`mock CA of ${seed}`).toString("base64");
  const cert = Buffer.from(`mock client certificate of ${seed}`).toString("base64");
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "  - name: cluster.local",
    "    cluster:",
    `      certificate-authority-data: ${ca}`,
    "      server: https://10.254.0.50:6443",
    "contexts:",
    "  - name: kubernetes-admin@cluster.local",
    "    context:",
    "      cluster: cluster.local",
    "      user: kubernetes-admin",
    "current-context: kubernetes-admin@cluster.local",
    "users:",
    "  - name: kubernetes-admin",
    "    user:",
    `      client-certificate-data: ${cert}`,
    `      client-key-data: ${MOCK_KUBECONFIG_KEY_DATA}`,
    "",
  ].join("\n");
}

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
    case "openstack:images/getImage:getImage":
      return { ...inputs, id: mockUuid(`image:${String(inputs.name)}`) };
    case "openstack:dns/getDnsZone:getDnsZone":
      // Jetstream2 creates the allocation's zone; the mock finds any zone asked for by name.
      return {
        ...inputs,
        id: mockUuid(`zone:${String(inputs.name)}`),
        email: "dns-admin@jetstream-cloud.org",
        status: "ACTIVE",
        ttl: 3600,
        type: "PRIMARY",
      };
    case "openstack:networking/getRouter:getRouter":
      return { ...inputs, id: mockUuid(`router:${String(inputs.name)}`) };
    default:
      return { ...inputs };
  }
}
