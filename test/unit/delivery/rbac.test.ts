// The deploy identity's RBAC, evaluated with Kubernetes' RBAC rules (test/harness/rbac.ts) and
// validated with kubernetes-models: it can do what the pipeline does in its app namespaces and
// nothing else: no Secrets anywhere, nothing in kube-system, nothing cluster-wide.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEPLOY_NAMESPACE, DEPLOY_SERVICE_ACCOUNT, renderDeployRbac } from "../../../components/delivery";
import { allowed, serviceAccountSubject } from "../../harness/rbac";

const objects = renderDeployRbac(["weather", "default"]);
const sa = serviceAccountSubject(DEPLOY_NAMESPACE, DEPLOY_SERVICE_ACCOUNT);
const can = (verb: string, apiGroup: string, resource: string, namespace?: string, name?: string) =>
  allowed(objects as never, sa, { verb, apiGroup, resource, namespace, name });

describe("deploy identity RBAC", () => {
  it("validates every object with kubernetes-models", async () => {
    const rbac = (await import("kubernetes-models/rbac.authorization.k8s.io/v1")) as unknown as Record<
      string,
      new (o: unknown) => { validate(): void }
    >;
    const core = (await import("kubernetes-models/v1")) as unknown as Record<
      string,
      new (o: unknown) => { validate(): void }
    >;
    for (const o of objects) {
      const cls = o.apiVersion === "v1" ? core[o.kind] : rbac[o.kind];
      assert.ok(cls, `${o.kind} has a model`);
      new cls(o).validate();
    }
    // the validator is real: a RoleBinding without roleRef is refused
    const bad = { ...objects.find((o) => o.kind === "RoleBinding")!, roleRef: undefined };
    assert.throws(() => new rbac.RoleBinding(bad).validate());
  });

  it("allows exactly the pipeline's verbs in the app namespaces", () => {
    for (const ns of ["weather", "default"]) {
      assert.ok(can("get", "apps", "deployments", ns, "web-green"));
      assert.ok(can("patch", "apps", "deployments", ns, "web-green"));
      assert.ok(can("watch", "apps", "deployments", ns));
      assert.ok(can("get", "", "services", ns, "web"));
      assert.ok(can("patch", "flagger.app", "canaries", ns, "frontend"));
      assert.ok(can("patch", "networking.istio.io", "virtualservices", ns, "web"));
      assert.ok(can("create", "", "configmaps", ns));
      assert.ok(!can("delete", "apps", "deployments", ns, "web-green"), "no delete");
      assert.ok(!can("create", "", "pods", ns), "no pods (no exec, no arbitrary workloads)");
      assert.ok(!can("create", "", "pods", ns, undefined) && !can("get", "", "pods", ns));
      assert.ok(!can("escalate", "rbac.authorization.k8s.io", "roles", ns));
      assert.ok(!can("create", "rbac.authorization.k8s.io", "rolebindings", ns));
    }
  });

  it("cannot read Secrets in any namespace, its own token included", () => {
    for (const ns of ["weather", "default", "kube-system", DEPLOY_NAMESPACE, "monitoring", "jsp-db"]) {
      for (const verb of ["get", "list", "watch"])
        assert.ok(!can(verb, "", "secrets", ns), `${verb} secrets in ${ns}`);
    }
  });

  it("cannot touch kube-system or anything cluster-wide", () => {
    for (const [g, r] of [
      ["apps", "deployments"],
      ["", "services"],
      ["", "configmaps"],
      ["", "pods"],
      ["apps", "daemonsets"],
    ]) {
      for (const verb of ["get", "list", "patch", "create", "delete"])
        assert.ok(!can(verb, g, r, "kube-system"));
    }
    assert.ok(!can("list", "", "namespaces"), "namespaces are cluster-scoped");
    assert.ok(!can("get", "", "nodes"));
    assert.ok(!objects.some((o) => o.kind === "ClusterRole" || o.kind === "ClusterRoleBinding"));
    assert.ok(!can("patch", "apps", "deployments", "istio-system"));
  });

  it("the evaluator is real: a wildcard ClusterRoleBinding would grant everything", () => {
    const withAdmin = [
      ...objects,
      {
        kind: "ClusterRole",
        metadata: { name: "x" },
        rules: [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }],
      },
      {
        kind: "ClusterRoleBinding",
        metadata: { name: "x" },
        roleRef: { kind: "ClusterRole", name: "x" },
        subjects: [{ kind: "ServiceAccount", name: DEPLOY_SERVICE_ACCOUNT, namespace: DEPLOY_NAMESPACE }],
      },
    ];
    assert.ok(
      allowed(withAdmin as never, sa, {
        verb: "get",
        apiGroup: "",
        resource: "secrets",
        namespace: "kube-system",
      }),
    );
  });

  it("refuses a system namespace as an application namespace", () => {
    assert.throws(() => renderDeployRbac(["kube-system"]), /never an application namespace/);
  });
});
