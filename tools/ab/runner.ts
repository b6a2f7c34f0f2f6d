// The two ways `npm run ab` reaches the stacks, behind one interface: `automation` drives the
// real stacks through Pulumi's Automation API; `synth` runs the same steps offline through the
// mock engine and out/. Everything above this interface (tools/ab/steps.ts) is shared.
import type { SiteConfig } from "../../components/config";
import type { LockRecord, Tags } from "./state";

export type RunnerKind = "automation" | "synth";
export const RUNNERS: readonly RunnerKind[] = ["automation", "synth"];

export interface SlotStatus {
  slot: string;
  /** the slot's stack, as edge.slots names it */
  stack: string;
  /** the stack has resources (up / synthesized) */
  exists: boolean;
  /** opaque: changes whenever what the slot runs changes (update number, or plan hash) */
  version?: string;
  resources?: number;
  updatedAt?: string;
  kubernetesVersion?: string;
  ingressNodes: string[];
}

export interface TargetManaged {
  /** identities (migrate/objects.ts idOf) of Kubernetes objects the slot's stack declares */
  ids: Set<string>;
  /** Helm releases it installs */
  releases: Set<string>;
}

export interface Runner {
  readonly kind: RunnerKind;
  readonly site: string;
  /** the site stack's config, parsed by the project's schema */
  siteConfig(): Promise<SiteConfig>;
  /** the stack name of the site stack */
  readonly siteStack: string;
  tags(stack: string): Promise<Tags>;
  /** sets tags; an undefined value removes the tag */
  setTags(stack: string, tags: Record<string, string | undefined>): Promise<void>;
  /** takes the site's A/B lock; returns the holder when someone else has it */
  acquireLock(lock: LockRecord): Promise<LockRecord | undefined>;
  releaseLock(lock: LockRecord): Promise<void>;
  /** removes a lock left behind by a crashed operation (ab unlock --yes) */
  breakLock(): Promise<void>;
  slot(slot: string): Promise<SlotStatus>;
  /** `pulumi up` of the slot's stack (synth: plan it), progress through `log` */
  up(slot: string, log: (line: string) => void): Promise<void>;
  /** `pulumi destroy` of the slot's stack (synth: remove its plan) */
  destroy(slot: string, log: (line: string) => void): Promise<void>;
  /** persists the live/pre-live choice in the site stack's config (edge.live, edge.prelive) */
  persistEdge(choice: { live: string; prelive?: string }, log: (line: string) => void): Promise<void>;
  /** brings the site stack up to date with the slots (the edge renders their ingress nodes) */
  refreshSite(log: (line: string) => void): Promise<void>;
  siteOutputs(): Promise<Record<string, unknown>>;
  /** the slot's kubeconfig (a secret output), when the runner has a real cluster behind it */
  kubeconfig(slot: string): Promise<string | undefined>;
  targetManaged(slot: string): Promise<TargetManaged>;
  /** where reports go (out/ab/) */
  readonly reportDir: string;
}
