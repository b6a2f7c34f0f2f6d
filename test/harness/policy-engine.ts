// Feeds a synthesized plan to the policy pack the way the Pulumi engine does: as the analyzer's
// protobuf requests (AnalyzeRequest per resource, AnalyzeStackRequest for the stack), through
// @pulumi/policy's own RPC handlers (server.ts makeAnalyzeRpcFun / makeAnalyzeStackRpcFun, the
// functions its gRPC server serves; @pulumi/policy's tests/server.spec.ts drives them the same
// way). Secrets travel in Pulumi's secret envelope and unknowns as the SDK's sentinels, so the
// policy SDK unwraps them exactly as during `pulumi preview`.
import * as structproto from "google-protobuf/google/protobuf/struct_pb";
import * as analyzerproto from "@pulumi/pulumi/proto/analyzer_pb";
import * as policyServer from "@pulumi/policy/server";
import type { Policies } from "@pulumi/policy";
import type { PlanFile } from "../../policy/offline";
import { SECRET } from "../../policy/view";

// Pulumi's wire marker for a secret value (runtime/rpc.ts specialSigKey/specialSecretSig).
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

type Callback<T> = (err: Error | undefined, resp?: T) => void;
type RpcFun<Req, Resp> = (call: { request: Req }, callback: Callback<Resp>) => Promise<void>;
type MakeRpc<Req, Resp> = (
  pack: string,
  version: string,
  level: string,
  policies: Policies,
) => RpcFun<Req, Resp>;

// server.d.ts declares nothing (the handlers are @internal); they are what `serve` registers.
const server = policyServer as unknown as {
  makeAnalyzeRpcFun: MakeRpc<analyzerproto.AnalyzeRequest, analyzerproto.AnalyzeResponse>;
  makeAnalyzeStackRpcFun: MakeRpc<analyzerproto.AnalyzeStackRequest, analyzerproto.AnalyzeResponse>;
};

export interface Diagnostic {
  policy: string;
  level: "advisory" | "mandatory";
  urn: string;
  message: string;
}

/** plan.json inputs as the engine sends them: "[secret]" becomes a secret envelope. */
function wire(v: unknown): unknown {
  if (v === SECRET) return { [SIG_KEY]: SECRET_SIG, value: "stand-in secret value" };
  if (Array.isArray(v)) return v.map(wire);
  if (v && typeof v === "object") {
    // JSON has no undefined: a key set to undefined is absent, as in plan.json.
    return Object.fromEntries(
      Object.entries(v)
        .filter(([, x]) => x !== undefined)
        .map(([k, x]) => [k, wire(x)]),
    );
  }
  return v;
}

function options(r: PlanFile["resources"][number]): analyzerproto.AnalyzerResourceOptions {
  const o = new analyzerproto.AnalyzerResourceOptions();
  o.setAdditionalsecretoutputsList(r.additionalSecretOutputs ?? []);
  return o;
}

/** Properties: the inputs, plus the id a bridged provider keeps in its state. */
function properties(r: PlanFile["resources"][number]): structproto.Struct {
  const props = wire(r.inputs) as Record<string, unknown>;
  return structproto.Struct.fromJavaScript(
    (r.id ? { ...props, id: r.id } : props) as Parameters<typeof structproto.Struct.fromJavaScript>[0],
  );
}

function diagnostics(
  resp: analyzerproto.AnalyzeResponse | undefined,
  description: Map<string, string>,
): Diagnostic[] {
  return (resp?.getDiagnosticsList() ?? []).map((d) => {
    // The SDK prefixes the policy's description: "<description>\n<message>".
    const prefix = `${description.get(d.getPolicyname()) ?? ""}\n`;
    const message = d.getMessage().startsWith(prefix) ? d.getMessage().slice(prefix.length) : d.getMessage();
    return {
      policy: d.getPolicyname(),
      level: d.getEnforcementlevel() === analyzerproto.EnforcementLevel.MANDATORY ? "mandatory" : "advisory",
      urn: d.getUrn(),
      message,
    };
  });
}

async function call<Req, Resp>(fun: RpcFun<Req, Resp>, request: Req): Promise<Resp | undefined> {
  let out: Resp | undefined;
  let error: Error | undefined;
  await fun({ request }, (err, resp) => {
    error = err ?? undefined;
    out = resp;
  });
  if (error) throw error;
  return out;
}

/** The fields an AnalyzeRequest and an AnalyzerResource share, from a plan entry. */
function describeResource<T extends analyzerproto.AnalyzeRequest | analyzerproto.AnalyzerResource>(
  msg: T,
  r: PlanFile["resources"][number],
): T {
  msg.setType(r.type);
  msg.setName(r.name);
  msg.setUrn(r.urn);
  msg.setProperties(properties(r));
  msg.setOptions(options(r));
  return msg;
}

/** Every resource through `analyze` (validateResource) and the stack through `analyzeStack`. */
export async function analyzePlan(plan: PlanFile, policies: Policies): Promise<Diagnostic[]> {
  const description = new Map(policies.map((p) => [p.name, p.description]));
  const analyze = server.makeAnalyzeRpcFun("jetstream-paas", "0.1.0", "mandatory", policies);
  const analyzeStack = server.makeAnalyzeStackRpcFun("jetstream-paas", "0.1.0", "mandatory", policies);
  const found: Diagnostic[] = [];
  for (const r of plan.resources) {
    const req = describeResource(new analyzerproto.AnalyzeRequest(), r);
    // validateResource reports against the resource it validates; the SDK leaves urn empty.
    found.push(
      ...diagnostics(await call(analyze, req), description).map((d) => ({ ...d, urn: d.urn || r.urn })),
    );
  }
  const urnOf = new Map(plan.resources.map((r) => [r.name, r.urn]));
  const stackReq = new analyzerproto.AnalyzeStackRequest();
  stackReq.setResourcesList(
    plan.resources.map((r) => {
      const a = describeResource(new analyzerproto.AnalyzerResource(), r);
      a.setDependenciesList(r.dependsOn.map((n) => urnOf.get(n)).filter((u): u is string => u !== undefined));
      return a;
    }),
  );
  found.push(...diagnostics(await call(analyzeStack, stackReq), description));
  return found;
}
