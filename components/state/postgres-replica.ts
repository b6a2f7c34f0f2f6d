import * as pulumi from "@pulumi/pulumi";
import { createPostgresDatabase, DatabaseCredentials, PostgresDatabaseArgs } from "./postgres-database";

export interface PostgresReplicaArgs extends PostgresDatabaseArgs {
  /**
   * The primary stack's `stateCredentials` (read through a StackReference). Undefined until the
   * primary's stack has outputs: the replica then renders without them and warns.
   */
  credentials?: pulumi.Input<DatabaseCredentials | undefined>;
}

/**
 * The streaming replica at the standby site: a hot standby that base-backs-up from the
 * primary's public address over TLS (client certificate + SCRAM), follows it through a
 * physical slot, and is what the failover controller promotes.
 */
export class PostgresReplica extends pulumi.ComponentResource {
  public readonly publicAddress: pulumi.Output<string>;
  public readonly privateAddress: pulumi.Output<string>;
  public readonly port: number;
  public readonly caCert: pulumi.Output<string>;
  public readonly securityGroupId: pulumi.Output<string>;
  public readonly instanceId: pulumi.Output<string>;
  public readonly volumeId: pulumi.Output<string>;
  public readonly backupBucket: string;

  constructor(name: string, args: PostgresReplicaArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jetstream:state:PostgresReplica", name, args, opts);
    if (!args.peer) {
      // without the primary's address there is nothing to replicate from yet
      pulumi.log.warn(
        `${args.site}-db: replica rendered without a primary; it waits for it (docs/failover.md, "Bring-up order")`,
        this,
      );
    }
    const credentials = pulumi.secret(pulumi.output(args.credentials));
    const r = createPostgresDatabase(name, "replica", args, { credentials }, this);
    this.publicAddress = r.publicAddress;
    this.privateAddress = r.privateAddress;
    this.port = args.port ?? 5432;
    this.caCert = r.caCert;
    this.securityGroupId = r.securityGroupId;
    this.instanceId = r.instanceId;
    this.volumeId = r.volumeId;
    this.backupBucket = r.backupBucket;
    this.registerOutputs({
      publicAddress: this.publicAddress,
      privateAddress: this.privateAddress,
      caCert: this.caCert,
      securityGroupId: this.securityGroupId,
      instanceId: this.instanceId,
      volumeId: this.volumeId,
    });
  }
}
