// kube-monkey (seed 004's chaos), opt-in per namespace: the Helm values of its chart and the
// labels an app's Deployment (and its pods) carry to become a target. kube-monkey only acts
// in `whitelisted_namespaces` (= the namespaces that opted in) and never in
// `blacklisted_namespaces` (= every platform namespace, belt and braces with the schema).
//
// Chart: kube-monkey 1.5.2 (app v0.5.2) from https://asobti.github.io/kube-monkey/charts/repo,
// source asobti/kube-monkey helm/kubemonkey/Chart.yaml @ 7dcb3ca (2023-10-27, the newest
// commit). Label keys: internal/pkg/config/config.go at the same commit.
import type { ChaosConfig, ChaosNamespaceConfig } from "../../config/chaos";
import { PLATFORM_NAMESPACES } from "../../config/mesh";

export const KUBE_MONKEY_CHART = {
  chart: "kube-monkey",
  version: "1.5.2",
  repo: "https://asobti.github.io/kube-monkey/charts/repo",
  source: "asobti/kube-monkey helm/kubemonkey/Chart.yaml @ 7dcb3ca1 (2023-10-27, chart 1.5.2, app v0.5.2)",
} as const;
export const CHAOS_NAMESPACE = "jsp-chaos";
export const CHAOS_RELEASE = "kube-monkey";

/** The label keys and values kube-monkey reads (internal/pkg/config/config.go). */
export const KUBE_MONKEY_LABELS = {
  enabled: "kube-monkey/enabled",
  enabledValue: "enabled",
  identifier: "kube-monkey/identifier",
  mtbf: "kube-monkey/mtbf",
  killMode: "kube-monkey/kill-mode",
  killValue: "kube-monkey/kill-value",
} as const;

export function kubeMonkeyValues(c: ChaosConfig): Record<string, unknown> {
  return {
    replicaCount: 1,
    config: {
      dryRun: c.dryRun,
      runHour: c.runHour,
      startHour: c.startHour,
      endHour: c.endHour,
      timeZone: c.timeZone,
      whitelistedNamespaces: c.namespaces.map((n) => n.name).sort(),
      blacklistedNamespaces: [...PLATFORM_NAMESPACES].sort(),
      debug: { enabled: false, schedule_immediate_kill: false },
      notifications: { enabled: false, proxy: "", attacks: "" },
    },
    args: { logLevel: 3, logDir: "/var/log/kube-monkey" },
    resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "128Mi" } },
    podSecurityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532 },
  };
}

/**
 * Labels for a Deployment (metadata and pod template: kube-monkey selects the pods to kill by
 * the identifier label) in an opted-in namespace; `{}` when the namespace did not opt in.
 */
export function chaosLabels(c: ChaosConfig, namespace: string, identifier: string): Record<string, string> {
  if (!c.enabled) return {};
  const ns: ChaosNamespaceConfig | undefined = c.namespaces.find((n) => n.name === namespace);
  if (!ns) return {};
  if (!/^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$/.test(identifier))
    throw new Error(`chaos: identifier "${identifier}" is not a label value`);
  return {
    [KUBE_MONKEY_LABELS.enabled]: KUBE_MONKEY_LABELS.enabledValue,
    [KUBE_MONKEY_LABELS.identifier]: identifier,
    [KUBE_MONKEY_LABELS.mtbf]: String(ns.mtbfDays),
    [KUBE_MONKEY_LABELS.killMode]: ns.killMode,
    [KUBE_MONKEY_LABELS.killValue]: String(ns.killValue),
  };
}
