// Blue/green services of one cluster stack, from the `blueGreen` config section.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BlueGreenService } from "../../components/apps";
import type { ClusterConfig } from "../../components/config";

/** One BlueGreenService per configured app, installed through `provider`. */
export function deployApps(
  config: ClusterConfig,
  provider: k8s.Provider,
  dependsOn: pulumi.Resource[] = [],
): Record<string, BlueGreenService> {
  const apps: Record<string, BlueGreenService> = {};
  for (const app of config.blueGreen) {
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
      dependsOn,
    });
  }
  return apps;
}
