// The one client of OpenStack's DNS service (Designate v2) for the code that runs outside
// Pulumi: the DNS checker on the witness and `npm run edge -- dns`. Keystone v3 with an
// application credential, the `dns` endpoint from the token's catalog, then the three calls
// the public entry needs: find the zone, find a record set, replace its records. Plain fetch,
// no dependency (the checker is bundled for the witness host's Node 18).
// API: docs.openstack.org/api-ref/identity/v3 (POST /v3/auth/tokens) and
// docs.openstack.org/api-ref/dns (v2 zones and recordsets).

export interface OpenStackCredential {
  /** Keystone v3, e.g. https://js2.jetstream-cloud.org:5000/v3/ */
  authUrl: string;
  /** region of the DNS endpoint (Jetstream2: IU) */
  region: string;
  applicationCredentialId: string;
  applicationCredentialSecret: string;
  /** endpoint interface. @default "public" */
  interface?: string;
}

export interface RecordSet {
  id: string;
  zoneId: string;
  name: string;
  type: string;
  ttl: number;
  records: string[];
  /** ACTIVE once the nameservers have it; PENDING right after a change */
  status: string;
}

type Fetch = typeof fetch;

interface Token {
  value: string;
  expiresAt: number;
  dnsUrl: string;
}

interface CatalogEntry {
  type?: string;
  endpoints?: Array<{ interface?: string; region?: string; region_id?: string; url?: string }>;
}

function v3(authUrl: string): string {
  const base = authUrl.replace(/\/+$/, "");
  return /\/v3$/.test(base) ? base : `${base}/v3`;
}

function v2(dnsUrl: string): string {
  const base = dnsUrl.replace(/\/+$/, "");
  return /\/v2$/.test(base) ? base : `${base}/v2`;
}

function recordSetOf(o: Record<string, unknown>): RecordSet {
  return {
    id: String(o.id),
    zoneId: String(o.zone_id),
    name: String(o.name),
    type: String(o.type),
    ttl: Number(o.ttl),
    records: Array.isArray(o.records) ? o.records.map(String) : [],
    status: String(o.status ?? ""),
  };
}

export class DesignateError extends Error {}

export class DesignateClient {
  private token?: Token;

  constructor(
    private readonly cred: OpenStackCredential,
    private readonly opts: { timeoutMs?: number; fetch?: Fetch } = {},
  ) {}

  private get fetch(): Fetch {
    return this.opts.fetch ?? fetch;
  }

  private signal(): AbortSignal {
    return AbortSignal.timeout(this.opts.timeoutMs ?? 10_000);
  }

