import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { registerArtifact } from "../../src/artifacts";
import { CloudFile } from "../../src/cloud-init";
import {
  ACME_PATHS,
  ACME_THUMBPRINT_ENV,
  AcmeKeyType,
  renderAcmeCloudPart,
  renderAcmeEnv,
} from "./render/acme";
import { EDGE_PATHS, renderEdgeCloudInit } from "./render/edge-cloud-init";
import {
  EDGE_DEFAULT_HEALTH,
  EDGE_DEFAULT_NODE_PORTS,
  EDGE_DEFAULT_PORTS,
  edgeHaproxyInput,
} from "./render/edge-input";
import { HealthCheckSettings, renderHaproxyConfig, renderSlotsMap } from "./render/haproxy";
import type { EdgeTlsSettings } from "./render/haproxy-tls";
import {
  renderHaproxyCheckScript,
  renderKeepalivedAuth,
  renderKeepalivedConfig,
  renderNotifyScript,
} from "./render/keepalived";

/** A cluster slot as the edge sees it: its name and its ingress nodes' fixed IPs. */
export interface EdgeSlotArgs {
  /** slot name (paasA, paasB): names the HAProxy backends */
  name: string;
  /** fixed IPs of the slot's ingress nodes; undefined or [] when the slot is not up */
  ingressNodes: pulumi.Input<string[] | undefined>;
}

export interface EdgePorts {
  /** @default 8080 */ preliveHttp?: number;
  /** @default 8443 */ preliveHttps?: number;
  /** @default 8081 */ peerHttp?: number;
  /** @default 8444 */ peerHttps?: number;
  /** @default 8404 */ stats?: number;
}

/** HTTPS on the edge with an ACME certificate (docs/dns-tls.md). */
export interface EdgeTlsArgs {
  /** names the certificate covers, without trailing dots: the public names, then this site's own */
  names: string[];
  acme: {
    /** ACME directory. Let's Encrypt: https://acme-v02.api.letsencrypt.org/directory */
    directoryUrl: string;
    /** account contact (lego names the account after it) */
    email: string;
    /** @default "ec256" */
    keyType?: AcmeKeyType;
    /** renew when fewer days are left. @default 30 */
    renewDaysBefore?: number;
    /**
     * PEM of the ACME account key (EC P-256) that both sites' edges share, a secret; undefined
     * while it is not available (the peer stack is not up): the edge serves a self-signed
     * certificate and cannot obtain one until the host gets the key
     */
    accountKey: pulumi.Input<string | undefined>;
  };
  /** Strict-Transport-Security; undefined: no header */
  hsts?: { maxAgeSeconds: number; includeSubDomains: boolean; preload: boolean };
  /** the name the other site's certificate must carry on the peer hop. @default names[0] */
  peerVerifyName?: string;
  /** CA bundle that verifies the other site's edge. @default "/etc/ssl/certs/ca-certificates.crt" */
  peerCaFile?: string;
}

export const DEFAULT_EDGE_PORTS = EDGE_DEFAULT_PORTS;
export const DEFAULT_HEALTH_CHECK = EDGE_DEFAULT_HEALTH;
export const DEFAULT_NODE_PORTS = EDGE_DEFAULT_NODE_PORTS;

