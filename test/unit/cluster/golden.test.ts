// Whole-output snapshots of the cluster renderers (style guide: renderer tests compare the
// entire text). Refresh after an intended change with UPDATE_GOLDEN=1 and review the diff.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  renderGroupVars,
  renderInventory,
  renderNodeCloudInit,
  renderRunnerScript,
  renderWaitPlaybook,
} from "../../../components/cluster";
import { ROOT } from "../../harness/synth";

const DIR = join(ROOT, "test", "golden", "cluster");

function golden(name: string, text: string): void {
  const file = join(DIR, name);
  if (process.env.UPDATE_GOLDEN === "1" || !existsSync(file)) {
    if (process.env.UPDATE_GOLDEN !== "1") assert.fail(`${file} is missing; run with UPDATE_GOLDEN=1`);
    mkdirSync(DIR, { recursive: true });
    writeFileSync(file, text);
  }
  assert.equal(text, readFileSync(file, "utf8"), `${name} differs from its golden file`);
}

const h = (name: string, last: number) => ({ name, ip: `10.20.0.${last}` });

describe("cluster renderers, whole output", () => {
  it("inventory (operator view)", () => {
    golden(
      "inventory.yaml",
      renderInventory({
        controlPlane: [h("paasa-cp-1", 11), h("paasa-cp-2", 12), h("paasa-cp-3", 13)],
        workers: [h("paasa-worker-1", 21), { ...h("paasa-worker-2", 22), floatingIp: "198.51.100.40" }],
        sshUser: "ubuntu",
        from: "operator",
        bastion: { address: "198.51.100.10", user: "ubuntu" },
      }),
    );
  });

  it("group_vars", () => {
    const files = renderGroupVars({
      clusterName: "jetstream-iu-paasa",
      kubernetesVersion: "1.35.4",
      networkPlugin: "calico",
      podCidr: "10.233.64.0/18",
      serviceCidr: "10.233.0.0/18",
      apiVip: "10.20.0.50",
      apiExtraAddresses: ["198.51.100.11"],
      apiPort: 6443,
    });
    golden("group_vars-all.yml", files["group_vars/all/all.yml"]);
    golden("group_vars-k8s_cluster.yml", files["group_vars/k8s_cluster/k8s-cluster.yml"]);
  });

  it("control-plane cloud-config", () => {
    golden(
      "cloud-init-control-plane.yaml",
      renderNodeCloudInit({ hostname: "paasa-cp-1", role: "control-plane" }),
    );
  });

  it("runner script and playbook", () => {
    golden(
      "commands.sh",
      renderRunnerScript({
        clusterName: "jetstream-iu-paasa",
        kubernetesVersion: "1.35.4",
        apiVip: "10.20.0.50",
        apiPort: 6443,
      }),
    );
    golden("wait-for-nodes.yml", renderWaitPlaybook());
  });
});
