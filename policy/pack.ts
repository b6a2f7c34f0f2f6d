// The rules as CrossGuard policies (@pulumi/policy), for `pulumi preview --policy-pack policy`.
// policy/index.ts serves them; tests drive these objects through @pulumi/policy's own analyzer
// entry points. Each policy converts what the policy SDK passes into a policy/view.ts view and
// calls the same rule function that `npm run policy` calls on plan.json.
import type {
  EnforcementLevel,
  Policies,
  PolicyResource,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import * as policyProxy from "@pulumi/policy/proxy";
import { RULES } from "./rules";
import { isObject, ResourceView, Rule, StackView, UNKNOWN } from "./view";

// @pulumi/policy wraps props in a proxy that throws on any unknown (preview) value; a rule
// must be able to say "not known yet" for one field and still check the others. The raw
// target sits behind this key (proxy.ts getSpecialProxyTarget), unknowns are these sentinels.
const PROXY_TARGET = "__getSpecialProxyTarget";
const proxyExports = policyProxy as unknown as Record<string, unknown>;
const UNKNOWN_SENTINELS = new Set(
  Object.entries(proxyExports)
    .filter(([k, v]) => /^unknown[A-Za-z]+Value$/.test(k) && typeof v === "string")
    .map(([, v]) => v as string),
);
if (UNKNOWN_SENTINELS.size === 0) throw new Error("@pulumi/policy no longer exports its unknown sentinels");

/** Plain JSON of policy props: the proxy taken off, unknown values as UNKNOWN. */
export function plainProps(props: unknown): Record<string, unknown> {
  const strip = (v: unknown): unknown => {
    if (typeof v === "string") return UNKNOWN_SENTINELS.has(v) ? UNKNOWN : v;
    if (Array.isArray(v)) return v.map(strip);
    if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, strip(x)]));
    return v;
  };
  const raw = isObject(props) ? ((props as Record<string, unknown>)[PROXY_TARGET] ?? props) : {};
  return strip(raw) as Record<string, unknown>;
}

function view(r: ResourceValidationArgs | PolicyResource): ResourceView {
  const inputs = plainProps(r.props);
  // Bridged providers (openstack) keep the id in the state as a property too.
  const id = typeof inputs.id === "string" && inputs.id !== UNKNOWN ? inputs.id : undefined;
  return {
    type: r.type,
    name: r.name,
    urn: r.urn,
    id,
    inputs,
    secretOutputs: r.opts?.additionalSecretOutputs ?? [],
    // The policy SDK deserializes secrets to their plain values (deserialize.ts).
    secretsVisible: false,
  };
}

function stackView(args: StackValidationArgs): StackView {
  const views = new Map<PolicyResource, ResourceView>(args.resources.map((r) => [r, view(r)]));
  const back = new Map<ResourceView, PolicyResource>([...views].map(([r, v]) => [v, r]));
  return {
    resources: [...views.values()],
    dependencies: (v, property) => {
      const r = back.get(v);
      if (!r) return [];
      const deps = r.propertyDependencies?.[property] ?? r.dependencies;
      return deps.map((d) => views.get(d)).filter((d): d is ResourceView => d !== undefined);
    },
  };
}

function toPolicy(rule: Rule): ResourceValidationPolicy | StackValidationPolicy {
  const base = {
    name: rule.name,
    description: rule.description,
    enforcementLevel: rule.level as EnforcementLevel,
  };
  if (rule.kind === "resource") {
    return {
      ...base,
      validateResource: (args, reportViolation) => {
        for (const message of rule.check(view(args))) reportViolation(message);
      },
    };
  }
  return {
    ...base,
    validateStack: (args, reportViolation) => {
      for (const f of rule.check(stackView(args))) reportViolation(f.message, f.resource?.urn);
    },
  };
}

export const POLICIES: Policies = RULES.map(toPolicy);
export const PACK_NAME = "jetstream-paas";
