// npm run policy -- <plan.json ...> [--no-outputs] [--list]
// Runs the policy pack's rules (policy/rules) on synthesized plans, the same functions that
// `pulumi preview --policy-pack policy` runs. One line per violation: the stack, the level, the
// rule, the resource (name and type) and what is wrong. Exit 1 when any violation is mandatory.
import { existsSync } from "node:fs";
import { checkPlan, formatViolation, mandatory } from "../policy/offline";
import { RULES } from "../policy/rules";
import { Command, exitWith, Io, processIo, program, Refusal, run, UsageError } from "./lib/cli";
import { readOutputsBeside, readPlan } from "./lib/plan-file";

interface PolicyOptions {
  outputs: boolean;
  list: boolean;
}

export function policyCommand(io: Io): Command {
  return program("policy", "Check synthesized plans against the policy pack's rules, offline.")
    .argument("[plans...]", "plan files written by npm run synth (out/<stack>/plan.json)")
    .option("--no-outputs", "do not read outputs.json beside each plan (stack output rules are skipped)")
    .option("--list", "list the rules and their levels, and check nothing", false)
    .action((plans: string[], opts: PolicyOptions) => {
      if (opts.list) {
        for (const r of RULES) io.out(`${r.level.padEnd(9)} ${r.name}: ${r.description}`);
        return;
      }
      if (plans.length === 0) throw new UsageError("give at least one plan.json (e.g. out/iu/plan.json)");
      const missing = plans.filter((p) => !existsSync(p));
      if (missing.length > 0) throw new UsageError(`no such plan file: ${missing.join(", ")}`);
      let refused = 0;
      let advisory = 0;
      for (const path of plans) {
        const plan = readPlan(path);
        const violations = checkPlan(plan, opts.outputs ? readOutputsBeside(path) : undefined);
        for (const v of violations) io.out(`${plan.stack}: ${formatViolation(v)}`);
        refused += mandatory(violations).length;
        advisory += violations.length - mandatory(violations).length;
      }
      const summary = `${plans.length} plan(s): ${refused} mandatory, ${advisory} advisory violation(s)`;
      if (refused > 0) throw new Refusal(`refused: ${summary}`);
      io.err(`policy: passed: ${summary}`);
    });
}

export function main(argv: string[], io: Io = processIo): Promise<number> {
  return run(policyCommand(io), argv, io);
}

if (require.main === module) exitWith(main(process.argv.slice(2)));
