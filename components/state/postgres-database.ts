// @internal Builder shared by PostgresPrimary and PostgresReplica: a PostgreSQL 15 VM with its
// PGDATA on a Cinder volume, its own `db` security group, a floating IP (replication crosses
// sites over public addresses), a CA and certificates from @pulumi/tls, and cloud-init
// rendered by the pure functions in render/.
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { registerArtifact } from "../../src/artifacts";
import { renderBootstrapSql } from "./render/bootstrap-sql";
import { DB_PATHS, renderDbCloudInit } from "./render/db-cloud-init";
import { renderBackupScript, renderBackupUnits, renderSetupScript } from "./render/db-scripts";
import { renderPgHba } from "./render/pg-hba";
import { renderPostgresqlConf, SyncLevel } from "./render/postgresql-conf";
import {
  DEBIAN_PATHS,
  PG_IDENT,
  pgHbaInput,
  postgresConfInput,
  ROLES,
  standbyName,
  StateProfileInput,
  tlsPaths,
} from "./render/profile";

/** What a site's stack publishes about its database (stack output `stateDb`), read by the peer. */
export interface PeerDatabase {
  site: string;
  role: "primary" | "replica";
  publicAddress: string;
  privateAddress: string;
  port: number;
  /** PEM of the CA that signed the peer's server and replication client certificates */
  caCert: string;
}

/** Passwords the primary's stack generates and the replica's stack reads (secret output `stateCredentials`). */
export interface DatabaseCredentials {
  replicationPassword: string;
  controllerPassword: string;
}

export interface PostgresDatabaseArgs {
  site: string;
  peerSite: string;
  network: {
    networkId: pulumi.Input<string>;
    subnetId: pulumi.Input<string>;
    subnetCidr: string;
    /** @default "public" */
    externalNetwork?: string;
  };
  keypairName: pulumi.Input<string>;
  /** the site's bastion group: SSH to the database only through it */
  bastionSecurityGroupId: pulumi.Input<string>;
  image: string;
  flavor: string;
  /** RAM of the flavor in MB, sizes shared_buffers (25 %) */
  flavorRamMb: number;
  volumeSizeGb: number;
  /** @default 5432 */
  port?: number;
  synchronousCommit: SyncLevel;
  app: { database: string; user: string; cidrs?: string[] };
  /** networks the failover controller connects from; default: the site subnet (edge hosts) */
  controllerCidrs?: string[];
  /** the peer site's database as its stack published it; undefined until the peer stack has outputs */
  peer?: PeerDatabase;
  backup: {
    onCalendar: string;
    retentionDays: number;
    /** S3 endpoint of the peer site's object store; undefined: unknown, backups refuse to run */
    endpoint?: string;
  };
}

export interface DatabaseResult {
  publicAddress: pulumi.Output<string>;
  privateAddress: pulumi.Output<string>;
  caCert: pulumi.Output<string>;
  securityGroupId: pulumi.Output<string>;
  instanceId: pulumi.Output<string>;
  volumeId: pulumi.Output<string>;
  backupBucket: string;
  backupEnabled: boolean;
}

const SECRET = "[secret]";

