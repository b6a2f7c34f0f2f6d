// The policy rules on a synthesized plan (out/<stack>/plan.json and outputs.json): what
// `npm run policy` and `npm run synth` run. The same rule functions run in `pulumi preview` through
// policy/pack.ts.
import { RULES } from "./rules";
import { Level, ResourceView, Rule, StackView } from "./view";

/** The part of plan.json the rules read (tools/synth.ts writes it). */
export interface PlanFile {
  stack: string;
  project: string;
  resources: Array<{
    type: string;
    name: string;
    urn: string;
    inputs: Record<string, unknown>;
    /** names of the resources it waits for */
    dependsOn: string[];
    additionalSecretOutputs?: string[];
    id?: string;
  }>;
}

/** The part of outputs.json the rules read. */
export interface OutputsFile {
  outputs: Record<string, unknown>;
  secretOutputNames: string[];
}

export interface Violation {
  rule: string;
  level: Level;
  /** the resource in violation; none when the stack as a whole is */
  resource?: { type: string; name: string; urn: string };
  message: string;
}

export function planView(plan: PlanFile, outputs?: OutputsFile): StackView {
  const views = plan.resources.map((r): ResourceView => ({
    type: r.type,
    name: r.name,
    urn: r.urn,
    id: r.id,
    inputs: r.inputs,
    secretOutputs: r.additionalSecretOutputs ?? [],
    secretsVisible: true,
  }));
  const byName = new Map<string, ResourceView[]>();
  for (const v of views) byName.set(v.name, [...(byName.get(v.name) ?? []), v]);
  const depsOf = new Map(plan.resources.map((r, i) => [views[i], r.dependsOn]));
  return {
    resources: views,
    // plan.json records dependencies per resource, not per property: every one is returned.
    dependencies: (r) => (depsOf.get(r) ?? []).flatMap((n) => byName.get(n) ?? []),
    // An undefined output is not exported (the engine drops it, as outputs.json does).
    outputs: outputs && {
      names: Object.keys(outputs.outputs)
        .filter((k) => outputs.outputs[k] !== undefined)
        .sort(),
      secret: outputs.secretOutputNames,
    },
  };
}

/** Runs every rule on a stack view; violations in rule order, then resource order. */
export function evaluate(stack: StackView, rules: readonly Rule[] = RULES): Violation[] {
  const out: Violation[] = [];
  for (const rule of rules) {
    const add = (resource: ResourceView | undefined, message: string) =>
      out.push({
        rule: rule.name,
        level: rule.level,
        resource: resource && { type: resource.type, name: resource.name, urn: resource.urn },
        message,
      });
    if (rule.kind === "resource") {
      for (const r of stack.resources) for (const m of rule.check(r)) add(r, m);
    } else {
      for (const f of rule.check(stack)) add(f.resource, f.message);
    }
  }
  return out;
}

export function checkPlan(plan: PlanFile, outputs?: OutputsFile): Violation[] {
  return evaluate(planView(plan, outputs));
}

/** One line per violation: level, rule, resource (name and type), what is wrong. */
export function formatViolation(v: Violation): string {
  const where = v.resource ? `${v.resource.name} (${v.resource.type})` : "stack";
  return `${v.level} ${v.rule}: ${where}: ${v.message}`;
}

export function mandatory(violations: readonly Violation[]): Violation[] {
  return violations.filter((v) => v.level === "mandatory");
}

/** A plan with a mandatory violation: one line per violation (advisories included). */
export class PolicyRefusal extends Error {
  constructor(readonly lines: string[]) {
    super(lines.join("; "));
  }
}
