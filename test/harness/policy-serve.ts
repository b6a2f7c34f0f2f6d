// Starts policy/index.ts in its own process, as the Pulumi CLI starts a policy pack: working
// directory the pack's folder (PolicyPack reads the version from its package.json), the gRPC
// port printed on stdout. The CLI loads TypeScript with ts-node; here tsx does. Then it talks to
// the pack over gRPC with the analyzer client of @pulumi/pulumi and stops the process it started.
import { spawn } from "node:child_process";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as structproto from "google-protobuf/google/protobuf/struct_pb";
import * as emptyproto from "google-protobuf/google/protobuf/empty_pb";
import * as analyzerrpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzerproto from "@pulumi/pulumi/proto/analyzer_pb";

export interface ServedPack {
  name: string;
  version: string;
  policies: Array<{ name: string; level: "advisory" | "mandatory" }>;
  /** runs `analyze` for one resource over gRPC: policy names of the diagnostics */
  analyze(type: string, name: string, props: Record<string, unknown>): Promise<string[]>;
}

function level(l: number): "advisory" | "mandatory" {
  return l === analyzerproto.EnforcementLevel.MANDATORY ? "mandatory" : "advisory";
}

export async function servePack(dir: string, use: (pack: ServedPack) => Promise<void>): Promise<void> {
  const child = spawn(process.execPath, ["--import", "tsx", join(dir, "index.ts")], {
    cwd: dir,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`policy pack printed no port in 60 s: ${stderr}`)),
        60_000,
      );
      child.stdout.once("data", (d: Buffer) => {
        clearTimeout(timer);
        resolve(Number(d.toString().trim()));
      });
      child.once("exit", (code) => reject(new Error(`policy pack exited ${code}: ${stderr}`)));
    });
    const client = new analyzerrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      const info = await new Promise<analyzerproto.AnalyzerInfo>((resolve, reject) =>
        client.getAnalyzerInfo(new emptyproto.Empty(), (err, resp) => (err ? reject(err) : resolve(resp!))),
      );
      await use({
        name: info.getName(),
        version: info.getVersion(),
        policies: info
          .getPoliciesList()
          .map((p) => ({ name: p.getName(), level: level(p.getEnforcementlevel()) })),
        analyze: (type, name, props) => {
          const req = new analyzerproto.AnalyzeRequest();
          req.setType(type);
          req.setName(name);
          req.setUrn(`urn:pulumi:test::jetstream-paas::${type}::${name}`);
          req.setProperties(
            structproto.Struct.fromJavaScript(
              props as Parameters<typeof structproto.Struct.fromJavaScript>[0],
            ),
          );
          req.setOptions(new analyzerproto.AnalyzerResourceOptions());
          return new Promise((resolve, reject) =>
            client.analyze(req, (err, resp) =>
              err ? reject(err) : resolve(resp!.getDiagnosticsList().map((d) => d.getPolicyname())),
            ),
          );
        },
      });
    } finally {
      client.close();
    }
  } finally {
    child.kill("SIGTERM");
  }
}
