// Every command line of the project is built here, on one CLI library (commander), with one
// rule for mistakes: a usage mistake (unknown command or option, a bad value) prints ONE line
// with a hint to --help and exits 2; a failure while working prints one line and exits 1;
// nothing ever prints a JavaScript stack trace. Arguments are validated by their parsers before
// an action runs, so no command connects anywhere with an argument it would refuse.
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";

export { Command, Option };

/** Where a command writes: tests pass their own, the entry points pass the process's streams. */
export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

export const processIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** A mistake in how a command was called, found by its own checks: one line, exit 2. */
export class UsageError extends Error {}

/** A refusal by a precondition (a rule of the tool, not of the command line): one line, exit 1. */
export class Refusal extends Error {}

/**
 * The root command of `npm run <name>`. Subcommands made with `.command()` inherit its
 * settings (exitOverride and output), so the error rule holds for them too.
 */
export function program(name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .exitOverride()
    .showSuggestionAfterError(true)
    .helpOption("-h, --help", "show this help")
    .configureHelp({ sortSubcommands: false, showGlobalOptions: true });
}

/** Option value parser: an integer within [min, max]. */
export function intIn(min: number, max: number): (value: string) => number {
  return (value) => {
    if (!/^-?\d+$/.test(value))
      throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
    return n;
  };
}

/** Option value parser: a number within [min, max] (decimals allowed). */
export function numberIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(`must be a number from ${min} to ${max}`);
    }
    return n;
  };
}

/** Option/argument value parser: one of a fixed list (commander's own `.choices` for options). */
export function oneOf<T extends string>(values: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(values as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`must be one of ${values.join(", ")}`);
    }
    return value as T;
  };
}

/** Repeatable option value parser: every value one of `values`, collected in order. */
export function manyOf<T extends string>(values: readonly T[]): (value: string, previous?: T[]) => T[] {
  const check = oneOf(values);
  return (value, previous) => [...(previous ?? []), check(value)];
}

/** Accumulates a repeatable option (`--namespace a --namespace b`). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function oneLine(text: string): string {
  return text
    .replace(/^error:\s*/i, "")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !/^\(?did you mean/i.test(l))
    .join(" ")
    .replace(/\s+/g, " ");
}

/** commander's wording of a bad value, said our way: "--site mars: must be one of iu, tacc". */
function invalidValue(msg: string): string {
  const opt = /^option '(-[^ ']+)[^']*' argument '([^']*)' is invalid\.\s*(.*)$/s.exec(msg);
  if (opt) return `${opt[1]} ${opt[2]}: ${opt[3]}`;
  const arg = /^command-argument value '([^']*)' is invalid for argument '([^']*)'\.\s*(.*)$/s.exec(msg);
  if (arg) return `${arg[2]} ${arg[1]}: ${arg[3]}`;
  return msg;
}

function hintOf(root: Command): string {
  return `see: npm run ${root.name()} -- --help`;
}

/**
 * Parses argv with `root` and runs the chosen action. Returns the exit code: 0 done (or help
 * shown), 1 failed or refused, 2 a usage mistake. Errors are printed as one line on io.err.
 */
export async function run(root: Command, argv: string[], io: Io = processIo): Promise<number> {
  let captured = "";
  const output = {
    writeOut: (s: string) => io.out(s.replace(/\n$/, "")),
    writeErr: (s: string) => {
      captured += s;
    },
    outputError: (s: string) => {
      captured += s;
    },
  };
  const apply = (c: Command) => {
    c.configureOutput(output).exitOverride();
    c.commands.forEach(apply);
  };
  apply(root);
  try {
    await root.parseAsync(argv, { from: "user" });
    return 0;
  } catch (err) {
    return report(root, err, captured, io);
  }
}

function report(root: Command, err: unknown, captured: string, io: Io): number {
  const name = root.name();
  if (err instanceof CommanderError) {
    if (err.exitCode === 0) return 0; // --help, --version
    if (err.code === "commander.help" || err.code === "commander.executeSubCommandAsync") {
      const names = root.commands.map((c) => c.name()).join(", ");
      io.err(`${name}: give a command (${names}); ${hintOf(root)}`);
      return 2;
    }
    const suggestion = /\(Did you mean ([^)?]+)\?\)/i.exec(captured)?.[1];
    const msg = invalidValue(oneLine(err.message || captured));
    io.err(`${name}: ${msg}${suggestion ? ` (did you mean ${suggestion}?)` : ""}; ${hintOf(root)}`);
    return 2;
  }
  if (err instanceof UsageError) {
    io.err(`${name}: ${oneLine(err.message)}; ${hintOf(root)}`);
    return 2;
  }
  const msg = err instanceof Error ? err.message : String(err);
  io.err(`${name}: ${oneLine(msg)}`);
  return 1;
}

/** Entry-point glue: `if (require.main === module) exitWith(main(process.argv.slice(2)))`. */
export function exitWith(code: Promise<number>): void {
  code.then(
    (c) => process.exit(c),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
