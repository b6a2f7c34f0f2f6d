// Phase 3 of a KubesprayCluster: the remote steps on the bastion (upload, prepare, install,
// upgrade, scale, per-worker membership), each re-run only when what drives its playbook
// changes, then the admin kubeconfig (a secret) and a provider with a stable identity.
import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { shortHash } from "../../src/hash";
import { KUBESPRAY } from "../../src/kubespray";
import type { ClusterNames, PlannedNodes } from "./_nodes";
import { hostsOf, RenderedCluster } from "./_render";
import type { ClusterSettings } from "./kubespray-cluster";
import { rewriteKubeconfigServer } from "./render/kubeconfig";
import { renderUploadScript, RunnerStep, stepCommand } from "./render/runner";

/** @internal */
export interface RemoteInputs {
  n: ClusterNames;
  settings: ClusterSettings;
  nodes: PlannedNodes;
  rendered: pulumi.Output<RenderedCluster>;
  apiVip: pulumi.Output<string>;
  apiAddress: pulumi.Output<string>;
  bastionAddress: pulumi.Input<string>;
  privateKey?: pulumi.Input<string>;
  parent: pulumi.Resource;
}

interface StepOptions {
  args?: string[];
  triggers?: pulumi.Input<unknown>[];
  dependsOn?: pulumi.Resource[];
  needsKey?: boolean;
  secretStdout?: boolean;
}

/** @internal Declares the remote steps; returns the kubeconfig (secret) and the provider. */
export function createRemoteSteps(r: RemoteInputs): {
  kubeconfig: pulumi.Output<string>;
  provider: k8s.Provider;
} {
  const { n, settings: s, parent } = r;
  if (r.privateKey === undefined) {
    pulumi.log.warn(
      `${n.name}: no SSH private key given (jetstream-paas-cluster:sshPrivateKey); the Kubespray steps on the bastion will fail to log in`,
      parent,
    );
  }
  const privateKey = r.privateKey === undefined ? undefined : pulumi.secret(r.privateKey);
  const connection: pulumi.Input<command.types.input.remote.ConnectionArgs> = {
    host: r.bastionAddress,
    user: s.sshUser,
    ...(privateKey ? { privateKey } : {}),
  };
  const secretOutputs = ["connection", "stdin"];
  const step = (stepName: string, runnerStep: RunnerStep, o: StepOptions) =>
    new command.remote.Command(
      `${n.name}-${stepName}`,
      {
        connection,
        create: stepCommand(n.clusterName, runnerStep, o.args ?? []),
        stdin: o.needsKey ? privateKey : undefined,
        triggers: o.triggers,
      },
      {
        parent,
        dependsOn: o.dependsOn,
        additionalSecretOutputs: o.secretStdout ? [...secretOutputs, "stdout"] : secretOutputs,
      },
    );

  const upload = new command.remote.Command(
    `${n.name}-upload`,
    {
      connection,
      // Re-runs whenever a rendered file changes (the provider runs `create` again on update).
      create: r.rendered.apply((f) =>
        renderUploadScript(n.clusterName, {
          "commands.sh": f.runnerScript,
          "inventory/inventory.yaml": f.runnerInventory,
          ...Object.fromEntries(Object.entries(f.groupVars).map(([p, t]) => [`inventory/${p}`, t])),
          "playbooks/wait-for-nodes.yml": f.playbook,
        }),
      ),
    },
    { parent, additionalSecretOutputs: ["connection"] },
  );
  const prepare = step("prepare", "prepare", {
    triggers: [KUBESPRAY.version, KUBESPRAY.commit, ...KUBESPRAY.pythonRequirements],
    dependsOn: [upload],
  });
  const { controlPlane, etcd, workers } = r.nodes;
  const install = step("install", "install", {
    needsKey: true,
    triggers: [installKey(r)],
    dependsOn: [prepare, ...[...controlPlane, ...etcd, ...workers].map((x) => x.instance)],
  });
  const upgrade = step("upgrade", "upgrade", {
    needsKey: true,
    triggers: [s.kubernetesVersion, KUBESPRAY.version],
    dependsOn: [install],
  });
  const scale = step("scale", "scale", {
    args: workers.map((w) => w.host),
    needsKey: true,
    triggers: [hostsOf(workers).apply((w) => shortHash(JSON.stringify(w)))],
    dependsOn: [upgrade, ...workers.map((w) => w.instance)],
  });
  // One membership record per worker: removing a worker from config deletes it, and its delete
  // runs remove-node.yml (confirmation skipped) before the VM itself is deleted.
  for (const [i, w] of workers.entries()) {
    new command.remote.Command(
      `${n.name}-worker-${i + 1}-member`,
      {
        connection,
        create: `echo "${w.host} joins ${n.clusterName} through the scale step"`,
        delete: w.ip.apply((ip) => stepCommand(n.clusterName, "remove-node", [w.host, ip])),
        stdin: privateKey,
      },
      { parent, dependsOn: [w.instance, install], additionalSecretOutputs: secretOutputs },
    );
  }
  const fetch = step("kubeconfig", "kubeconfig", {
    triggers: [install.id, upgrade.id, scale.id],
    dependsOn: [scale],
    secretStdout: true,
  });
  return kubeconfigAndProvider(n, s, fetch.stdout, r.apiAddress, parent);
}

/**
 * cluster.yml runs only when what defines the cluster changes. Workers and the Kubernetes
 * version are left out on purpose: they drive scale.yml and upgrade-cluster.yml instead.
 */
function installKey(r: RemoteInputs): pulumi.Output<string> {
  const s = r.settings;
  return pulumi
    .all([hostsOf(r.nodes.controlPlane), hostsOf(r.nodes.etcd), r.apiVip, r.apiAddress])
    .apply(([cpH, etcdH, vip, address]) =>
      shortHash(
        JSON.stringify({
          cpH,
          etcdH,
          vip,
          address,
          clusterName: r.n.clusterName,
          networkPlugin: s.networkPlugin,
          podCidr: s.podCidr,
          serviceCidr: s.serviceCidr,
          apiPort: s.apiPort,
        }),
      ),
    );
}

function kubeconfigAndProvider(
  n: ClusterNames,
  s: ClusterSettings,
  stdout: pulumi.Output<string>,
  apiAddress: pulumi.Output<string>,
  parent: pulumi.Resource,
): { kubeconfig: pulumi.Output<string>; provider: k8s.Provider } {
  const kubeconfig = pulumi.secret(
    pulumi
      .all([stdout, apiAddress])
      .apply(([text, address]) => rewriteKubeconfigServer(text, `https://${address}:${s.apiPort}`)),
  );
  const provider = new k8s.Provider(
    `${n.name}-k8s`,
    {
      kubeconfig,
      // Identity by name, not by kubeconfig text: new certificates must not replace every
      // object this provider manages (pulumi-eks#207, pulumi-kubernetes#2745).
      clusterIdentifier: n.clusterName,
    },
    { parent },
  );
  return { kubeconfig, provider };
}