function certs(name: string, site: string, parent: pulumi.Resource, ips: pulumi.Input<string>[]) {
  const opts = { parent };
  const ecdsa = { algorithm: "ECDSA", ecdsaCurve: "P256" };
  const caKey = new tls.PrivateKey(`${name}-ca-key`, ecdsa, opts);
  const ca = new tls.SelfSignedCert(
    `${name}-ca`,
    {
      privateKeyPem: caKey.privateKeyPem,
      isCaCertificate: true,
      validityPeriodHours: 10 * 8766,
      allowedUses: ["cert_signing", "crl_signing"],
      subject: { organization: "jetstream-paas", commonName: `${site} database CA` },
    },
    opts,
  );
  const issue = (suffix: string, cn: string, uses: string[], ipAddresses?: pulumi.Input<string>[]) => {
    const key = new tls.PrivateKey(`${name}-${suffix}-key`, ecdsa, opts);
    const csr = new tls.CertRequest(
      `${name}-${suffix}-csr`,
      {
        privateKeyPem: key.privateKeyPem,
        subject: { organization: "jetstream-paas", commonName: cn },
        ipAddresses,
        dnsNames: ipAddresses ? [cn] : undefined,
      },
      opts,
    );
    const cert = new tls.LocallySignedCert(
      `${name}-${suffix}-cert`,
      {
        certRequestPem: csr.certRequestPem,
        caPrivateKeyPem: caKey.privateKeyPem,
        caCertPem: ca.certPem,
        // Renewal rewrites user data and replaces the VM (data stays on the volume): make it rare.
        validityPeriodHours: 5 * 8766,
        earlyRenewalHours: 720,
        allowedUses: uses,
      },
      opts,
    );
    return { key: pulumi.secret(key.privateKeyPem), cert: cert.certPem };
  };
  const server = issue("server", `${site}-db`, ["digital_signature", "key_encipherment", "server_auth"], ips);
  // clientcert=verify-full: the certificate's CN must be the replication role
  const client = issue("replication", ROLES.replication, ["digital_signature", "client_auth"]);
  return { caCert: ca.certPem, server, client };
}

