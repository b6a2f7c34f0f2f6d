// The blue/green renderer: manifests valid per kubernetes-models, selector and route follow
// the active colour, the idle colour stays warm and reachable for smoke tests.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseAllDocuments } from "yaml";
import {
  ANNOTATION_ACTIVE,
  BlueGreenSpec,
  blueGreenObjects,
  LABEL_COLOUR,
  manifestList,
  renderBlueGreenManifests,
  validateManifests,
  virtualServiceHttp,
} from "../../../components/apps";

const D1 = `registry.example.org/web@sha256:${"a".repeat(64)}`;
const D2 = `registry.example.org/web@sha256:${"b".repeat(64)}`;

function spec(over: Partial<BlueGreenSpec> = {}): BlueGreenSpec {
  return {
    name: "web",
    namespace: "shop",
    active: "blue",
    images: { blue: D1, green: D2 },
    replicas: 3,
    containerPort: 8080,
    servicePort: 80,
    readinessPath: "/healthz",
    meshed: false,
    ...over,
  };
}

describe("blue/green renderer", () => {
  it("renders Deployments <name>-blue/-green with their own digests and full replicas", () => {
    const o = blueGreenObjects(spec());
    for (const [c, d] of [
      ["blue", D1],
      ["green", D2],
    ] as const) {
      const dep = o.deployments[c] as unknown as { metadata: { name: string }; spec: Record<string, never> };
      assert.equal(dep.metadata.name, `web-${c}`);
      const s = dep.spec as unknown as {
        replicas: number;
        selector: { matchLabels: Record<string, string> };
        template: { spec: { containers: Array<{ name: string; image: string }> } };
      };
      assert.equal(s.replicas, 3, "idle colour stays warm");
      assert.equal(s.selector.matchLabels[LABEL_COLOUR], c);
      assert.equal(s.template.spec.containers[0].image, d);
      assert.equal(s.template.spec.containers[0].name, "web", "container named for `kubectl set image`");
    }
  });

  for (const active of ["blue", "green"] as const) {
    it(`points the Service selector at the active colour (${active})`, () => {
      const o = blueGreenObjects(spec({ active }));
      const svc = o.service as unknown as {
        spec: { selector: Record<string, string> };
        metadata: { annotations: Record<string, string> };
      };
      assert.equal(svc.spec.selector[LABEL_COLOUR], active);
      assert.equal(svc.metadata.annotations[ANNOTATION_ACTIVE], active);
      assert.equal(o.virtualService, undefined, "no VirtualService for an app outside the mesh");
    });
  }

  it("routes a meshed app with a VirtualService to the active colour, the idle one by header", () => {
    const o = blueGreenObjects(spec({ meshed: true, active: "green" }));
    const vs = o.virtualService as unknown as {
      spec: { hosts: string[]; http: Array<Record<string, unknown>> };
    };
    assert.deepEqual(vs.spec.hosts, ["web.shop.svc.cluster.local"]);
    const last = vs.spec.http[vs.spec.http.length - 1] as {
      route: Array<{ destination: { host: string }; weight: number }>;
    };
    assert.equal(last.route[0].destination.host, "web-green.shop.svc.cluster.local");
    assert.equal(last.route[0].weight, 100);
    assert.deepEqual(vs.spec.http, virtualServiceHttp("web", "shop", "green"));
    assert.match(JSON.stringify(vs.spec.http[0]), /"exact":"blue"/);
  });

  it("passes kubernetes-models validation for every manifest (plain and meshed)", async () => {
    await validateManifests(manifestList(blueGreenObjects(spec())));
    await validateManifests(manifestList(blueGreenObjects(spec({ meshed: true }))));
  });

  it("validation is real: it rejects a Deployment with a string replica count", async () => {
    const list = manifestList(blueGreenObjects(spec()));
    (list[0].spec as Record<string, unknown>).replicas = "three";
    await assert.rejects(
      validateManifests(list),
      /Deployment shop\/web-blue is invalid: .*replicas must be integer/,
    );
  });

  it("renders a deterministic YAML stream of six documents for a meshed app", () => {
    const a = renderBlueGreenManifests(spec({ meshed: true }));
    assert.equal(a, renderBlueGreenManifests(spec({ meshed: true })));
    assert.ok(a.endsWith("\n"));
    const docs = parseAllDocuments(a).map((d) => d.toJS() as { kind: string; metadata: { name: string } });
    assert.deepEqual(
      docs.map((d) => `${d.kind}/${d.metadata.name}`),
      [
        "Deployment/web-blue",
        "Deployment/web-green",
        "Service/web-blue",
        "Service/web-green",
        "Service/web",
        "VirtualService/web",
      ],
    );
  });

  it("refuses a tag instead of a digest, naming the colour", () => {
    assert.throws(
      () => blueGreenObjects(spec({ images: { blue: D1, green: "registry.example.org/web:latest" } })),
      /images\.green .* must be pinned by digest/,
    );
  });
});