  /** A token, renewed a minute before it expires. */
  private async auth(): Promise<Token> {
    if (this.token && this.token.expiresAt - 60_000 > Date.now()) return this.token;
    const res = await this.fetch(`${v3(this.cred.authUrl)}/auth/tokens`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        auth: {
          identity: {
            methods: ["application_credential"],
            application_credential: {
              id: this.cred.applicationCredentialId,
              secret: this.cred.applicationCredentialSecret,
            },
          },
        },
      }),
      signal: this.signal(),
    });
    // never the body: an error answer may echo what was sent
    if (res.status !== 201)
      throw new DesignateError(`Keystone refused the application credential (HTTP ${res.status})`);
    const value = res.headers.get("x-subject-token");
    const body = (await res.json()) as { token?: { expires_at?: string; catalog?: CatalogEntry[] } };
    const iface = this.cred.interface ?? "public";
    const endpoint = (body.token?.catalog ?? [])
      .filter((c) => c.type === "dns")
      .flatMap((c) => c.endpoints ?? [])
      .find((e) => e.interface === iface && (e.region_id ?? e.region) === this.cred.region);
    if (!value) throw new DesignateError("Keystone answered without a token");
    if (!endpoint?.url) {
      throw new DesignateError(`the catalog has no ${iface} dns endpoint in region ${this.cred.region}`);
    }
    const expiresAt = Date.parse(body.token?.expires_at ?? "") || Date.now() + 3_600_000;
    this.token = { value, expiresAt, dnsUrl: v2(endpoint.url) };
    return this.token;
  }

  private async call(method: "GET" | "PUT", path: string, body?: unknown): Promise<Record<string, unknown>> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const t = await this.auth();
      const res = await this.fetch(`${t.dnsUrl}${path}`, {
        method,
        headers: { "x-auth-token": t.value, accept: "application/json", "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: this.signal(),
      });
      if (res.status === 401 && attempt === 0) {
        this.token = undefined; // revoked or expired early: authenticate once more
        continue;
      }
      if (res.status >= 300)
        throw new DesignateError(`Designate ${method} ${path.split("?")[0]}: HTTP ${res.status}`);
      return (await res.json()) as Record<string, unknown>;
    }
    throw new DesignateError(`Designate ${method} ${path}: unauthorized`);
  }

  async zoneId(name: string): Promise<string> {
    const r = await this.call("GET", `/zones?name=${encodeURIComponent(name)}`);
    const zones = Array.isArray(r.zones) ? (r.zones as Array<Record<string, unknown>>) : [];
    const z = zones.find((x) => x.name === name);
    if (!z) throw new DesignateError(`no zone ${name} in this project`);
    return String(z.id);
  }

  async recordSet(zoneId: string, name: string, type = "A"): Promise<RecordSet | undefined> {
    const r = await this.call(
      "GET",
      `/zones/${encodeURIComponent(zoneId)}/recordsets?name=${encodeURIComponent(name)}&type=${type}`,
    );
    const sets = Array.isArray(r.recordsets) ? (r.recordsets as Array<Record<string, unknown>>) : [];
    const found = sets.find((x) => x.name === name && x.type === type);
    return found ? recordSetOf(found) : undefined;
  }

  /** Replaces the records of a record set (Designate answers 202 with status PENDING). */
  async setRecords(zoneId: string, recordSetId: string, records: string[]): Promise<RecordSet> {
    const r = await this.call(
      "PUT",
      `/zones/${encodeURIComponent(zoneId)}/recordsets/${encodeURIComponent(recordSetId)}`,
      { records },
    );
    return recordSetOf(r);
  }
}

/** Where each public name points now, and which site that is (by address). */
export interface NamesView {
  byName: Record<string, { records: string[]; ttl: number; site?: string }>;
  /** one site when every name points at it; "mixed" or "none" otherwise */
  target: string | "mixed" | "none";
}

export async function readNames(
  client: DesignateClient,
  zoneId: string,
  names: readonly string[],
  addresses: Readonly<Record<string, string>>,
): Promise<NamesView> {
  const siteOf = (records: string[]) =>
    Object.entries(addresses).find(([, a]) => records.length === 1 && records[0] === a)?.[0];
  const byName: NamesView["byName"] = {};
  for (const n of names) {
    const rs = await client.recordSet(zoneId, n);
    byName[n] = rs ? { records: rs.records, ttl: rs.ttl, site: siteOf(rs.records) } : { records: [], ttl: 0 };
  }
  const sites = new Set(Object.values(byName).map((v) => v.site ?? "none"));
  const target = sites.size === 1 ? [...sites][0] : "mixed";
  return { byName, target };
}

/** Points every name that does not yet point at `address` there; returns the names changed. */
export async function pointNames(
  client: DesignateClient,
  zoneId: string,
  names: readonly string[],
  address: string,
): Promise<string[]> {
  const changed: string[] = [];
  for (const n of names) {
    const rs = await client.recordSet(zoneId, n);
    if (!rs) throw new DesignateError(`no A record set ${n} in the zone`);
    if (rs.records.length === 1 && rs.records[0] === address) continue;
    await client.setRecords(zoneId, rs.id, [address]);
    changed.push(n);
  }
  return changed;
}
