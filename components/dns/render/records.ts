// The records of the public entry, as data: which names, which type, which TTL, which address.
// The DnsRecords component turns each into an openstack.dns.RecordSet; with an outside DNS
// provider the stack exports the same list (and a zone-file fragment) for someone to create.
// Pure: no @pulumi/pulumi.
import { relativeName, siteFqdn } from "../../../src/dns-names";

export interface RecordSpec<A = string> {
  /** stable key, part of the resource name (changing it replaces the record) */
  key: string;
  /** absolute name with its trailing dot */
  name: string;
  type: "A";
  ttl: number;
  /** the address(es) the name resolves to */
  records: A[];
  /** public: moves between sites (the checker, `npm run edge -- dns flip`); site: fixed to one site */
  role: "public" | "site";
  /** the site the records point at */
  site: string;
  description: string;
}

export interface RecordPlanInput<A = string> {
  zone: string;
  /** absolute public names (base name first) */
  publicNames: string[];
  /** the site the public names point at */
  live: string;
  ttl: number;
  siteTtl: number;
  /**
   * each site's public edge address (its VIP's floating IP), or a stand-in for it (the
   * component passes Outputs); undefined while that site's stack is not up
   */
  addresses: Record<string, A | undefined>;
}

export interface RecordPlan<A = string> {
  records: Array<RecordSpec<A>>;
  /** names left out because their site has no address yet, with the reason */
  missing: string[];
}

const IP_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** A resource-name key from an absolute name: `@` -> apex, `api.weather` -> api-weather. */
export function recordKey(zone: string, fqdn: string): string {
  const rel = relativeName(zone, fqdn);
  return rel === "@" ? "apex" : rel.replace(/\./g, "-");
}

export function planRecords<A = string>(i: RecordPlanInput<A>): RecordPlan<A> {
  for (const [site, a] of Object.entries(i.addresses)) {
    if (typeof a === "string" && !IP_RE.test(a))
      throw new Error(`dns: address of ${site} "${a}" is not IPv4`);
  }
  const records: Array<RecordSpec<A>> = [];
  const missing: string[] = [];
  const live = i.addresses[i.live];
  for (const name of i.publicNames) {
    if (live === undefined) {
      missing.push(`${name} (the ${i.live} site exports no edgePublicAddress yet)`);
      continue;
    }
    records.push({
      key: recordKey(i.zone, name),
      name,
      type: "A",
      ttl: i.ttl,
      records: [live],
      role: "public",
      site: i.live,
      description: `public name of the platform; points at the live site's edge (moved by the DNS checker)`,
    });
  }
  for (const site of Object.keys(i.addresses).sort()) {
    const name = siteFqdn(i.zone, site);
    const address = i.addresses[site];
    if (address === undefined) {
      missing.push(`${name} (the ${site} site exports no edgePublicAddress yet)`);
      continue;
    }
    records.push({
      key: `site-${site}`,
      name,
      type: "A",
      ttl: i.siteTtl,
      records: [address],
      role: "site",
      site,
      description: `the ${site} edge for operators; never moves`,
    });
  }
  return { records, missing };
}

/**
 * A zone-file fragment (RFC 1035 master file) of the records, for an outside DNS provider:
 * most accept it as an import, and it states exactly what to create.
 */
export function renderZoneFile(zone: string, records: readonly RecordSpec[]): string {
  const lines = [
    `; records of the jetstream-paas public entry for ${zone}, rendered by components/dns.`,
    "; Create them at your DNS provider. The public names must stay at a short TTL: the",
    "; site-loss flip moves them (docs/dns-tls.md).",
    `$ORIGIN ${zone}`,
  ];
  for (const r of [...records].sort((a, b) => a.name.localeCompare(b.name))) {
    for (const value of r.records) {
      lines.push(
        `${relativeName(zone, r.name).padEnd(24)} ${String(r.ttl).padStart(6)} IN ${r.type} ${value}`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}
