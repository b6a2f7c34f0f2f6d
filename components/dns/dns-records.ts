import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { isZoneName } from "../../src/dns-names";
import { planRecords, RecordSpec } from "./render/records";

export interface DnsZoneArgs {
  /** zone name with its trailing dot; Jetstream2: `<allocation>.projects.jetstream-cloud.org.` */
  name: string;
  /** look it up (Jetstream2 created it for the allocation) or create it. @default "existing" */
  mode?: "existing" | "create";
  /** SOA contact; required when mode is create */
  email?: string;
  /** TTL of a created zone's SOA/NS. @default 3600 */
  ttl?: number;
}

export interface DnsRecordsArgs {
  zone: DnsZoneArgs;
  /** absolute public names (base name first): all point at the live site's edge */
  publicNames: string[];
  /** the site the public names point at when created; without an address the public names wait (a warning) */
  live: string;
  /** TTL of the public names. @default 60 */
  ttl?: number;
  /** TTL of the per-site names `<site>.<zone>`. @default 300 */
  siteTtl?: number;
  /** each site's public edge address; a site without one (its stack not up) is left out */
  addresses: Record<string, pulumi.Input<string>>;
}

/**
 * The public entry's records in Designate: the public names (short TTL) at the live site's
 * edge, and `<site>.<zone>` for each site's edge. The public names' addresses are moved by the
 * DNS checker and `npm run edge -- dns flip` through Designate's API, never by Pulumi: their
 * `records` are ignored after creation, so a `pulumi up` never moves traffic back by itself.
 */
export class DnsRecords extends pulumi.ComponentResource {
  public readonly zoneId: pulumi.Output<string>;
  /** absolute name -> { ttl, records, role } as planned (public names: as first created) */
  public readonly records: pulumi.Output<Record<string, { ttl: number; records: string[]; role: string }>>;

  constructor(name: string, args: DnsRecordsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jetstream:dns:DnsRecords", name, args, opts);
    const r = createDnsRecords(name, args, this);
    this.zoneId = r.zoneId;
    this.records = r.records;
    this.registerOutputs({ zoneId: this.zoneId, records: this.records });
  }
}

function zoneOf(name: string, z: DnsZoneArgs, parent: pulumi.Resource): pulumi.Output<string> {
  if ((z.mode ?? "existing") === "existing") {
    return openstack.dns.getDnsZoneOutput({ name: z.name }, { parent }).apply((found) => found.id);
  }
  if (!z.email) throw new pulumi.ResourceError(`zone.email is required when zone.mode is create`, parent);
  const zone = new openstack.dns.Zone(
    `${name}-zone`,
    {
      name: z.name,
      email: z.email,
      ttl: z.ttl ?? 3600,
      type: "PRIMARY",
      description: "jetstream-paas public entry",
    },
    // the zone holds names other stacks and people may add: never delete it with the stack
    { parent, protect: true },
  );
  return zone.id;
}

/** @internal */
function createDnsRecords(name: string, args: DnsRecordsArgs, parent: pulumi.Resource) {
  if (!isZoneName(args.zone.name)) {
    throw new pulumi.ResourceError(
      `zone.name ${args.zone.name} must be a zone with its trailing dot`,
      parent,
    );
  }
  const plan = planRecords<pulumi.Input<string>>({
    zone: args.zone.name,
    publicNames: args.publicNames,
    live: args.live,
    ttl: args.ttl ?? 60,
    siteTtl: args.siteTtl ?? 300,
    addresses: args.addresses,
  });
  for (const m of plan.missing) pulumi.log.warn(`dns: no record for ${m}`, parent);
  const zoneId = zoneOf(name, args.zone, parent);
  const planned = plan.records.map((spec: RecordSpec<pulumi.Input<string>>) => {
    const rs = new openstack.dns.RecordSet(
      `${name}-${spec.key}`,
      {
        zoneId,
        name: spec.name,
        type: spec.type,
        ttl: spec.ttl,
        records: spec.records,
        description: spec.description,
      },
      // Public names move at runtime (checker, operators); Pulumi must not move them back.
      { parent, ignoreChanges: spec.role === "public" ? ["records"] : [] },
    );
    return pulumi
      .all([rs.name, rs.ttl, rs.records])
      .apply(([n, ttl, records]) => [n, { ttl, records, role: spec.role }] as const);
  });
  return {
    zoneId,
    records: pulumi.all(planned).apply((entries) => Object.fromEntries(entries)),
  };
}
