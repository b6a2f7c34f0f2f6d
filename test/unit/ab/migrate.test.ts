// The migration filter, field stripping and order, on real `kubectl get -o yaml` dumps from
// public repositories (test/fixtures/kubectl-dumps/README.md) and on one dump of our own.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { parse } from "yaml";
import { PLATFORM_NAMESPACES } from "../../../components/config";
import { writePlan } from "../../../tools/ab/migrate/files";
import { idOf, KObj, readObjectFiles } from "../../../tools/ab/migrate/objects";
import { rankOf, sortForApply } from "../../../tools/ab/migrate/order";
import { dedupe, planMigration, validatePlan } from "../../../tools/ab/migrate/plan";
import {
  migrationPlatformNamespaces,
  MigrateScope,
  PLATFORM_CRD_GROUPS,
} from "../../../tools/ab/migrate/rules";
import { matchesSelector, parseSelector } from "../../../tools/ab/migrate/selector";
import { stripObject } from "../../../tools/ab/migrate/strip";
import { ObjectValidator } from "../../../tools/lib/k8s-validate";

const DUMPS = join(__dirname, "..", "..", "fixtures", "kubectl-dumps");

function scope(over: Partial<MigrateScope> = {}): MigrateScope {
  return {
    platformNamespaces: migrationPlatformNamespaces(PLATFORM_NAMESPACES),
    clusterKinds: ["CustomResourceDefinition", "PriorityClass"],
    targetOwned: new Set(),
    targetReleases: new Set(["kube-prometheus-stack"]),
    platformCrdGroups: [...PLATFORM_CRD_GROUPS],
    ...over,
  };
}

const all = () => readObjectFiles(DUMPS);
const byId = (objs: KObj[]) => new Map(objs.map((o) => [idOf(o), o]));

