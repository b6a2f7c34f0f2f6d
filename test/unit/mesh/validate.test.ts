// Every object the mesh components render validates against its schema: Kubernetes and
// Istio kinds with kubernetes-models / @kubernetes-models/istio, the Flagger Canary with ajv
// against Flagger's own v1.44.0 CRD. First the validator is shown to refuse bad objects.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { parseStackConfig } from "../../../components/config";
import { readFileSync } from "node:fs";
import {
  gatewayValues,
  grafanaAdminSecret,
  planFlagger,
  planIstio,
  planObservability,
} from "../../../components/mesh";
import type { K8sObject } from "../../../components/mesh";
import { resolveStack } from "../../../tools/lib/stack-files";
import {
  flaggerCrdUpstreamText,
  FLAGGER_CRD_SHA256,
  GATEWAY_VALUES_SCHEMA_PATH,
  GATEWAY_VALUES_SCHEMA_SHA256,
  gatewayValuesValidator,
  loadValidators,
  sha256,
  validateObject,
  validateObjects,
} from "../../harness/k8s-validate";
import { parsedMesh } from "../../harness/mesh-fixtures";

type Validators = Awaited<ReturnType<typeof loadValidators>>;

function allObjects(mesh: ReturnType<typeof parsedMesh>): K8sObject[] {
  return [
    ...planIstio(mesh).objects,
    ...planObservability(mesh.observability).objects,
    grafanaAdminSecret("platform-admin", "x".repeat(32)),
    ...planFlagger(mesh).objects,
  ];
}

function canary(): K8sObject {
  return structuredClone(planFlagger(parsedMesh()).canaries[0]);
}

describe("the validator is real", () => {
  let v: Validators;
  before(async () => {
    v = await loadValidators();
  });

  it("uses the vendored Flagger CRD unmodified (sha256 of upstream v1.44.0)", () => {
    assert.equal(sha256(flaggerCrdUpstreamText()), FLAGGER_CRD_SHA256);
  });

  it("accepts a valid Canary and refuses one with a wrong type, a missing field or an unknown field", () => {
    assert.equal(validateObject(v, canary()), undefined);
    const wrongType = canary();
    (wrongType.spec as { analysis: Record<string, unknown> }).analysis.maxWeight = "fifty";
    assert.match(validateObject(v, wrongType) ?? "", /\/spec\/analysis\/maxWeight must be number/);
    const missing = canary();
    delete (missing.spec as Record<string, unknown>).targetRef;
    assert.match(validateObject(v, missing) ?? "", /must have required property 'targetRef'/);
    const typo = canary();
    (typo.spec as { analysis: Record<string, unknown> }).analysis.maxWieght = 50;
    assert.match(validateObject(v, typo) ?? "", /must NOT have additional properties.*maxWieght/);
    const badProvider = canary();
    (badProvider.spec as Record<string, unknown>).provider = "istio-ambient";
    assert.match(
      validateObject(v, badProvider) ?? "",
      /\/spec\/provider must be equal to one of the allowed values/,
    );
  });

  it("refuses an Istio object with a bad enum and a Kubernetes object with a bad field type", () => {
    const pa = planIstio(parsedMesh()).objects.find((o) => o.kind === "PeerAuthentication")!;
    assert.equal(validateObject(v, pa), undefined);
    const weak = structuredClone(pa);
    (weak.spec as { mtls: { mode: string } }).mtls.mode = "STRICTEST";
    assert.match(
      validateObject(v, weak) ?? "",
      /spec\/mtls\/mode must be equal to one of the allowed values/,
    );
    const ap = {
      ...planIstio(parsedMesh()).objects.find((o) => o.metadata.name === "allow-ingress-gateway")!,
    };
    ap.spec = { action: "ALLOW", rules: [{ to: [{ operation: { ports: [8080] } }] }] };
    assert.match(validateObject(v, ap) ?? "", /ports\/0 must be string/);
    const secret = grafanaAdminSecret("platform-admin", "x");
    (secret.stringData as Record<string, unknown>)["admin-password"] = ["[secret]"];
    assert.match(validateObject(v, secret) ?? "", /stringData\/admin-password must be string/);
  });

  it("refuses a kind it has no schema for, and names the API server's name rules", () => {
    assert.match(
      validateObject(v, {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PodMonitor",
        metadata: { name: "x" },
      }) ?? "",
      /no schema for monitoring\.coreos\.com\/v1\/PodMonitor/,
    );
    assert.match(
      validateObject(v, { apiVersion: "v1", kind: "Namespace", metadata: { name: "Weather_App" } }) ?? "",
      /not a valid Kubernetes name/,
    );
  });
});

describe("every rendered object is schema-valid", () => {
  let v: Validators;
  before(async () => {
    v = await loadValidators();
  });

  it("for the test mesh", () => {
    const res = validateObjects(v, allObjects(parsedMesh()));
    assert.deepEqual(res.invalid, []);
    assert.ok(res.checked >= 19, `checked ${res.checked}`);
  });

  for (const stack of ["paasA", "paasB", "tacc-paasA"]) {
    it(`for stack ${stack}'s own config`, (t) => {
      const files = resolveStack(stack);
      const { config } = parseStackConfig("cluster", {
        values: files.config,
        secretKeys: new Set(files.secretKeys),
      });
      const res = validateObjects(v, allObjects(config.mesh));
      assert.deepEqual(res.invalid, []);
      assert.ok(res.byKind.Canary >= 1 && res.byKind.ServiceEntry >= 1, JSON.stringify(res.byKind));
      t.diagnostic(
        `${stack}: ${res.checked} objects checked, ${res.invalid.length} invalid ${JSON.stringify(res.byKind)}`,
      );
    });
  }

  it("for a minimal mesh (defaults only)", () => {
    const min = parsedMesh((m) => ((m.namespaces = []), (m.apps = []), (m.egress = [])));
    assert.deepEqual(validateObjects(v, allObjects(min)).invalid, []);
  });
});

describe("Helm values the gateway chart's own schema checks", () => {
  const check = gatewayValuesValidator();

  it("uses the vendored schema unmodified (istio 1.30.3)", () => {
    assert.equal(sha256(readFileSync(GATEWAY_VALUES_SCHEMA_PATH, "utf8")), GATEWAY_VALUES_SCHEMA_SHA256);
  });

  it("accepts the gateway values we render, default and custom", () => {
    assert.equal(check(planIstio(parsedMesh()).gateway.values), undefined);
    assert.equal(check(gatewayValues({ http: 31080, https: 31443, status: 31021 }, 3)), undefined);
  });

  it("refuses a key the chart does not know (Helm would refuse the install)", () => {
    const bad = { ...gatewayValues({ http: 30080, https: 30443, status: 30021 }, 2), replicas: 2 };
    assert.match(check(bad) ?? "", /must NOT have additional properties.*replicas/);
  });
});
