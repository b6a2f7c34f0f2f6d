import { RunError } from "@pulumi/pulumi";

/**
 * A stack configuration that the schema refused. `lines` holds one line per problem, each
 * naming the full key (`jetstream-paas:network.cidr`), the value given and the rule broken.
 * It is thrown before any resource is declared, so a bad config plans nothing. It is a
 * Pulumi `RunError`, which the engine reports as its message alone, without the program's
 * stack trace: `pulumi up` shows the same lines as `npm run synth`.
 */
export class ConfigError extends RunError {
  readonly lines: readonly string[];
  constructor(lines: readonly string[]) {
    super(lines.join("\n"));
    this.name = "ConfigError";
    this.lines = lines;
  }
}
