// BlueGreenService under the mock engine: names, provider, selector follows the active colour.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { installMocks, MockEngine, settle } from "../../harness/mocks";
import { promiseOf } from "../../harness/outputs";

const D1 = `registry.example.org/web@sha256:${"a".repeat(64)}`;
const D2 = `registry.example.org/web@sha256:${"b".repeat(64)}`;

describe("BlueGreenService", () => {
  let engine: MockEngine;
  let providerUrn: string;

  before(async () => {
    engine = await installMocks({ project: "jetstream-paas-cluster", stack: "paasA" });
    const k8s = await import("@pulumi/kubernetes");
    const pulumi = await import("@pulumi/pulumi");
    const { BlueGreenService } = await import("../../../components/apps");
    const provider = new k8s.Provider("k8s", {
      kubeconfig: pulumi.secret("kubeconfig"),
      clusterIdentifier: "iu-paasa",
    });
    providerUrn = await promiseOf(provider.urn);
    const web = new BlueGreenService("web", {
      provider,
      namespace: "shop",
      active: "green",
      images: { blue: D1, green: D2 },
      meshed: true,
    });
    const api = new BlueGreenService("api", { provider, active: "blue", images: { blue: D1, green: D2 } });
    await promiseOf(web.manifests);
    await promiseOf(api.manifests);
    await settle();
  });

  it("registers the component token and parents its children to it", () => {
    const comp = engine.byName("web");
    assert.equal(comp.type, "jetstream:apps:BlueGreenService");
    const children = engine.resources
      .filter((r) => r.parentUrn === comp.urn)
      .map((r) => r.name)
      .sort();
    assert.deepEqual(children, [
      "web-blue",
      "web-blue-svc",
      "web-green",
      "web-green-svc",
      "web-svc",
      "web-vs",
    ]);
  });

  it("installs every child through the provider passed in", () => {
    for (const n of ["web-blue", "web-green", "web-svc", "web-vs", "api-svc"]) {
      assert.ok(engine.byName(n).provider?.startsWith(providerUrn), `${n} uses ${engine.byName(n).provider}`);
    }
  });

  it("selects the active colour in the Service and routes the VirtualService to it", () => {
    const web = engine.byName("web-svc").inputs as { spec: { selector: Record<string, string> } };
    assert.equal(web.spec.selector["jetstream-paas.io/colour"], "green");
    const api = engine.byName("api-svc").inputs as { spec: { selector: Record<string, string> } };
    assert.equal(api.spec.selector["jetstream-paas.io/colour"], "blue");
    const vs = engine.byName("web-vs").inputs as {
      spec: { http: Array<{ route: Array<{ destination: { host: string } }> }> };
    };
    assert.equal(vs.spec.http[1].route[0].destination.host, "web-green.shop.svc.cluster.local");
    assert.equal(
      engine.resources.filter((r) => r.name === "api-vs").length,
      0,
      "no VirtualService when not meshed",
    );
  });

  it("names the Deployments and Services exactly as the switch command expects", () => {
    const names = (n: string) =>
      (engine.byName(n).inputs as { metadata: { name: string; namespace: string } }).metadata;
    assert.deepEqual(names("web-blue"), { ...names("web-blue"), name: "web-blue", namespace: "shop" });
    assert.equal(names("web-svc").name, "web");
    assert.equal(names("api-green").namespace, "default");
  });

  it("refuses an invalid colour naming the argument", async () => {
    const k8s = await import("@pulumi/kubernetes");
    const { BlueGreenService } = await import("../../../components/apps");
    const provider = new k8s.Provider("k8s2", { kubeconfig: "x" });
    assert.throws(
      () =>
        new BlueGreenService("bad", { provider, active: "red" as never, images: { blue: D1, green: D2 } }),
      /active "red" must be blue or green/,
    );
  });
});