export function createPostgresDatabase(
  name: string,
  role: "primary" | "replica",
  args: PostgresDatabaseArgs,
  secrets: { credentials: pulumi.Input<DatabaseCredentials | undefined>; appPassword?: pulumi.Input<string> },
  parent: pulumi.Resource,
): DatabaseResult {
  const opts: pulumi.CustomResourceOptions = { parent };
  if (args.site === args.peerSite)
    throw new pulumi.ResourceError(`peerSite must differ from site (${args.site})`, parent);
  if (args.peer && args.peer.role === role) {
    throw new pulumi.ResourceError(
      `peer ${args.peer.site} is also a ${role}: exactly one site is primary (state.primarySite must agree in both stacks)`,
      parent,
    );
  }
  if (!(args.volumeSizeGb >= 20))
    throw new pulumi.ResourceError(`volumeSizeGb ${args.volumeSizeGb} must be at least 20`, parent);
  const port = args.port ?? 5432;
  const host = `${args.site}-db`;
  const appCidrs = args.app.cidrs ?? [args.network.subnetCidr];
  const controllerCidrs = args.controllerCidrs ?? [args.network.subnetCidr];

  // ---- network: own group; 5432 from the site subnet and from the peer's public address only
  const sg = new openstack.networking.SecGroup(
    `${name}-db-sg`,
    {
      name: `${args.site}-db`,
      description: `jetstream-paas ${args.site}: PostgreSQL ${role}`,
      deleteDefaultRules: false,
    },
    opts,
  );
  const rule = (
    key: string,
    description: string,
    portMin: number,
    remote: { cidr?: string; group?: pulumi.Input<string> },
  ) =>
    new openstack.networking.SecGroupRule(
      `${name}-db-${key}`,
      {
        securityGroupId: sg.id,
        description,
        direction: "ingress",
        ethertype: "IPv4",
        protocol: "tcp",
        portRangeMin: portMin,
        portRangeMax: portMin,
        remoteIpPrefix: remote.cidr,
        remoteGroupId: remote.group,
      },
      opts,
    );
  rule("ssh-bastion", "SSH to the database host only through the bastion", 22, {
    group: args.bastionSecurityGroupId,
  });
  for (const c of [...new Set([...appCidrs, ...controllerCidrs])].sort()) {
    rule(`pg-${c.replace(/[./]/g, "-")}`, `PostgreSQL from ${c} (applications, failover controller)`, port, {
      cidr: c,
    });
  }
  if (args.peer) {
    rule("pg-peer", `PostgreSQL replication from the ${args.peer.site} database's public address`, port, {
      cidr: `${args.peer.publicAddress}/32`,
    });
  } else {
    pulumi.log.warn(
      `${host}: the ${args.peerSite} stack has no stateDb output yet; rendering without the peer (no replication rule, no peer in pg_hba). Run \`pulumi up\` here again once ${args.peerSite} is up.`,
      parent,
    );
  }

  const portRes = new openstack.networking.Port(
    `${name}-db-port`,
    {
      name: `${host}-port`,
      networkId: args.network.networkId,
      fixedIps: [{ subnetId: args.network.subnetId }],
      securityGroupIds: [sg.id],
      adminStateUp: true,
    },
    opts,
  );
  const fip = new openstack.networking.FloatingIp(
    `${name}-db-fip`,
    {
      pool: args.network.externalNetwork ?? "public",
      description: `${host} public address (cross-site replication)`,
    },
    opts,
  );
  const privateAddress = portRes.allFixedIps.apply((ips) => ips[0]);
  const tlsOut = certs(name, args.site, parent, [fip.address, privateAddress]);

  const volume = new openstack.blockstorage.Volume(
    `${name}-db-volume`,
    { name: `${host}-pgdata`, size: args.volumeSizeGb, description: `${host} PGDATA (outlives the VM)` },
    { parent, protect: false },
  );

  // ---- backups: EC2 credentials (Keystone is shared by the regions) and a container at the peer site
  const bucket = `jsp-${args.site}-db-backups`;
  const backupEnabled = args.backup.endpoint !== undefined;
  let s3: pulumi.Output<{ access: string; secret: string } | undefined> = pulumi.output(undefined);
  if (backupEnabled) {
    const ec2 = new openstack.identity.Ec2CredentialV3(`${name}-backup-ec2`, {}, opts);
    new openstack.objectstorage.Container(
      `${name}-backup-container`,
      { name: bucket, region: args.peerSite.toUpperCase(), metadata: { "jetstream-paas-source": args.site } },
      opts,
    );
    s3 = pulumi.secret(
      pulumi.all([ec2.access, ec2.secret]).apply(([access, secret]) => ({ access, secret })),
    );
  } else {
    pulumi.log.warn(
      `${host}: no object store endpoint for ${args.peerSite} (state.backup.endpoints.${args.peerSite}); the nightly backup is installed but disabled. Jetstream2 TACC's S3 endpoint is unconfirmed (docs/failover.md).`,
      parent,
    );
  }

  const profile: StateProfileInput = {
    role,
    site: args.site,
    peerSite: args.peerSite,
    port,
    listenAddresses: ["*"],
    primaryAddress: role === "replica" ? args.peer?.publicAddress : undefined,
    peerAddress: args.peer?.publicAddress,
    controllerCidrs,
    app: { database: args.app.database, user: args.app.user, cidrs: appCidrs },
    synchronousCommit: args.synchronousCommit,
    sharedBuffersMb: Math.max(128, Math.floor(args.flavorRamMb / 4)),
    maxConnections: 200,
    walKeepSizeMb: 1024,
    maxSlotWalKeepSizeMb: 10240,
  };
  const postgresqlConf = renderPostgresqlConf(postgresConfInput(profile));
  const pgHba = renderPgHba(pgHbaInput(profile));
  const slot = standbyName(role === "primary" ? args.peerSite : args.site);
  const setupScript = renderSetupScript({
    role,
    stagingDir: DB_PATHS.staging,
    confDirectory: DEBIAN_PATHS.confDirectory,
    dataDirectory: DEBIAN_PATHS.dataDirectory,
    primary:
      role === "replica"
        ? { host: args.peer?.publicAddress ?? "primary-address-unknown.invalid", port, slot }
        : undefined,
    secretsDir: DB_PATHS.secrets,
    tlsDir: tlsPaths(DEBIAN_PATHS.confDirectory).dir,
    basebackupWaitSeconds: 3600,
  });
  const bootstrapSql =
    role === "primary"
      ? renderBootstrapSql({
          replicationUser: ROLES.replication,
          controllerUser: ROLES.controller,
          app: { database: args.app.database, user: args.app.user },
          slotName: slot,
        })
      : undefined;
  const backupScript = renderBackupScript({
    site: args.site,
    targetSite: args.peerSite,
    endpoint: args.backup.endpoint,
    bucket,
    databases: [args.app.database],
    retentionDays: args.backup.retentionDays,
    s3cfg: DB_PATHS.s3cfg,
  });
  const units = renderBackupUnits({
    onCalendar: args.backup.onCalendar,
    script: DB_PATHS.backupScript,
    s3cfg: DB_PATHS.s3cfg,
  });
  const s3cfgText = (k: { access: string; secret: string }) => {
    const h = new URL(args.backup.endpoint!).host;
    return `[default]\naccess_key = ${k.access}\nsecret_key = ${k.secret}\nhost_base = ${h}\nhost_bucket = ${h}\nuse_https = True\n`;
  };
  const volumeDevice = volume.id.apply((id) => `/dev/disk/by-id/virtio-${id.slice(0, 20)}`);

  // One apply renders both the user data and its artifact copy (secrets replaced).
  const rendered = pulumi
    .all([
      pulumi.all([
        volumeDevice,
        tlsOut.caCert,
        tlsOut.server.cert,
        tlsOut.server.key,
        tlsOut.client.cert,
        tlsOut.client.key,
      ]),
      pulumi.all([pulumi.output(secrets.credentials), pulumi.output(secrets.appPassword), s3]),
    ])
    .apply(([[dev, caCert, serverCert, serverKey, clientCert, clientKey], [cred, appPw, s3k]]) => {
      const peerCa = args.peer?.caCert ?? "";
      const render = (secret: boolean) =>
        renderDbCloudInit({
          hostname: host,
          role,
          volumeDevice: dev,
          postgresqlConf,
          pgHba,
          pgIdent: PG_IDENT,
          bootstrapSql,
          setupScript,
          tls: {
            serverCert,
            serverKey: secret ? serverKey : SECRET,
            caBundle: `${caCert}${peerCa}`,
            peerCa: peerCa || "# the peer's CA arrives once its stack has outputs\n",
            clientCert,
            clientKey: secret ? clientKey : SECRET,
          },
          secrets: {
            replication: secret ? (cred?.replicationPassword ?? "") : SECRET,
            controller: role === "primary" ? (secret ? cred?.controllerPassword : SECRET) : undefined,
            app: role === "primary" ? (secret ? appPw : SECRET) : undefined,
          },
          backup: {
            script: backupScript,
            service: units.service,
            timer: units.timer,
            s3cfg: s3k
              ? secret
                ? s3cfgText(s3k)
                : s3cfgText({ access: SECRET, secret: SECRET })
              : undefined,
            enabled: backupEnabled,
          },
        });
      return { userData: render(true), artifact: render(false) };
    });
  registerArtifact(`cloud-init/${host}.yaml`, rendered.artifact);
  registerArtifact(`state/${host}/postgresql.conf`, postgresqlConf);
  registerArtifact(`state/${host}/pg_hba.conf`, pgHba);
  registerArtifact(`state/${host}/jsp-db-setup.sh`, setupScript);
  registerArtifact(`state/${host}/jsp-db-backup.sh`, backupScript);
  registerArtifact(`state/${host}/jsp-db-backup.timer`, units.timer);
  if (bootstrapSql) registerArtifact(`state/${host}/bootstrap.sql`, bootstrapSql);

  const instance = new openstack.compute.Instance(
    `${name}-db`,
    {
      name: host,
      imageName: args.image,
      flavorName: args.flavor,
      keyPair: args.keypairName,
      networks: [{ port: portRes.id }],
      userData: pulumi.secret(rendered.userData),
      metadata: { "jetstream-paas/role": `db-${role}`, "jetstream-paas/site": args.site },
    },
    opts,
  );
  new openstack.compute.VolumeAttach(
    `${name}-db-volume-attach`,
    { instanceId: instance.id, volumeId: volume.id },
    opts,
  );
  new openstack.networking.FloatingIpAssociate(
    `${name}-db-fip-assoc`,
    { floatingIp: fip.address, portId: portRes.id },
    { parent, dependsOn: [instance] },
  );
  return {
    publicAddress: fip.address,
    privateAddress,
    caCert: tlsOut.caCert,
    securityGroupId: sg.id,
    instanceId: instance.id,
    volumeId: volume.id,
    backupBucket: bucket,
    backupEnabled,
  };
}
