/**
 * A stack configuration that the schema refused. `lines` holds one line per problem, each
 * naming the full key (`jetstream-paas:network.cidr`), the value given and the rule broken.
 * It is thrown before any resource is declared, so a bad config plans nothing.
 */
export class ConfigError extends Error {
  readonly lines: readonly string[];
  constructor(lines: readonly string[]) {
    super(lines.join("\n"));
    this.name = "ConfigError";
    this.lines = lines;
  }
}
