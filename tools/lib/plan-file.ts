// Reads out/<stack>/plan.json (and outputs.json beside it) for the commands that check or
// compare plans. A file that is not a plan is one clear line, never a stack trace.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { OutputsFile, PlanFile } from "../../policy/offline";
import { Refusal } from "./cli";

function readJsonFile(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as unknown;
  } catch (err) {
    const why = err instanceof SyntaxError ? "is not JSON" : "cannot be read";
    throw new Refusal(`${path} ${why}`);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function readPlan(path: string): PlanFile {
  const doc = readJsonFile(path);
  const ok =
    isRecord(doc) &&
    typeof doc.stack === "string" &&
    Array.isArray(doc.resources) &&
    doc.resources.every(
      (r) => isRecord(r) && typeof r.type === "string" && typeof r.urn === "string" && isRecord(r.inputs),
    );
  if (!ok)
    throw new Refusal(
      `${path} is not a plan.json of npm run synth (stack, resources with type, urn, inputs)`,
    );
  return doc as unknown as PlanFile;
}

/** outputs.json beside a plan.json, when synth wrote one. */
export function readOutputsBeside(planPath: string): OutputsFile | undefined {
  const path = join(dirname(planPath), "outputs.json");
  if (!existsSync(path)) return undefined;
  const doc = readJsonFile(path);
  if (!isRecord(doc) || !isRecord(doc.outputs) || !Array.isArray(doc.secretOutputNames)) {
    throw new Refusal(`${path} is not an outputs.json of npm run synth`);
  }
  return doc as unknown as OutputsFile;
}

/** An empty plan: the stack does not exist on that side of a comparison. */
export function emptyPlan(stack: string, project: string): PlanFile {
  return { stack, project, resources: [] };
}
