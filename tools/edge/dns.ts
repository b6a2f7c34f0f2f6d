// `npm run edge -- dns status|flip`: the operators' view of the public names and the manual
// move between sites (docs/dns-tls.md). What the names are and where each site's edge is come
// from the records stack's `dnsChecker` output (`pulumi stack output --json --stack iu`, or
// --outputs FILE); Designate is reached with the operator's own application credential from
// the environment (the openrc: OS_AUTH_URL, OS_APPLICATION_CREDENTIAL_ID/_SECRET). Arguments
// and credentials are checked before anything is contacted.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { SITES } from "../../components/config";
import { probeEdge } from "../../components/dns/checker/checker";
import type { DnsCheckerSource } from "../../components/dns/dns-checker";
import { siteFqdn } from "../../src/dns-names";
import { DesignateClient, pointNames, readNames } from "../../src/openstack/designate";
import { Command, Io, oneOf, Refusal, UsageError } from "../lib/cli";

interface DnsOptions {
  stack: string;
  outputs?: string;
}

interface FlipOptions extends DnsOptions {
  to: string;
  yes: boolean;
  force: boolean;
}

/** The operator's credential, from the environment; a missing piece is a usage mistake. */
function credentialFromEnv(): { id: string; secret: string; authUrl?: string; region?: string } {
  const id = process.env.OS_APPLICATION_CREDENTIAL_ID;
  const secret = process.env.OS_APPLICATION_CREDENTIAL_SECRET;
  if (!id || !secret) {
    throw new UsageError(
      "set OS_APPLICATION_CREDENTIAL_ID and OS_APPLICATION_CREDENTIAL_SECRET (your allocation's openrc) to reach Designate",
    );
  }
  return { id, secret, authUrl: process.env.OS_AUTH_URL, region: process.env.OS_REGION_NAME };
}

function source(o: DnsOptions): DnsCheckerSource {
  const text = o.outputs
    ? readFileSync(o.outputs, "utf8")
    : execFileSync("pulumi", ["stack", "output", "--json", "--stack", o.stack], { encoding: "utf8" });
  const doc = JSON.parse(text) as {
    dnsChecker?: DnsCheckerSource;
    outputs?: { dnsChecker?: DnsCheckerSource };
  };
  const s = doc.outputs?.dnsChecker ?? doc.dnsChecker;
  if (!s) throw new Error(`stack ${o.stack} exports no dnsChecker (no dns section, or not the records site)`);
  if (s.provider === "external") {
    throw new Refusal(
      "dns.provider is external: the names live at your DNS provider; its dnsRecords output lists them",
    );
  }
  return s;
}

function client(s: DnsCheckerSource, cred: ReturnType<typeof credentialFromEnv>): DesignateClient {
  const authUrl = cred.authUrl ?? s.designate.authUrl;
  if (!authUrl) throw new Error("no Keystone URL: set OS_AUTH_URL");
  return new DesignateClient({
    authUrl,
    region: cred.region ?? s.designate.region,
    applicationCredentialId: cred.id,
    applicationCredentialSecret: cred.secret,
  });
}

async function edgeStates(s: DnsCheckerSource): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [site, address] of Object.entries(s.addresses).sort()) {
    out[site] = await probeEdge(address, s.probe.port, s.probe.path, s.policy.probeTimeoutMs);
  }
  return out;
}

async function status(o: DnsOptions, io: Io): Promise<void> {
  const cred = credentialFromEnv();
  const s = source(o);
  const c = client(s, cred);
  const zoneId = await c.zoneId(s.zone);
  const siteNames = Object.keys(s.addresses).map((site) => siteFqdn(s.zone, site));
  const view = await readNames(c, zoneId, [...s.publicNames, ...siteNames], s.addresses);
  const health = await edgeStates(s);
  for (const [name, v] of Object.entries(view.byName)) {
    io.out(
      JSON.stringify({
        name,
        records: v.records,
        ttl: v.ttl,
        site: v.site ?? "neither site",
        public: s.publicNames.includes(name),
      }),
    );
  }
  for (const [site, edge] of Object.entries(health)) {
    io.out(JSON.stringify({ site, address: s.addresses[site], edge }));
  }
  const publicView = await readNames(c, zoneId, s.publicNames, s.addresses);
  io.out(JSON.stringify({ publicNamesPointAt: publicView.target, primary: s.from, standby: s.to }));
}

async function flip(o: FlipOptions, io: Io): Promise<void> {
  if (!o.yes)
    throw new UsageError(`flip moves every public name to ${o.to}'s edge; run again with --yes to do it`);
  const cred = credentialFromEnv();
  const s = source(o);
  const address = s.addresses[o.to];
  if (!address) throw new Refusal(`stack ${o.stack} knows no edge address for ${o.to}`);
  const health = await probeEdge(address, s.probe.port, s.probe.path, s.policy.probeTimeoutMs);
  if (health !== "up" && !o.force) {
    throw new Refusal(
      `${o.to}'s edge is not healthy from here (${health}); refusing to send users there (--force to do it anyway)`,
    );
  }
  const c = client(s, cred);
  const zoneId = await c.zoneId(s.zone);
  const moved = await pointNames(c, zoneId, s.publicNames, address);
  const view = await readNames(c, zoneId, s.publicNames, s.addresses);
  if (view.target !== o.to) throw new Error(`after the move the names point at ${view.target}, not ${o.to}`);
  const ttl = Math.max(...Object.values(view.byName).map((v) => v.ttl));
  io.out(
    moved.length === 0
      ? `every public name already points at ${o.to} (${address})`
      : `moved ${moved.length} name(s) to ${o.to} (${address}): ${moved.join(", ")}`,
  );
  io.out(`resolvers may keep the old address for up to ${ttl} s (the names' TTL)`);
  io.out(
    o.to === s.from
      ? `the DNS checker watches ${s.from} again and moves the names to ${s.to} only on new evidence`
      : `the DNS checker never moves them back; when ${s.from} is healthy, run: npm run edge -- dns flip --to ${s.from} --yes`,
  );
}

function withDns(c: Command): Command {
  return c
    .option(
      "--stack <site>",
      `the site stack that plans the records (${SITES.join(", ")})`,
      oneOf(SITES),
      "iu",
    )
    .option("--outputs <file>", "that stack's outputs as JSON (default: pulumi stack output --json)");
}

export function dnsCommand(root: Command, io: Io): Command {
  const dns = root
    .command("dns")
    .description("the public DNS names: where they point, each edge's health, moving them between sites")
    .action(() => {
      throw new UsageError("give a dns command (status, flip)");
    });
  withDns(
    dns
      .command("status")
      .description("where every public and per-site name points, and each site's edge health"),
  ).action(async (o: DnsOptions) => status(o, io));
  withDns(
    dns
      .command("flip")
      .description("point every public name at one site's edge (refused if that edge is not healthy)"),
  )
    .requiredOption("--to <site>", `the site whose edge gets the names (${SITES.join(", ")})`, oneOf(SITES))
    .option("--yes", "really move the names", false)
    .option("--force", "move even if that site's edge does not look healthy from here", false)
    .action(async (o: FlipOptions) => flip(o, io));
  return dns;
}
