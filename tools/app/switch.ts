// Blue/green switch against a live cluster: wait until the target colour's Deployment is Ready,
// then move the Service selector (and the VirtualService of a meshed app) to it, recording the
// colour it replaced so --rollback can go back. Patches the same fields BlueGreenService
// renders (components/apps/render/blue-green.ts), so the next `pulumi up` with the printed
// config change agrees with the cluster.
import {
  ANNOTATION_ACTIVE,
  ANNOTATION_PREVIOUS,
  Colour,
  deploymentName,
  isColour,
  LABEL_COLOUR,
  serviceSelector,
  virtualServiceHttp,
} from "../../components/apps/render/blue-green";
import { KubeClient } from "./kube";

export interface DeploymentLike {
  metadata?: { name?: string; generation?: number };
  spec?: {
    replicas?: number;
    template?: { spec?: { containers?: Array<{ name?: string; image?: string }> } };
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
  };
}

interface ServiceLike {
  metadata?: { annotations?: Record<string, string> };
  spec?: { selector?: Record<string, string> };
}

/** The rollout-status rule of `kubectl rollout status`, plus: a colour with no pods is not Ready. */
export function deploymentReadiness(d: DeploymentLike): { ready: boolean; reason: string } {
  const want = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  const gen = d.metadata?.generation ?? 0;
  if ((s.observedGeneration ?? -1) < gen) {
    return {
      ready: false,
      reason: `controller has not observed generation ${gen} yet (observed ${s.observedGeneration ?? "none"})`,
    };
  }
  if (want < 1) return { ready: false, reason: "scaled to 0 replicas" };
  if ((s.updatedReplicas ?? 0) < want)
    return { ready: false, reason: `${s.updatedReplicas ?? 0}/${want} replicas updated` };
  if ((s.replicas ?? 0) > (s.updatedReplicas ?? 0)) {
    return {
      ready: false,
      reason: `${(s.replicas ?? 0) - (s.updatedReplicas ?? 0)} old replicas still terminating`,
    };
  }
  if ((s.availableReplicas ?? 0) < want)
    return { ready: false, reason: `${s.availableReplicas ?? 0}/${want} replicas available` };
  return { ready: true, reason: `${s.availableReplicas}/${want} replicas available at generation ${gen}` };
}

export const paths = {
  deployment: (ns: string, name: string) => `/apis/apps/v1/namespaces/${ns}/deployments/${name}`,
  service: (ns: string, name: string) => `/api/v1/namespaces/${ns}/services/${name}`,
  virtualService: (ns: string, name: string) =>
    `/apis/networking.istio.io/v1/namespaces/${ns}/virtualservices/${name}`,
};