export interface EdgeProxyArgs {
  /** site name ("iu", "tacc"): prefix of cloud names and host names */
  site: string;
  /** the site shell (SiteNetwork outputs) */
  networkId: pulumi.Input<string>;
  subnetId: pulumi.Input<string>;
  /** CIDR of the site subnet: the VIP's prefix length comes from it */
  subnetCidr: string;
  /** the SiteNetwork's `edge` security group (80/443 world, VRRP pair, SSH via bastion) */
  securityGroupId: pulumi.Input<string>;
  keypairName: pulumi.Input<string>;
  /** external network for the VIP's floating IP. @default "public" */
  externalNetwork?: string;
  /** operators' networks: pre-live and stats frontends */
  adminCidrs: string[];
  image: string;
  flavor: string;
  /** @default 2 */
  hosts?: number;
  /** fixed IP of the VIP port on the site subnet */
  vip: string;
  /** @default "ens3" */
  interface?: string;
  /** @default 51 */
  virtualRouterId?: number;
  /** every slot of the site; a slot whose stack is not up has no ingress nodes */
  slots: EdgeSlotArgs[];
  liveSlot: string;
  preliveSlot?: string;
  /** the ingress gateway's NodePorts on the nodes. @default {http:30080, https:30443, status:30021} */
  nodePorts?: pulumi.Input<{ http: number; https: number; status: number }>;
  /** the other site's edge (public VIP address): `backup` of the live backends */
  peer?: { site: string; address: pulumi.Input<string | undefined> };
  /** sources allowed on the peer frontends. @default ["0.0.0.0/0"] */
  peerSourceCidrs?: string[];
  ports?: EdgePorts;
  healthCheck?: Partial<HealthCheckSettings>;
  /** @default "jsp-admin" */
  statsUser?: string;
  /** more files for the edge hosts' cloud-init (e.g. the failover controller) */
  extraFiles?: pulumi.Input<CloudFile[]>;
  /** more runcmd lines, run after HAProxy and keepalived are up */
  extraRuncmd?: pulumi.Input<Array<string | string[]>>;
  /** more Debian packages for the edge hosts */
  extraPackages?: pulumi.Input<string[]>;
  /** terminate TLS on the edge with an ACME certificate; undefined: 443 passes through to the gateway */
  tls?: EdgeTlsArgs;
}

/**
 * The edge of a site: two HAProxy hosts sharing a keepalived VIP (port with a fixed IP, allowed
 * as an address pair on both host ports, floating IP on the VIP port). Live frontends serve
 * the live slot with the other site's edge as backup; pre-live serves the slot under test.
 */
export class EdgeProxy extends pulumi.ComponentResource {
  /** VIP on the site subnet */
  public readonly vipAddress: pulumi.Output<string>;
  /** floating IP of the VIP: the site's public address (DNS points here) */
  public readonly publicAddress: pulumi.Output<string>;
  /** host name -> fixed IP of each edge host */
  public readonly hostAddresses: pulumi.Output<Record<string, string>>;
  public readonly statsUser: pulumi.Output<string>;
  /** generated stats password, a secret */
  public readonly statsPassword: pulumi.Output<string>;
  /** the rendered haproxy.cfg (no secret in it) */
  public readonly haproxyConfig: pulumi.Output<string>;
  /** host name -> rendered keepalived.conf (the auth password is an include, not in it) */
  public readonly keepalivedConfigs: pulumi.Output<Record<string, string>>;
  /** the ACME settings file of the edge hosts (no secret in it); undefined without TLS */
  public readonly acmeEnv: pulumi.Output<string | undefined>;

  constructor(name: string, args: EdgeProxyArgs, opts?: pulumi.ComponentResourceOptions) {
    // The account key stays out of the component's recorded inputs: a nested secret would make
    // the whole `tls` input secret (unreadable in the state), and the key needs no record here.
    const recorded = args.tls
      ? { ...args, tls: { ...args.tls, acme: { ...args.tls.acme, accountKey: "[secret]" } } }
      : args;
    super("jetstream:edge:EdgeProxy", name, recorded, opts);
    const r = createEdgeProxy(name, args, this);
    this.vipAddress = r.vipAddress;
    this.publicAddress = r.publicAddress;
    this.hostAddresses = r.hostAddresses;
    this.statsUser = r.statsUser;
    this.statsPassword = r.statsPassword;
    this.haproxyConfig = r.haproxyConfig;
    this.keepalivedConfigs = r.keepalivedConfigs;
    this.acmeEnv = r.acmeEnv;
    this.registerOutputs({
      vipAddress: this.vipAddress,
      publicAddress: this.publicAddress,
      hostAddresses: this.hostAddresses,
      statsUser: this.statsUser,
      statsPassword: this.statsPassword,
      haproxyConfig: this.haproxyConfig,
      keepalivedConfigs: this.keepalivedConfigs,
      acmeEnv: this.acmeEnv,
    });
  }
}

