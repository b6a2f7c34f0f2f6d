// `npm run app -- switch` against a fake Kubernetes API server on 127.0.0.1: traffic moves only
// to a Ready colour, the VirtualService follows the Service, rollback returns, and the config
// change to commit is printed.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import { blueGreenObjects, BlueGreenSpec } from "../../../components/apps";
import { main } from "../../../tools/app";
import { deploymentReadiness, paths } from "../../../tools/app/switch";
import { FakeKube, Obj, startFakeKube } from "../../harness/fake-kube";

const ROOT = resolve(__dirname, "..", "..", "..");
const NS = "shop";
const dir = mkdtempSync(join(tmpdir(), "jsp-app-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function spec(meshed: boolean): BlueGreenSpec {
  return {
    name: "web",
    namespace: NS,
    active: "blue",
    images: {
      blue: `r.example.org/web@sha256:${"a".repeat(64)}`,
      green: `r.example.org/web@sha256:${"b".repeat(64)}`,
    },
    replicas: 2,
    containerPort: 8080,
    servicePort: 80,
    readinessPath: "/healthz",
    meshed,
  };
}

function withStatus(d: Obj, ready: boolean): Obj {
  return {
    ...d,
    metadata: { ...(d.metadata as Obj), generation: 3 },
    status: ready
      ? { observedGeneration: 3, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 }
      : { observedGeneration: 3, replicas: 2, updatedReplicas: 2, readyReplicas: 1, availableReplicas: 1 },
  };
}

/** Loads the rendered manifests of one app into the fake API. */
function seed(kube: FakeKube, meshed: boolean, greenReady: boolean): void {
  kube.objects.clear();
  const o = blueGreenObjects(spec(meshed));
  kube.objects.set(paths.deployment(NS, "web-blue"), withStatus(o.deployments.blue, true));
  kube.objects.set(paths.deployment(NS, "web-green"), withStatus(o.deployments.green, greenReady));
  kube.objects.set(paths.service(NS, "web"), o.service);
  if (o.virtualService) kube.objects.set(paths.virtualService(NS, "web"), o.virtualService);
}

async function run(kube: FakeKube, args: string[]) {
  const kc = join(dir, "kubeconfig");
  writeFileSync(kc, kube.kubeconfig(NS));
  const out: string[] = [];
  const err: string[] = [];
  const code = await main([...args, "--kubeconfig", kc, "--interval", "20"], {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

const selectorColour = (kube: FakeKube) =>
  (kube.objects.get(paths.service(NS, "web")) as { spec: { selector: Record<string, string> } }).spec
    .selector["jetstream-paas.io/colour"];

describe("npm run app -- switch (fake Kubernetes API on 127.0.0.1)", () => {
  let kube: FakeKube;
  before(async () => {
    kube = await startFakeKube();
  });
  after(() => kube.close());
  beforeEach(() => {
    kube.requests.length = 0;
    kube.patches.length = 0;
    kube.patchQueries.length = 0;
    kube.onGet = undefined;
  });
  afterEach(() => {
    kube.onGet = undefined;
  });

  it("does not switch to a colour that is not Ready, and says why", async () => {
    seed(kube, true, false);
    const r = await run(kube, ["switch", "web", "--to", "green", "--timeout", "0.2"]);
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.err, /not switched: web-green is not Ready after 0\.2 s \(1\/2 replicas available\)/);
    assert.equal(kube.patches.length, 0, "nothing patched");
    assert.equal(selectorColour(kube), "blue");
    assert.ok(kube.requests.filter((q) => q.endsWith("/deployments/web-green")).length >= 2, "it polled");
  });

  it("waits until the colour becomes Ready, then moves Service and VirtualService", async () => {
    seed(kube, true, false);
    const dPath = paths.deployment(NS, "web-green");
    let polls = 0;
    kube.onGet = (path) => {
      // Ready from the third look on: the command must wait, not switch early or give up.
      if (path === dPath && ++polls === 3)
        kube.objects.set(dPath, withStatus(kube.objects.get(dPath)!, true));
    };
    const r = await run(kube, ["switch", "web", "--to", "green", "--timeout", "10", "--stack", "paasA"]);
    assert.equal(r.code, 0, r.out + r.err);
    assert.equal(selectorColour(kube), "green");
    const svc = kube.objects.get(paths.service(NS, "web")) as {
      metadata: { annotations: Record<string, string> };
    };
    assert.equal(svc.metadata.annotations["jetstream-paas.io/active-colour"], "green");
    assert.equal(svc.metadata.annotations["jetstream-paas.io/previous-colour"], "blue");
    const vs = kube.objects.get(paths.virtualService(NS, "web")) as {
      spec: { http: Array<{ route: Array<{ destination: { host: string } }> }> };
    };
    assert.equal(
      vs.spec.http[vs.spec.http.length - 1].route[0].destination.host,
      "web-green.shop.svc.cluster.local",
    );
    // The wait came first: no PATCH before the Ready read.
    const firstPatch = kube.requests.findIndex((q) => q.startsWith("PATCH"));
    const readyRead = kube.requests.filter((q) => q === `GET ${dPath}`).length;
    assert.ok(readyRead >= 3 && firstPatch > kube.requests.lastIndexOf(`GET ${dPath}`));
    assert.match(r.out, /switched shop\/web from blue to green \(Service and VirtualService\)/);
    assert.ok(
      kube.patchQueries.every((q) => q === "fieldManager=jetstream-paas-app"),
      kube.patchQueries.join(","),
    );
    assert.match(
      r.out,
      /pulumi -C stacks\/paas -s paasA config set --path 'jetstream-paas-cluster:blueGreen\[0\]\.active' green/,
    );
  });

  it("rolls back to the recorded previous colour", async () => {
    // state from the previous test: live on green, previous blue
    const r = await run(kube, ["switch", "web", "--rollback", "--timeout", "1"]);
    assert.equal(r.code, 0, r.out + r.err);
    assert.equal(selectorColour(kube), "blue");
    const vs = kube.objects.get(paths.virtualService(NS, "web")) as {
      spec: { http: Array<{ route: Array<{ destination: { host: string } }> }> };
    };
    assert.equal(vs.spec.http[1].route[0].destination.host, "web-blue.shop.svc.cluster.local");
    assert.match(r.out, /switched shop\/web from green to blue/);
  });

  it("refuses a rollback when no previous colour is recorded", async () => {
    seed(kube, false, true);
    const r = await run(kube, ["switch", "web", "--rollback"]);
    assert.equal(r.code, 1);
    assert.match(r.err, /no previous colour recorded on web/);
    assert.equal(kube.patches.length, 0);
  });

  it("switches an app outside the mesh by its Service alone", async () => {
    seed(kube, false, true);
    const r = await run(kube, ["switch", "web", "--to", "green"]);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(
      kube.patches.map((p) => p.path),
      [paths.service(NS, "web")],
    );
    assert.equal(selectorColour(kube), "green");
  });

  it("does nothing when the colour is already live", async () => {
    seed(kube, false, true);
    const r = await run(kube, ["switch", "web", "--to", "blue"]);
    assert.equal(r.code, 0);
    assert.match(r.out, /already on blue/);
    assert.equal(kube.patches.length, 0);
  });

  it("fails cleanly without valid credentials", async () => {
    seed(kube, false, true);
    const kc = join(dir, "bad-kubeconfig");
    writeFileSync(kc, kube.kubeconfig(NS).replace(`token: ${kube.token}`, "token: wrong"));
    const err: string[] = [];
    const code = await main(["switch", "web", "--to", "green", "--kubeconfig", kc], {
      out: () => {},
      err: (l) => err.push(l),
    });
    assert.equal(code, 1);
    assert.match(err.join("\n"), /HTTP 401/);
    assert.equal(kube.patches.length, 0);
  });

  it("runs as a CLI (as `npm run app` does): status, then a switch with its exit code", async () => {
    seed(kube, false, true);
    const kc = join(dir, "kubeconfig-cli");
    writeFileSync(kc, kube.kubeconfig(NS));
    // asynchronous child: this process must keep serving the fake API meanwhile
    const cli = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolveRun) => {
        execFile(
          process.execPath,
          ["--import", "tsx", join(ROOT, "tools", "app.ts"), ...args, "--kubeconfig", kc],
          { cwd: ROOT, timeout: 30_000 },
          (error, stdout, stderr) =>
            resolveRun({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
      });
    const status = await cli(["status", "web"]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /shop\/web: live blue, previous none/);
    assert.match(status.stdout, /green: Ready \(2\/2 replicas available/);
    const bad = await cli(["switch", "web", "--to", "purple"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--to purple: must be blue or green/);
    const ok = await cli(["switch", "web", "--to", "green", "--interval", "20"]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(selectorColour(kube), "green");
  });
});

describe("deployment readiness rule", () => {
  const d = (status: Obj, generation = 2, replicas = 2) =>
    deploymentReadiness({ metadata: { generation }, spec: { replicas }, status });
  it("needs the controller to have observed the latest generation", () => {
    assert.match(
      d({ observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }).reason,
      /not observed generation 2/,
    );
  });
  it("needs every replica updated, no old ones left, all available", () => {
    assert.equal(
      d({ observedGeneration: 2, replicas: 3, updatedReplicas: 2, availableReplicas: 2 }).ready,
      false,
    );
    assert.equal(
      d({ observedGeneration: 2, replicas: 2, updatedReplicas: 1, availableReplicas: 2 }).ready,
      false,
    );
    assert.equal(
      d({ observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 1 }).ready,
      false,
    );
    assert.equal(
      d({ observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }).ready,
      true,
    );
  });
  it("never calls a colour scaled to zero Ready", () => {
    assert.equal(d({ observedGeneration: 2 }, 2, 0).ready, false);
  });
});