export interface SwitchOptions {
  client: KubeClient;
  name: string;
  namespace: string;
  /** target colour; with rollback, must agree with the recorded previous colour if given */
  to?: Colour;
  rollback: boolean;
  timeoutMs: number;
  intervalMs: number;
  log: (line: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

export type SwitchResult =
  | { outcome: "switched"; from: Colour; to: Colour; meshed: boolean }
  | { outcome: "unchanged"; to: Colour }
  | { outcome: "not-ready"; to: Colour; reason: string }
  | { outcome: "refused"; reason: string };

/** The colour the Service sends traffic to now. */
export function activeColourOf(svc: ServiceLike): Colour | undefined {
  const a = svc.metadata?.annotations?.[ANNOTATION_ACTIVE];
  if (isColour(a)) return a;
  const s = svc.spec?.selector?.[LABEL_COLOUR];
  return isColour(s) ? s : undefined;
}

async function waitReady(o: SwitchOptions, colour: Colour): Promise<{ ready: boolean; reason: string }> {
  const sleep = o.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const deadline = Date.now() + o.timeoutMs;
  const name = deploymentName(o.name, colour);
  let last = "";
  for (let attempt = 1; ; attempt++) {
    const d = await o.client.get<DeploymentLike>(paths.deployment(o.namespace, name));
    const r = d
      ? deploymentReadiness(d)
      : { ready: false, reason: `deployment ${o.namespace}/${name} not found` };
    if (r.reason !== last) o.log(`${name}: ${r.ready ? "Ready" : "not ready"}: ${r.reason}`);
    last = r.reason;
    if (r.ready) return r;
    if (Date.now() + o.intervalMs > deadline) return r;
    await sleep(o.intervalMs);
  }
}

export async function switchColour(o: SwitchOptions): Promise<SwitchResult> {
  const svcPath = paths.service(o.namespace, o.name);
  const svc = await o.client.get<ServiceLike>(svcPath);
  if (!svc) return { outcome: "refused", reason: `service ${o.namespace}/${o.name} not found` };
  const current = activeColourOf(svc);
  if (!current)
    return {
      outcome: "refused",
      reason: `service ${o.namespace}/${o.name} has no active colour (not a BlueGreenService?)`,
    };

  let target: Colour;
  if (o.rollback) {
    const previous = svc.metadata?.annotations?.[ANNOTATION_PREVIOUS];
    if (!isColour(previous)) {
      return {
        outcome: "refused",
        reason: `no previous colour recorded on ${o.name}; switch with --to instead`,
      };
    }
    if (o.to && o.to !== previous) {
      return { outcome: "refused", reason: `--rollback goes back to ${previous}, not ${o.to}` };
    }
    target = previous;
  } else if (o.to) {
    target = o.to;
  } else {
    return { outcome: "refused", reason: "give --to blue|green or --rollback" };
  }
  if (target === current) {
    o.log(`${o.name} already sends traffic to ${target}; nothing to do`);
    return { outcome: "unchanged", to: target };
  }

  // Traffic moves only to a colour whose pods are all updated and available.
  const ready = await waitReady(o, target);
  if (!ready.ready) return { outcome: "not-ready", to: target, reason: ready.reason };

  const vsPath = paths.virtualService(o.namespace, o.name);
  // A 404 means no VirtualService (or no Istio): the app is not meshed.
  const vs = await o.client.get(vsPath);
  const previousBefore = svc.metadata?.annotations?.[ANNOTATION_PREVIOUS] ?? null;
  await o.client.mergePatch(svcPath, {
    metadata: { annotations: { [ANNOTATION_ACTIVE]: target, [ANNOTATION_PREVIOUS]: current } },
    spec: { selector: serviceSelector(o.name, target) },
  });
  o.log(`service ${o.namespace}/${o.name}: selector ${LABEL_COLOUR}=${target}`);
  if (vs) {
    try {
      await o.client.mergePatch(vsPath, {
        metadata: { annotations: { [ANNOTATION_ACTIVE]: target } },
        spec: { http: virtualServiceHttp(o.name, o.namespace, target) },
      });
      o.log(`virtualservice ${o.namespace}/${o.name}: routes to ${deploymentName(o.name, target)}`);
    } catch (err) {
      // Keep Service and VirtualService in agreement: put the Service back, then report.
      await o.client.mergePatch(svcPath, {
        metadata: { annotations: { [ANNOTATION_ACTIVE]: current, [ANNOTATION_PREVIOUS]: previousBefore } },
        spec: { selector: serviceSelector(o.name, current) },
      });
      throw new Error(
        `virtualservice patch failed, service put back on ${current}: ${(err as Error).message}`,
      );
    }
  }
  const after = await o.client.get<ServiceLike>(svcPath);
  if (!after || after.spec?.selector?.[LABEL_COLOUR] !== target) {
    throw new Error(`service ${o.namespace}/${o.name} does not select ${target} after the patch`);
  }
  return { outcome: "switched", from: current, to: target, meshed: vs !== undefined };
}

/** Status of both colours, for `npm run app -- status NAME`. */
export async function appStatus(client: KubeClient, name: string, namespace: string): Promise<string[]> {
  const svc = await client.get<ServiceLike>(paths.service(namespace, name));
  if (!svc) throw new Error(`service ${namespace}/${name} not found`);
  const lines = [
    `${namespace}/${name}: live ${activeColourOf(svc) ?? "unknown"}, previous ${svc.metadata?.annotations?.[ANNOTATION_PREVIOUS] ?? "none"}`,
  ];
  for (const c of ["blue", "green"] as const) {
    const d = await client.get<DeploymentLike>(paths.deployment(namespace, deploymentName(name, c)));
    const image = d?.spec?.template?.spec?.containers?.find((x) => x.name === name)?.image ?? "?";
    const r = d ? deploymentReadiness(d) : { ready: false, reason: "not found" };
    lines.push(`  ${c}: ${r.ready ? "Ready" : "not ready"} (${r.reason}) image ${image}`);
  }
  return lines;
}
