// Blue/green services of one cluster stack, from the `blueGreen` config section; apps in a
// namespace that opted into chaos carry kube-monkey's labels (components/delivery).
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BlueGreenService } from "../../components/apps";
import type { ClusterConfig } from "../../components/config";
import { chaosLabels } from "../../components/delivery";

/** One BlueGreenService per configured app, installed through `provider`. */
export function deployApps(
  config: ClusterConfig,
  provider: k8s.Provider,
  dependsOn: pulumi.Resource[] = [],
): Record<string, BlueGreenService> {
  const apps: Record<string, BlueGreenService> = {};
  for (const app of config.blueGreen) {
    const chaos = (colour: "blue" | "green") =>
      chaosLabels(config.chaos, app.namespace, `${app.name}-${colour}`);
    apps[app.name] = new BlueGreenService(app.name, {
      provider,
      namespace: app.namespace,
      active: app.active,
      images: { blue: app.blue.image, green: app.green.image },
      replicas: app.replicas,
      containerPort: app.containerPort,
      servicePort: app.servicePort,
      readinessPath: app.readinessPath,
      meshed: app.meshed,
      extraLabels: { blue: chaos("blue"), green: chaos("green") },
      dependsOn,
    });
  }
  return apps;
}