function cidrKey(cidr: string): string {
  return cidr.replace(/[./]/g, "-");
}

const IP_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** HAProxy's TLS settings from the component's args (one place for the edge's TLS paths). */
function edgeTlsSettings(t: EdgeTlsArgs | undefined): EdgeTlsSettings | undefined {
  if (!t) return undefined;
  return {
    certFile: ACME_PATHS.certFile,
    thumbprintEnv: ACME_THUMBPRINT_ENV,
    hsts: t.hsts,
    peer: {
      caFile: t.peerCaFile ?? "/etc/ssl/certs/ca-certificates.crt",
      verifyName: t.peerVerifyName ?? t.names[0],
    },
  };
}

/**
 * The ACME part of the edge hosts' cloud-init: the real one (with the account key, secret) and
 * the artifact's copy (the key replaced by a placeholder). Both undefined without TLS.
 */
function acmeCloudParts(args: EdgeProxyArgs, parent: pulumi.Resource) {
  const t = args.tls;
  if (!t) return { secret: pulumi.output(undefined), artifact: pulumi.output(undefined), env: undefined };
  if (t.names.length === 0) throw new pulumi.ResourceError("tls.names must list at least one name", parent);
  const input = {
    names: t.names,
    directoryUrl: t.acme.directoryUrl,
    email: t.acme.email,
    keyType: t.acme.keyType ?? "ec256",
    renewDaysBefore: t.acme.renewDaysBefore ?? 30,
    paths: {
      state: ACME_PATHS.state,
      webroot: ACME_PATHS.webroot,
      certFile: ACME_PATHS.certFile,
      adminSocket: EDGE_PATHS.adminSocket,
      haproxyEnv: EDGE_PATHS.haproxyEnv,
    },
  };
  const key = pulumi.output(t.acme.accountKey);
  const env = renderAcmeEnv(input);
  const artifact = key.apply((k) => {
    if (k === undefined) {
      pulumi.log.warn(
        `edge ${args.site}: no ACME account key yet (tls.acme.account: peer and the peer stack exports no acmeAccountKey); the edge serves a self-signed certificate until its hosts get one`,
        parent,
      );
    }
    return renderAcmeCloudPart(input, k === undefined ? undefined : "[secret]\n");
  });
  for (const f of renderAcmeCloudPart(input, undefined).files) {
    registerArtifact(`acme/${f.path.split("/").pop()}`, f.content);
  }
  return { secret: pulumi.secret(key.apply((k) => renderAcmeCloudPart(input, k))), artifact, env };
}

/** @internal */
function createEdgeProxy(name: string, args: EdgeProxyArgs, parent: pulumi.Resource) {
  const opts: pulumi.CustomResourceOptions = { parent };
  const hosts = args.hosts ?? 2;
  if (!Number.isInteger(hosts) || hosts < 1 || hosts > 2) {
    throw new pulumi.ResourceError(`hosts = ${hosts}: must be 1 or 2`, parent);
  }
  const slotNames = args.slots.map((s) => s.name);
  if (!slotNames.includes(args.liveSlot)) {
    throw new pulumi.ResourceError(
      `liveSlot ${args.liveSlot} is not one of slots (${slotNames.join(", ")})`,
      parent,
    );
  }
  if (
    args.preliveSlot !== undefined &&
    (args.preliveSlot === args.liveSlot || !slotNames.includes(args.preliveSlot))
  ) {
    throw new pulumi.ResourceError(
      `preliveSlot ${args.preliveSlot} must be another of slots (${slotNames.join(", ")})`,
      parent,
    );
  }
  for (const c of [...args.adminCidrs, ...(args.peerSourceCidrs ?? [])]) {
    if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(c))
      throw new pulumi.ResourceError(`CIDR ${c} is not a.b.c.d/n`, parent);
  }
  for (const c of args.adminCidrs) {
    if (Number(c.split("/")[1]) < 8) {
      throw new pulumi.ResourceError(
        `adminCidrs entry ${c} opens to the world; give the operators' networks`,
        parent,
      );
    }
  }
  const prefixLength = Number(args.subnetCidr.split("/")[1]);
  if (!IP_RE.test(args.vip)) throw new pulumi.ResourceError(`vip ${args.vip} is not an IPv4 address`, parent);
  const ports = { ...DEFAULT_EDGE_PORTS, ...args.ports };
  const health = { ...DEFAULT_HEALTH_CHECK, ...args.healthCheck };
  const statsUser = args.statsUser ?? "jsp-admin";
  const iface = args.interface ?? "ens3";
  const vrid = args.virtualRouterId ?? 51;
  const externalNetwork = args.externalNetwork ?? "public";

  const statsPassword = new random.RandomPassword(
    `${name}-stats-password`,
    { length: 32, special: false },
    opts,
  );
  // VRRPv2 PASS authentication carries 8 characters; it keeps strays off the VRID, the
  // security group (protocol 112 only between the pair) is the actual barrier.
  const vrrpPassword = new random.RandomPassword(
    `${name}-vrrp-password`,
    { length: 8, special: false, minNumeric: 1, minUpper: 1, minLower: 1 },
    opts,
  );

  // Security group rules of our own frontends, on the SiteNetwork's edge group.
  const ruleSpecs: Array<{ key: string; port: number; cidr: string; what: string }> = [];
  for (const cidr of [...args.adminCidrs].sort()) {
    ruleSpecs.push(
      { key: `prelive-http-${cidrKey(cidr)}`, port: ports.preliveHttp, cidr, what: "pre-live HTTP" },
      { key: `prelive-https-${cidrKey(cidr)}`, port: ports.preliveHttps, cidr, what: "pre-live HTTPS" },
      { key: `stats-${cidrKey(cidr)}`, port: ports.stats, cidr, what: "stats and metrics" },
    );
  }
  for (const cidr of [...(args.peerSourceCidrs ?? ["0.0.0.0/0"])].sort()) {
    ruleSpecs.push(
      { key: `peer-http-${cidrKey(cidr)}`, port: ports.peerHttp, cidr, what: "the other site's edge (HTTP)" },
      {
        key: `peer-https-${cidrKey(cidr)}`,
        port: ports.peerHttps,
        cidr,
        what: "the other site's edge (HTTPS)",
      },
    );
  }
  for (const r of ruleSpecs) {
    new openstack.networking.SecGroupRule(
      `${name}-${r.key}`,
      {
        securityGroupId: args.securityGroupId,
        description: `${r.what} on the ${args.site} edge from ${r.cidr}`,
        direction: "ingress",
        ethertype: "IPv4",
        protocol: "tcp",
        portRangeMin: r.port,
        portRangeMax: r.port,
        remoteIpPrefix: r.cidr,
      },
      opts,
    );
  }

  const vipPort = new openstack.networking.Port(
    `${name}-vip-port`,
    {
      name: `${args.site}-edge-vip`,
      description: `VIP of the ${args.site} edge (keepalived moves it between the hosts)`,
      networkId: args.networkId,
      fixedIps: [{ subnetId: args.subnetId, ipAddress: args.vip }],
      securityGroupIds: [args.securityGroupId],
      adminStateUp: true,
    },
    opts,
  );

  const serverGroup = new openstack.compute.ServerGroup(
    `${name}-servergroup`,
    // soft-anti-affinity would let both hosts land on one hypervisor: refuse that.
    { name: `${args.site}-edge`, policies: ["anti-affinity"] },
    opts,
  );

  const hostNames = Array.from({ length: hosts }, (_, k) => `${args.site}-edge-${k + 1}`);
  const hostPorts = hostNames.map(
    (host, k) =>
      new openstack.networking.Port(
        `${name}-${k + 1}-port`,
        {
          name: `${host}-port`,
          networkId: args.networkId,
          fixedIps: [{ subnetId: args.subnetId }],
          securityGroupIds: [args.securityGroupId],
          // port security drops traffic for addresses not on the port: allow the VIP
          allowedAddressPairs: [{ ipAddress: args.vip }],
          adminStateUp: true,
        },
        opts,
      ),
  );
  const hostIps = hostPorts.map((p) => p.allFixedIps.apply((ips) => ips[0]));

  // The slots as HAProxy sees them. A slot whose stack is not up yet has no nodes: it is left
  // out with a warning (its backends stay empty), never an error.
  const slotLists = args.slots.map((s) =>
    pulumi.output(s.ingressNodes).apply((nodes) => {
      if (!nodes || nodes.length === 0) {
        pulumi.log.warn(
          `edge ${args.site}: slot ${s.name} has no ingressNodes (its stack is not up); its backends stay empty`,
          parent,
        );
      }
      return { name: s.name, ingressNodes: nodes && nodes.length > 0 ? nodes : undefined };
    }),
  );
  const peerAddress = args.peer ? pulumi.output(args.peer.address) : pulumi.output(undefined);
  const tls = edgeTlsSettings(args.tls);
  const haproxyConfig = pulumi
    .all([pulumi.all(slotLists), pulumi.output(args.nodePorts ?? DEFAULT_NODE_PORTS), peerAddress])
    .apply(([slots, nodePorts, peerAddr]) => {
      if (args.peer && !peerAddr) {
        pulumi.log.warn(
          `edge ${args.site}: the ${args.peer.site} site stack exports no edgePublicAddress yet; no backup servers`,
          parent,
        );
      }
      return renderHaproxyConfig(
        edgeHaproxyInput({
          site: args.site,
          liveSlot: args.liveSlot,
          preliveSlot: args.preliveSlot,
          slots,
          nodePorts,
          peer: args.peer && peerAddr ? { site: args.peer.site, address: peerAddr } : undefined,
          ports,
          vip: args.vip,
          adminCidrs: args.adminCidrs,
          statsUser,
          health,
          paths: {
            adminSocket: EDGE_PATHS.adminSocket,
            stateFile: EDGE_PATHS.stateFile,
            slotsMap: EDGE_PATHS.slotsMap,
          },
          tls,
        }),
      );
    });
  const slotsMap = renderSlotsMap({ liveSlot: args.liveSlot, preliveSlot: args.preliveSlot });
  registerArtifact("haproxy/haproxy.cfg", haproxyConfig);
  registerArtifact("haproxy/jsp-slots.map", slotsMap);

  const acme = acmeCloudParts(args, parent);
  const checkScript = renderHaproxyCheckScript(`http://127.0.0.1:${ports.peerHttp}/healthz/ready`);
  const notifyScript = renderNotifyScript(EDGE_PATHS.notifyLog);
  const extras = pulumi.all([
    pulumi.output(args.extraFiles ?? []),
    pulumi.output(args.extraRuncmd ?? []),
    pulumi.output(args.extraPackages ?? []),
  ]);
  const instances: openstack.compute.Instance[] = [];
  const keepalivedTexts: pulumi.Output<string>[] = [];
  hostNames.forEach((host, k) => {
    const keepalivedCfg = pulumi.all(hostIps).apply((ips) =>
      renderKeepalivedConfig({
        self: { name: host, address: ips[k] },
        peers: hostNames.flatMap((other, j) => (j === k ? [] : [{ name: other, address: ips[j] }])),
        vip: args.vip,
        prefixLength,
        interface: iface,
        virtualRouterId: vrid,
        priority: 110 - k * 10,
        advertIntSeconds: 1,
        check: { script: EDGE_PATHS.checkScript, intervalSeconds: 1, fall: 2, rise: 2 },
        notifyScript: EDGE_PATHS.notifyScript,
        authFile: EDGE_PATHS.keepalivedAuth,
      }),
    );
    registerArtifact(`keepalived/${host}.conf`, keepalivedCfg);
    keepalivedTexts.push(keepalivedCfg);
    const cloudInit = (secrets: pulumi.Input<[string, string]>, placeholder: boolean) =>
      pulumi
        .all([haproxyConfig, keepalivedCfg, extras, secrets, placeholder ? acme.artifact : acme.secret])
        .apply(([h, kc, [files, cmds, pkgs], [statsPw, vrrpPw], tlsPart]) =>
          renderEdgeCloudInit({
            hostname: host,
            haproxyCfg: h,
            slotsMap,
            keepalivedCfg: kc,
            checkScript,
            notifyScript,
            haproxyEnv: `JSP_STATS_PASSWORD=${statsPw}\n`,
            keepalivedAuth: placeholder ? `auth_pass ${vrrpPw}\n` : renderKeepalivedAuth(vrrpPw),
            // Extra files may carry their owner's secrets (possibly gz+b64, which no scrub
            // can see): the artifact names them only; their owner writes its own artifact.
            extraFiles: placeholder
              ? files.map((f) => ({
                  path: f.path,
                  permissions: f.permissions,
                  content: "# shipped by another component\n",
                }))
              : files,
            extraRuncmd: cmds,
            extraPackages: pkgs,
            tls: tlsPart,
          }),
        );
    // The artifact carries placeholders; only the instance's (secret) user data has the values.
    registerArtifact(`cloud-init/${host}.yaml`, cloudInit(["[secret]", "[secret]"], true));
    const userData = cloudInit(pulumi.all([statsPassword.result, vrrpPassword.result]), false);
    instances.push(
      new openstack.compute.Instance(
        `${name}-${k + 1}`,
        {
          name: host,
          imageName: args.image,
          flavorName: args.flavor,
          keyPair: args.keypairName,
          networks: [{ port: hostPorts[k].id }],
          schedulerHints: [{ group: serverGroup.id }],
          userData: pulumi.secret(userData),
          metadata: { "jetstream-paas/role": "edge", "jetstream-paas/site": args.site },
        },
        // Config changes are applied in place by `npm run edge -- apply` (validate + hitless
        // reload), one host at a time; replacing both VMs for a new haproxy.cfg would drop the VIP.
        { parent, ignoreChanges: ["userData"] },
      ),
    );
  });

  const fip = new openstack.networking.FloatingIp(
    `${name}-vip-fip`,
    { pool: externalNetwork, description: `${args.site} edge public address (VIP)` },
    opts,
  );
  new openstack.networking.FloatingIpAssociate(
    `${name}-vip-fip-assoc`,
    { floatingIp: fip.address, portId: vipPort.id },
    { parent, dependsOn: instances },
  );

  return {
    vipAddress: vipPort.allFixedIps.apply((ips) => ips[0] ?? args.vip),
    publicAddress: fip.address,
    hostAddresses: pulumi
      .all(hostIps)
      .apply((ips) => Object.fromEntries(hostNames.map((h, k) => [h, ips[k]])) as Record<string, string>),
    statsUser: pulumi.output(statsUser),
    statsPassword: pulumi.secret(statsPassword.result),
    haproxyConfig,
    keepalivedConfigs: pulumi
      .all(keepalivedTexts)
      .apply((t) => Object.fromEntries(hostNames.map((h, k) => [h, t[k]])) as Record<string, string>),
    acmeEnv: pulumi.output(acme.env),
  };
}
