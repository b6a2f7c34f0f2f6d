// A fake of the two OpenStack APIs the DNS checker and `npm run edge -- dns` use: Keystone v3
// (application-credential tokens with a catalog) and Designate v2 (zones, record sets). OpenStack
// is the one thing tests may fake; everything that talks to it here is the real client
// (src/openstack/designate.ts). It listens where it is told: 127.0.0.1 port 0 in tests, a
// documentation address inside a network namespace in the drill (run this file directly).
// Every change of a record set is logged with its time: the drill measures the flip by it.
import { randomUUID } from "node:crypto";
import { appendFileSync } from "node:fs";
import { createServer, IncomingMessage, Server, ServerResponse } from "node:http";
import { AddressInfo } from "node:net";

export interface FakeZone {
  name: string;
  records: Array<{ name: string; type?: string; ttl: number; records: string[] }>;
}

export interface FakeDesignateOptions {
  host?: string;
  port?: number;
  region?: string;
  credential: { id: string; secret: string };
  zones: FakeZone[];
  /** append every change as a JSON line here (for another process to read) */
  changeLog?: string;
}

export interface RecordChange {
  at: number;
  name: string;
  from: string[];
  to: string[];
}

interface StoredSet {
  id: string;
  zone_id: string;
  name: string;
  type: string;
  ttl: number;
  records: string[];
  status: string;
}

export interface FakeDesignate {
  url: string;
  authUrl: string;
  server: Server;
  changes: RecordChange[];
  /** the records of a name now */
  records(name: string): string[] | undefined;
  /** requests seen, by method and path (for "it did not call at all" checks) */
  requests: string[];
  close(): Promise<void>;
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve) => {
    let text = "";
    req.on("data", (c: Buffer) => (text += c.toString()));
    req.on("end", () => {
      try {
        resolve(text ? JSON.parse(text) : undefined);
      } catch {
        resolve(undefined);
      }
    });
  });
}

export async function startFakeDesignate(o: FakeDesignateOptions): Promise<FakeDesignate> {
  const region = o.region ?? "IU";
  const tokens = new Set<string>();
  const zones = o.zones.map((z) => ({ id: randomUUID(), name: z.name }));
  const sets: StoredSet[] = o.zones.flatMap((z, i) =>
    z.records.map((r) => ({
      id: randomUUID(),
      zone_id: zones[i].id,
      name: r.name,
      type: r.type ?? "A",
      ttl: r.ttl,
      records: [...r.records],
      status: "ACTIVE",
    })),
  );
  const changes: RecordChange[] = [];
  const requests: string[] = [];
  let base = "";

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://fake");
    requests.push(`${req.method} ${url.pathname}`);
    if (req.method === "POST" && url.pathname === "/v3/auth/tokens") {
      const body = (await readBody(req)) as {
        auth?: { identity?: { application_credential?: { id?: string; secret?: string } } };
      };
      const ac = body?.auth?.identity?.application_credential;
      if (ac?.id !== o.credential.id || ac?.secret !== o.credential.secret) {
        return send(res, 401, {
          error: { code: 401, message: "The request you have made requires authentication." },
        });
      }
      const token = randomUUID().replace(/-/g, "");
      tokens.add(token);
      return send(
        res,
        201,
        {
          token: {
            expires_at: new Date(Date.now() + 3_600_000).toISOString(),
            methods: ["application_credential"],
            catalog: [
              {
                type: "dns",
                name: "designate",
                endpoints: [{ interface: "public", region, region_id: region, url: base }],
              },
            ],
          },
        },
        { "x-subject-token": token },
      );
    }
    if (!tokens.has(String(req.headers["x-auth-token"] ?? ""))) return send(res, 401, { code: 401 });
    const parts = url.pathname.split("/").filter(Boolean); // v2 zones <id> recordsets <id>
    if (parts[0] !== "v2" || parts[1] !== "zones") return send(res, 404, { code: 404 });
    if (req.method === "GET" && parts.length === 2) {
      const name = url.searchParams.get("name");
      return send(res, 200, { zones: zones.filter((z) => !name || z.name === name) });
    }
    const zone = zones.find((z) => z.id === parts[2]);
    if (!zone || parts[3] !== "recordsets") return send(res, 404, { code: 404 });
    if (req.method === "GET" && parts.length === 4) {
      const name = url.searchParams.get("name");
      const type = url.searchParams.get("type");
      return send(res, 200, {
        recordsets: sets.filter(
          (s) => s.zone_id === zone.id && (!name || s.name === name) && (!type || s.type === type),
        ),
      });
    }
    const set = sets.find((s) => s.zone_id === zone.id && s.id === parts[4]);
    if (!set) return send(res, 404, { code: 404 });
    if (req.method === "GET") return send(res, 200, set);
    if (req.method === "PUT") {
      const body = (await readBody(req)) as { records?: unknown };
      if (!Array.isArray(body?.records) || body.records.length === 0) return send(res, 400, { code: 400 });
      const change = { at: Date.now(), name: set.name, from: set.records, to: body.records.map(String) };
      set.records = change.to;
      changes.push(change);
      if (o.changeLog) appendFileSync(o.changeLog, `${JSON.stringify(change)}\n`);
      return send(res, 202, { ...set, status: "PENDING" });
    }
    return send(res, 405, { code: 405 });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => send(res, 500, { code: 500 }));
  });
  await new Promise<void>((resolve) => server.listen(o.port ?? 0, o.host ?? "127.0.0.1", resolve));
  const addr = server.address() as AddressInfo;
  base = `http://${o.host ?? "127.0.0.1"}:${addr.port}`;
  return {
    url: base,
    authUrl: `${base}/v3`,
    server,
    changes,
    requests,
    records: (name) => sets.find((s) => s.name === name)?.records,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

// As its own process (the drill runs it inside a namespace):
//   node --import tsx test/harness/fake-designate.ts '<options as JSON>'
if (require.main === module) {
  const opts = JSON.parse(process.argv[2] ?? "{}") as FakeDesignateOptions;
  startFakeDesignate(opts).then(
    (f) => process.stdout.write(`fake designate on ${f.url}\n`),
    (err: unknown) => {
      process.stderr.write(`fake designate: ${String(err)}\n`);
      process.exit(1);
    },
  );
  process.on("SIGTERM", () => process.exit(0));
}
