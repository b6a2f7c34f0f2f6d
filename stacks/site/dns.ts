// DNS wiring of the site program (docs/dns-tls.md). Every site stack with a `dns` block
// exports its public names; the stack of `dns.recordsSite` (IU by default, where Jetstream2's
// Designate holds the allocation's zone) also plans the records: the public names at the live
// site's edge, and `<site>.<zone>` for each site's edge, whose address it reads from the
// other site's stack. With `dns.provider: external` nothing is planned in Designate; the
// stack exports the records to create (and writes dns/records.zone). It also exports what the
// DNS checker on the witness needs (`dnsChecker`).
import * as pulumi from "@pulumi/pulumi";
import { LoadedConfig, regionOf, SiteConfig, SITES } from "../../components/config";
import { DnsCheckerSource, DnsRecords, planRecords, RecordSpec, renderZoneFile } from "../../components/dns";
import { EDGE_READY_PATH } from "../../components/edge";
import { registerArtifact } from "../../src/artifacts";
import { publicNames } from "../../src/dns-names";
import type { EdgeStackOutputs } from "./edge";

export interface DnsStackOutputs {
  dnsPublicNames: string[];
  dnsZone?: string;
  dnsZoneId?: pulumi.Output<string>;
  /** absolute name -> { ttl, records, role }: what is planned (external: what to create) */
  dnsRecords?: pulumi.Output<Record<string, { ttl: number; records: string[]; role: string }>>;
  dnsChecker?: pulumi.Output<DnsCheckerSource>;
}

async function present(ref: pulumi.StackReference, key: string): Promise<boolean> {
  const d = await ref.getOutputDetails(key);
  const v = d.value ?? d.secretValue;
  return v !== undefined && v !== null && v !== "";
}

function asRecordMap(records: readonly RecordSpec[]) {
  return Object.fromEntries(records.map((r) => [r.name, { ttl: r.ttl, records: r.records, role: r.role }]));
}

export async function deployDns(
  loaded: LoadedConfig<SiteConfig>,
  edge: EdgeStackOutputs | undefined,
): Promise<DnsStackOutputs | undefined> {
  const { config } = loaded;
  const dns = config.dns;
  if (!dns) return undefined;
  const names = publicNames(dns.zone, dns.baseName, dns.appNames);
  const peerStack = config.edge?.peerStack;
  const peer = peerStack
    ? new pulumi.StackReference(`${config.site}-dns-peer`, { name: peerStack })
    : undefined;
  const peerSite = SITES.find((s) => s !== config.site)!;
  if (peer) {
    peer.getOutput("dnsPublicNames").apply((v) => {
      if (Array.isArray(v) && JSON.stringify(v) !== JSON.stringify(names)) {
        pulumi.log.warn(
          `dns: ${peerStack} has other public names (${v.join(", ")}); give both site stacks the same dns block, or one site's certificate lacks a name`,
        );
      }
    });
  }
  if (config.site !== dns.recordsSite) return { dnsPublicNames: names };

  const addresses: Record<string, pulumi.Input<string>> = {};
  if (edge) addresses[config.site] = edge.edgePublicAddress;
  if (peer && (await present(peer, "edgePublicAddress"))) {
    addresses[peerSite] = peer.getOutput("edgePublicAddress").apply(String);
  } else {
    pulumi.log.warn(
      `dns: ${peerStack ?? "no edge.peerStack"}: no edgePublicAddress yet; ${peerSite}.${dns.zone} is not planned${dns.live === peerSite ? " and neither are the public names" : ""} (bring ${peerSite} up first)`,
    );
  }
  const plan = (a: Record<string, string>) =>
    planRecords({
      zone: dns.zone,
      publicNames: names,
      live: dns.live,
      ttl: dns.ttl,
      siteTtl: dns.siteTtl,
      addresses: a,
    });
  const resolved = pulumi.all(addresses).apply((a) => a as Record<string, string>);
  registerArtifact(
    "dns/records.zone",
    resolved.apply((a) => renderZoneFile(dns.zone, plan(a).records)),
  );

  let records: DnsStackOutputs["dnsRecords"];
  let zoneId: pulumi.Output<string> | undefined;
  if (dns.provider === "designate") {
    const r = new DnsRecords(`${config.site}-dns`, {
      zone: { name: dns.zone, mode: dns.zoneMode, email: dns.zoneEmail },
      publicNames: names,
      live: dns.live,
      ttl: dns.ttl,
      siteTtl: dns.siteTtl,
      addresses,
    });
    records = r.records;
    zoneId = r.zoneId;
  } else {
    records = resolved.apply((a) => {
      const p = plan(a);
      for (const m of p.missing) pulumi.log.warn(`dns: nothing to export yet for ${m}`);
      pulumi.log.info(
        `dns: provider external; create the records of dnsRecords (or out/<stack>/dns/records.zone) at your DNS provider`,
      );
      return asRecordMap(p.records);
    });
  }
  const to = SITES.find((s) => s !== dns.live)!;
  const checker = resolved.apply((a): DnsCheckerSource => ({
    zone: dns.zone,
    provider: dns.provider,
    publicNames: names,
    from: dns.live,
    to,
    addresses: a,
    probe: { port: 80, path: EDGE_READY_PATH },
    policy: dns.checker,
    designate: { authUrl: loaded.openstack.authUrl, region: regionOf(dns.recordsSite) },
  }));
  return {
    dnsPublicNames: names,
    dnsZone: dns.zone,
    dnsZoneId: zoneId,
    dnsRecords: records,
    dnsChecker: checker,
  };
}
