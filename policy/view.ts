// What a policy rule sees of a stack, whichever engine planned it. Two sources fill it in:
// `npm run policy`/`npm run synth` from plan.json (policy/offline.ts) and `pulumi preview
// --policy-pack policy` from what @pulumi/policy hands a policy (policy/pack.ts). The rules in
// policy/rules.ts read only this, so the same functions decide in both places. No
// @pulumi/pulumi import here: rules are plain functions of plain data.

/** How plan.json shows a secret value (test/harness/mocks.ts SECRET_PLACEHOLDER). */
export const SECRET = "[secret]";
/** How a view shows a value that `pulumi preview` cannot know yet (an output of a new resource). */
export const UNKNOWN = "[unknown]";

export type Level = "mandatory" | "advisory";

export interface ResourceView {
  /** Pulumi type token, e.g. `openstack:networking/secGroupRule:SecGroupRule` */
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  /** the cloud id, where known (plan.json: the mock engine's; preview: existing resources only) */
  readonly id?: string;
  /** inputs (plan.json, validateResource) or state (validateStack); plain JSON */
  readonly inputs: Readonly<Record<string, unknown>>;
  /** outputs the resource options mark secret (`additionalSecretOutputs`) */
  readonly secretOutputs: readonly string[];
  /**
   * Whether a secret input shows as SECRET. plan.json keeps the marker; the policy SDK hands
   * policies secret values unwrapped, so there a rule cannot tell a secret input from a plain one.
   */
  readonly secretsVisible: boolean;
}

export interface StackView {
  readonly resources: readonly ResourceView[];
  /**
   * Resources that property `property` of `r` was computed from. Where only resource-level
   * dependencies are known (plan.json), every dependency of `r` is returned.
   */
  dependencies(r: ResourceView, property: string): ResourceView[];
  /** stack outputs and which of them are secret, where known (offline: outputs.json) */
  readonly outputs?: { readonly names: readonly string[]; readonly secret: readonly string[] };
}

/** One finding of a rule: the resource (none for the stack as a whole) and what is wrong. */
export interface Finding {
  readonly resource?: ResourceView;
  readonly message: string;
}

interface RuleBase {
  /** policy name, kebab-case; the name `pulumi preview` and `npm run policy` print */
  readonly name: string;
  readonly description: string;
  readonly level: Level;
}
/** Decides one resource by itself: a CrossGuard resource policy (validateResource). */
export interface ResourceRule extends RuleBase {
  readonly kind: "resource";
  check(r: ResourceView): string[];
}
/** Needs other resources of the stack: a CrossGuard stack policy (validateStack). */
export interface StackRule extends RuleBase {
  readonly kind: "stack";
  check(stack: StackView): Finding[];
}
export type Rule = ResourceRule | StackRule;

// ---- small readers shared by the rules -------------------------------------------------------

export type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The value at a dotted path of plain JSON, or undefined. */
export function at(v: unknown, path: string): unknown {
  let cur = v;
  for (const key of path.split(".")) {
    if (!isObject(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}

export function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

export function isUnknown(v: unknown): boolean {
  return v === UNKNOWN;
}

/**
 * Calls `visit` for every object inside `v` with the key path that leads to it (keys of arrays
 * are left out: `service.ports` for `service.ports[0]`). Used on Helm values, whose shape is
 * each chart's own.
 */
export function walkObjects(v: unknown, visit: (o: Json, path: string[]) => void, path: string[] = []): void {
  if (Array.isArray(v)) {
    for (const x of v) walkObjects(x, visit, path);
  } else if (isObject(v)) {
    visit(v, path);
    for (const [k, x] of Object.entries(v)) walkObjects(x, visit, [...path, k]);
  }
}
