import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { createPostgresDatabase, DatabaseCredentials, PostgresDatabaseArgs } from "./postgres-database";

/** Arguments of the primary: the database VM's, nothing more (it generates the credentials). */
export type PostgresPrimaryArgs = PostgresDatabaseArgs;

/**
 * The primary PostgreSQL 15 database of the platform, at the site `state.primarySite` names.
 * It generates the replication, controller and application passwords (@pulumi/random) and
 * publishes them as a secret for the replica's stack; it waits for its standby on every commit
 * when `synchronousCommit` is on or remote_write.
 */
export class PostgresPrimary extends pulumi.ComponentResource {
  public readonly publicAddress: pulumi.Output<string>;
  public readonly privateAddress: pulumi.Output<string>;
  public readonly port: number;
  public readonly caCert: pulumi.Output<string>;
  public readonly securityGroupId: pulumi.Output<string>;
  public readonly instanceId: pulumi.Output<string>;
  public readonly volumeId: pulumi.Output<string>;
  /** secret: what the replica's stack needs (stack output `stateCredentials`) */
  public readonly credentials: pulumi.Output<DatabaseCredentials>;
  /** secret: the application role's password */
  public readonly appPassword: pulumi.Output<string>;
  public readonly backupBucket: string;

  constructor(name: string, args: PostgresPrimaryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jetstream:state:PostgresPrimary", name, args, opts);
    const pw = (suffix: string) =>
      new random.RandomPassword(
        `${name}-${suffix}-password`,
        { length: 32, special: false },
        { parent: this },
      ).result;
    const credentials = pulumi.secret(
      pulumi
        .all([pw("replication"), pw("controller")])
        .apply(([replicationPassword, controllerPassword]) => ({
          replicationPassword,
          controllerPassword,
        })),
    );
    const appPassword = pulumi.secret(pw("app"));
    const r = createPostgresDatabase(name, "primary", args, { credentials, appPassword }, this);
    this.publicAddress = r.publicAddress;
    this.privateAddress = r.privateAddress;
    this.port = args.port ?? 5432;
    this.caCert = r.caCert;
    this.securityGroupId = r.securityGroupId;
    this.instanceId = r.instanceId;
    this.volumeId = r.volumeId;
    this.credentials = credentials;
    this.appPassword = appPassword;
    this.backupBucket = r.backupBucket;
    this.registerOutputs({
      publicAddress: this.publicAddress,
      privateAddress: this.privateAddress,
      caCert: this.caCert,
      securityGroupId: this.securityGroupId,
      instanceId: this.instanceId,
      volumeId: this.volumeId,
      credentials: this.credentials,
      appPassword: this.appPassword,
    });
  }
}