describe("kubectl dumps (fixtures)", () => {
  it("are the upstream files the README names, byte for byte", () => {
    const readme = readFileSync(join(DUMPS, "README.md"), "utf8");
    const rows = [
      ...readme.matchAll(/^\| `([^`]+)` \| [^|]+\| (?:[0-9a-f]{40}|same) \| ([0-9a-f]{64}) \|/gm),
    ];
    assert.ok(rows.length >= 8, "README lists the upstream files");
    for (const [, file, sha] of rows) {
      assert.equal(
        createHash("sha256")
          .update(readFileSync(join(DUMPS, file)))
          .digest("hex"),
        sha,
        file,
      );
    }
  });

  it("parse from a directory: Lists, JSON, multi-document streams", () => {
    const objs = all();
    assert.ok(objs.length > 60);
    assert.ok(
      objs.some((o) => o.kind === "CustomResourceDefinition"),
      "the JSON dump",
    );
    assert.ok(
      objs.some((o) => o.metadata.name === "t2"),
      "items of a kubectl List",
    );
  });
});

describe("migration plan on the dumps", () => {
  const plan = planMigration(all(), scope());
  const applied = byId(plan.apply);
  const reason = (id: string) => plan.skipped.find((s) => s.id === id)?.reason ?? "(not skipped)";

  it("keeps exactly what a new cluster should get", () => {
    assert.deepEqual([...applied.keys()].sort(), [
      "AuthorizationPolicy.security.istio.io weather/forecast-from-frontend",
      "Canary.flagger.app weather/forecast",
      "ConfigMap weather/forecast-config",
      "CronJob.batch weather/refresh-stations",
      "CustomResourceDefinition.apiextensions.k8s.io gcpsamples.gcp.stacks.crossplane.io",
      "Deployment.apps default/px",
      "Deployment.apps weather/forecast",
      "Endpoints weather/noaa-mirror",
      "Job.batch weather/import-archive",
      "LimitRange weather/weather-limits",
      "Namespace weather",
      "Pod default/myapp",
      "Pod default/t1",
      "Pod default/t2",
      "ResourceQuota weather/weather-quota",
      "Role.rbac.authorization.k8s.io weather/forecast-reader",
      "RoleBinding.rbac.authorization.k8s.io weather/forecast-reader",
      "Secret default/myreg",
      "Secret weather/forecast-registry",
      "Service default/myappservice",
      "Service weather/forecast",
      "Service weather/noaa-mirror",
      "ServiceAccount weather/forecast",
      "VirtualService.networking.istio.io weather/forecast",
    ]);
  });

  it("drops what a cluster makes itself, each with its reason", () => {
    assert.match(reason("Event default/px.16806e83e5b82d63"), /events describe/);
    assert.match(reason("ReplicaSet.apps default/px-5d567cc74c"), /owned by Deployment px/);
    assert.match(reason("Pod default/px-5d567cc74c-ss4lb"), /owned by ReplicaSet/);
    assert.match(reason("Job.batch weather/refresh-stations-29881337"), /owned by CronJob refresh-stations/);
    assert.match(reason("Deployment.apps weather/forecast-primary"), /owned by Canary forecast/);
    assert.match(
      reason("EndpointSlice.discovery.k8s.io weather/forecast-k2h9v"),
      /owned by Service|endpointslice-controller/,
    );
    assert.match(reason("Endpoints weather/forecast"), /endpoints controller/);
    assert.match(reason("Secret weather/forecast-token-x7d2k"), /token controller/);
    assert.match(reason("ConfigMap weather/kube-root-ca.crt"), /root CA publisher/);
    assert.match(reason("ConfigMap weather/istio-ca-root-cert"), /istiod/);
    assert.match(reason("Lease.coordination.k8s.io weather/forecast-leader"), /leases/);
    assert.match(reason("Pod weather/refresh-stations-29881337-7xk2p"), /finished \(Succeeded\)/);
    assert.match(reason("Pod weather/station-probe-paasa-worker-3"), /mirror pod/);
    assert.match(reason("ServiceAccount weather/default"), /every namespace/);
    assert.match(
      reason("Role.rbac.authorization.k8s.io kube-system/kubeadm:kubelet-config-1.18"),
      /platform namespace kube-system/,
    );
    assert.match(reason("Namespace istio-system"), /platform namespace/);
    assert.match(reason("Canary.flagger.app weather/frontend"), /managed by Pulumi/);
    assert.match(reason("Service weather/weather-scrape"), /Helm release kube-prometheus-stack/);
    assert.match(reason("PersistentVolume pvc-54fad2fe-4d7b-11e9-9172-0800271788ca"), /volume data/);
  });

  it("warns about PVC-bound workloads instead of copying them", () => {
    assert.match(reason("Deployment.apps weather/radar-cache"), /bound to PersistentVolumeClaim radar-cache/);
    assert.match(reason("StatefulSet.apps weather/station-log"), /volumeClaimTemplate/);
    assert.equal(plan.warnings.length, 2);
    assert.match(
      plan.warnings.join("\n"),
      /radar-cache mounts PersistentVolumeClaim radar-cache: not copied; move its data first \(Velero/,
    );
  });

  it("strips every server-set field", () => {
    for (const o of plan.apply) {
      const md = o.metadata as Record<string, unknown>;
      for (const k of [
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "selfLink",
        "managedFields",
        "ownerReferences",
      ]) {
        assert.equal(md[k], undefined, `${idOf(o)} metadata.${k}`);
      }
      assert.equal(o.status, undefined, `${idOf(o)} status`);
      const ann = o.metadata.annotations ?? {};
      assert.equal(ann["kubectl.kubernetes.io/last-applied-configuration"], undefined, idOf(o));
      assert.equal(ann["deployment.kubernetes.io/revision"], undefined, idOf(o));
      assert.doesNotMatch(JSON.stringify(o), /creationTimestamp|controller-uid|default-token-/, idOf(o));
    }
  });

  it("Service: clusterIP and auto-assigned nodePorts go, explicit nodePorts and headless stay (Velero)", () => {
    const svc = applied.get("Service weather/forecast")!.spec as {
      clusterIP?: string;
      clusterIPs?: string[];
      ports: Array<{ name: string; nodePort?: number }>;
    };
    assert.equal(svc.clusterIP, undefined);
    assert.equal(svc.clusterIPs, undefined);
    assert.deepEqual(
      svc.ports.map((p) => [p.name, p.nodePort]),
      [
        ["http", undefined],
        ["metrics", 31990],
      ],
    );
    assert.equal(
      (applied.get("Service default/myappservice")!.spec as { clusterIP: string }).clusterIP,
      "None",
    );
  });

  it("Pod: nodeName, priority, service-account token volumes go (Velero PodAction, neat)", () => {
    const pod = applied.get("Pod default/myapp")!.spec as Record<string, unknown> & {
      containers: Array<Record<string, unknown>>;
    };
    assert.equal(pod.nodeName, undefined);
    assert.equal(pod.priority, undefined);
    assert.equal(pod.volumes, undefined);
    assert.equal(pod.containers[0].volumeMounts, undefined);
    assert.equal(pod.containers[0].image, "nginx");
  });

  it("Job: controller-uid selector and labels go (Velero JobAction); ServiceAccount loses its token secret", () => {
    const job = applied.get("Job.batch weather/import-archive")!.spec as Record<string, unknown> & {
      template: { metadata: { labels: Record<string, string> } };
    };
    assert.equal(job.selector, undefined);
    assert.deepEqual(Object.keys(job.template.metadata.labels).sort(), [
      "batch.kubernetes.io/job-name",
      "job-name",
    ]);
    assert.deepEqual(applied.get("ServiceAccount weather/forecast")!.secrets, [
      { name: "forecast-registry" },
    ]);
  });

  it("CRD: status goes and preserveUnknownFields moves into the schema (Velero CRD action)", () => {
    const crd = applied.get(
      "CustomResourceDefinition.apiextensions.k8s.io gcpsamples.gcp.stacks.crossplane.io",
    )!;
    const spec = crd.spec as {
      preserveUnknownFields: boolean;
      versions: Array<{ schema: { openAPIV3Schema: Record<string, unknown> } }>;
    };
    assert.equal(spec.preserveUnknownFields, false);
    // the dump's version has no schema, which apiextensions.k8s.io/v1 requires: it gets one that keeps every field
    assert.deepEqual(spec.versions[0].schema.openAPIV3Schema, {
      type: "object",
      "x-kubernetes-preserve-unknown-fields": true,
    });
    assert.equal(crd.metadata.annotations, undefined, "last-applied was its only annotation");
  });

  it("Namespace: the server-made name label and finalizer go, the author's labels stay", () => {
    const ns = applied.get("Namespace weather")!;
    assert.deepEqual(ns.metadata.labels, { "istio-injection": "enabled" });
    assert.equal(ns.spec, undefined);
  });

  it("orders CRDs, namespaces, RBAC, service accounts, quotas, config, workloads, services, Istio, Flagger", () => {
    const ranks = plan.apply.map(rankOf);
    assert.deepEqual(
      ranks,
      [...ranks].sort((a, b) => a - b),
    );
    const pos = (id: string) => plan.apply.findIndex((o) => idOf(o) === id);
    assert.equal(pos("CustomResourceDefinition.apiextensions.k8s.io gcpsamples.gcp.stacks.crossplane.io"), 0);
    assert.ok(pos("Namespace weather") < pos("Role.rbac.authorization.k8s.io weather/forecast-reader"));
    assert.ok(
      pos("RoleBinding.rbac.authorization.k8s.io weather/forecast-reader") <
        pos("ServiceAccount weather/forecast"),
    );
    assert.ok(pos("ResourceQuota weather/weather-quota") < pos("ConfigMap weather/forecast-config"));
    assert.ok(pos("Secret weather/forecast-registry") < pos("Deployment.apps weather/forecast"));
    assert.ok(pos("Deployment.apps weather/forecast") < pos("Service weather/forecast"));
    assert.ok(pos("Service weather/forecast") < pos("VirtualService.networking.istio.io weather/forecast"));
    assert.ok(
      pos("VirtualService.networking.istio.io weather/forecast") < pos("Canary.flagger.app weather/forecast"),
    );
  });

  it("validates every object it would write (kubernetes-models, Istio models, Flagger CRD)", async () => {
    const p = planMigration(all(), scope());
    const invalid = await validatePlan(p, new ObjectValidator());
    assert.deepEqual(invalid, []);
    assert.equal(p.apply.length, 24);
  });

  it("refuses an object that fails its schema, and a custom resource without a schema", async () => {
    const p = planMigration(all(), scope());
    const vs = p.apply.find((o) => o.kind === "VirtualService")!;
    (vs.spec as Record<string, unknown>).http = "not a list";
    p.apply.push({
      apiVersion: "example.org/v1",
      kind: "Widget",
      metadata: { name: "w", namespace: "weather" },
    });
    const invalid = await validatePlan(p, new ObjectValidator());
    assert.deepEqual(invalid.map((s) => s.id).sort(), [
      "VirtualService.networking.istio.io weather/forecast",
      "Widget.example.org weather/w",
    ]);
    assert.match(invalid.find((s) => s.kind === "Widget")!.reason, /no schema for example.org\/v1\/Widget/);
  });
});

describe("migration scope", () => {
  it("--namespace keeps only the chosen namespaces", () => {
    const plan = planMigration(all(), scope({ namespaces: ["weather"] }));
    assert.ok(
      plan.apply.every(
        (o) => o.metadata.namespace === "weather" || o.metadata.name === "weather" || !o.metadata.namespace,
      ),
    );
    assert.match(
      plan.skipped.find((s) => s.id === "Pod default/myapp")!.reason,
      /namespace default not chosen/,
    );
  });

  it("--selector keeps matching objects and the namespaces that hold them", () => {
    const plan = planMigration(all(), scope({ selector: parseSelector("app=forecast") }));
    assert.deepEqual(plan.apply.map(idOf), ["Namespace weather", "Deployment.apps weather/forecast"]);
  });

  it("objects the target slot's stack declares are dropped", () => {
    const plan = planMigration(all(), scope({ targetOwned: new Set(["ConfigMap weather/forecast-config"]) }));
    assert.match(
      plan.skipped.find((s) => s.id === "ConfigMap weather/forecast-config")!.reason,
      /declared by the target slot's own stack/,
    );
  });

  it("selectors parse like kubectl -l and refuse what is not one", () => {
    const s = parseSelector("app in (a,b),tier!=db,!legacy,team");
    assert.equal(matchesSelector({ app: "a", team: "x" }, s), true);
    assert.equal(matchesSelector({ app: "a", team: "x", tier: "db" }, s), false);
    assert.equal(matchesSelector({ app: "c", team: "x" }, s), false);
    assert.equal(matchesSelector({ app: "b", team: "x", legacy: "1" }, s), false);
    assert.throws(() => parseSelector("a=b c"), /--selector a=b c: "b c" is not a label value/);
    assert.throws(() => parseSelector("a b"), /--selector a b: "a b" is not a label key/);
    assert.throws(() => parseSelector(""), /--selector: is empty/);
  });
});

describe("pure pieces", () => {
  it("stripObject never changes its input", () => {
    const objs = all();
    const before = JSON.stringify(objs);
    objs.forEach(stripObject);
    assert.equal(JSON.stringify(objs), before);
  });

  it("nodePorts named in managedFields are explicit (Velero's fallback without last-applied)", () => {
    const svc: KObj = {
      apiVersion: "v1",
      kind: "Service",
      metadata: {
        name: "s",
        namespace: "n",
        managedFields: [
          {
            manager: "kubectl",
            fieldsV1: { "f:spec": { "f:ports": { 'k:{"port":80,"protocol":"TCP"}': { "f:nodePort": {} } } } },
          },
        ],
      },
      spec: {
        type: "NodePort",
        clusterIP: "10.0.0.9",
        ports: [
          { port: 80, protocol: "TCP", nodePort: 30080 },
          { port: 81, protocol: "TCP", nodePort: 31111 },
        ],
      },
    };
    const ports = (stripObject(svc).spec as { ports: Array<{ nodePort?: number }> }).ports;
    assert.deepEqual(
      ports.map((p) => p.nodePort),
      [30080, undefined],
    );
  });

  it("a watch dump's repeated objects collapse to the newest copy", () => {
    const o = (rv: string): KObj => ({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "c", namespace: "n", resourceVersion: rv },
      data: { rv },
    });
    const { unique, duplicates } = dedupe([o("5"), o("9"), o("7")]);
    assert.deepEqual(
      unique.map((u) => (u.data as { rv: string }).rv),
      ["9"],
    );
    assert.equal(duplicates.length, 2);
  });

  it("sortForApply puts custom resources of unknown groups last", () => {
    const objs: KObj[] = [
      { apiVersion: "example.org/v1", kind: "Widget", metadata: { name: "w" } },
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" } },
      {
        apiVersion: "apiextensions.k8s.io/v1",
        kind: "CustomResourceDefinition",
        metadata: { name: "widgets.example.org" },
      },
    ];
    assert.deepEqual(
      sortForApply(objs).map((o) => o.kind),
      ["CustomResourceDefinition", "ConfigMap", "Widget"],
    );
  });
});

describe("file mode output", () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it("writes one file per object under <namespace or _cluster>/ and skipped.json", () => {
    const out = mkdtempSync(join(tmpdir(), "jsp-migrate-"));
    dirs.push(out);
    const plan = planMigration(all(), scope());
    const files = writePlan(join(out, "o"), plan);
    assert.equal(files.length, plan.apply.length);
    assert.deepEqual(readdirSync(join(out, "o")).sort(), [
      "_cluster",
      "default",
      "order.txt",
      "skipped.json",
      "weather",
    ]);
    const dep = parse(
      readFileSync(join(out, "o", "weather", "deployment.apps-forecast.yaml"), "utf8"),
    ) as KObj;
    assert.equal(dep.metadata.name, "forecast");
    const skipped = JSON.parse(readFileSync(join(out, "o", "skipped.json"), "utf8")) as Array<{
      id: string;
      reason: string;
    }>;
    assert.equal(skipped.length, plan.skipped.length);
    assert.ok(skipped.every((s) => s.reason.length > 0));
    // a second run into the same folder replaces it; a foreign folder is refused
    writePlan(join(out, "o"), plan);
    writeFileSync(join(out, "mine.txt"), "x");
    assert.throws(() => writePlan(out, plan), /not empty and not an earlier migrate output/);
    assert.ok(existsSync(join(out, "mine.txt")));
  });
});
