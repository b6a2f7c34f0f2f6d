// Cross-site PostgreSQL in the site program: the primary at `state.primarySite`, the streaming
// replica at the other site, each learning the other's public address and CA from the peer
// site stack (StackReference). A peer without outputs yet is a warning, never a crash.
import * as pulumi from "@pulumi/pulumi";
import { JETSTREAM2_FLAVORS, SiteConfig, SITES } from "../../components/config";
import type { SiteNetwork } from "../../components/network";
import {
  CONTROLLER_PATHS,
  ControllerCloudPart,
  controllerCloudFiles,
  DatabaseCredentials,
  PeerDatabase,
  PostgresDatabaseArgs,
  PostgresPrimary,
  PostgresReplica,
  renderControllerCloudPart,
} from "../../components/state";
import { registerArtifact } from "../../src/artifacts";
import { toYaml } from "../../src/yaml";

export interface StateOutputs {
  /** published for the peer site's stack (not secret: addresses and a CA certificate) */
  stateDb: pulumi.Output<PeerDatabase>;
  /** secret; only the primary's stack publishes it */
  stateCredentials?: pulumi.Output<DatabaseCredentials>;
  /** secret; what the edge hosts of the standby site add to their cloud-init (undefined at the primary site) */
  controller?: pulumi.Output<ControllerCloudPart | undefined>;
}

async function peerOutput<T>(ref: pulumi.StackReference, key: string): Promise<T | undefined> {
  const d = await ref.getOutputDetails(key);
  return (d.value ?? d.secretValue) as T | undefined;
}

const REDACTED = "[secret]";

function isCredentials(v: unknown): v is DatabaseCredentials {
  const o = v as Partial<DatabaseCredentials> | undefined;
  return (
    !!o &&
    typeof o === "object" &&
    typeof o.replicationPassword === "string" &&
    typeof o.controllerPassword === "string"
  );
}

function isPeerDatabase(v: unknown): v is PeerDatabase {
  const o = v as Partial<PeerDatabase> | undefined;
  return (
    !!o && typeof o.publicAddress === "string" && typeof o.caCert === "string" && typeof o.site === "string"
  );
}

export async function deployState(config: SiteConfig, shell: SiteNetwork): Promise<StateOutputs | undefined> {
  const st = config.state;
  if (!st) return undefined;
  const peerSite = SITES.find((s) => s !== config.site)!;
  const role = st.primarySite === config.site ? "primary" : "replica";
  const peerStack = st.peerStack ?? `organization/${pulumi.getProject()}/${peerSite}`;
  const ref = new pulumi.StackReference(`${config.site}-state-peer`, { name: peerStack });
  const rawPeer = await peerOutput<unknown>(ref, "stateDb");
  const peer = isPeerDatabase(rawPeer) ? rawPeer : undefined;
  const flavor = JETSTREAM2_FLAVORS[st.flavor];
  const args: PostgresDatabaseArgs = {
    site: config.site,
    peerSite,
    network: {
      networkId: shell.networkId,
      subnetId: shell.subnetId,
      subnetCidr: config.network.cidr,
      externalNetwork: shell.externalNetwork,
    },
    keypairName: shell.keypairName,
    bastionSecurityGroupId: shell.securityGroupIds.apply((g) => g.bastion),
    image: st.image ?? config.image,
    flavor: st.flavor,
    flavorRamMb: flavor.ramMb,
    volumeSizeGb: st.volumeSizeGb,
    port: st.port,
    synchronousCommit: st.synchronousCommit,
    app: { database: st.database, user: st.appUser, cidrs: st.appCidrs },
    peer,
    backup: {
      onCalendar: st.backup.onCalendar,
      retentionDays: st.backup.retentionDays,
      endpoint: st.backup.endpoints[peerSite],
    },
  };

  if (role === "primary") {
    const db = new PostgresPrimary(`${config.site}-state`, args);
    return {
      stateDb: publish(config.site, "primary", db.publicAddress, db.privateAddress, st.port, db.caCert),
      stateCredentials: db.credentials,
    };
  }

  const peerCreds = await peerOutput<unknown>(ref, "stateCredentials");
  const credentials: DatabaseCredentials | undefined = isCredentials(peerCreds)
    ? peerCreds
    : // offline synth writes a peer's secret outputs as the string "[secret]": render with it
      peerCreds === REDACTED
      ? { replicationPassword: REDACTED, controllerPassword: REDACTED }
      : undefined;
  const db = new PostgresReplica(`${config.site}-state`, { ...args, credentials });
  const stateDb = publish(config.site, "replica", db.publicAddress, db.privateAddress, st.port, db.caCert);

  // The controller runs on this (standby) site's edge hosts: it watches the primary site and
  // promotes this replica. Rendered here; the edge component ships it (extraFiles/extraRuncmd).
  const ctl = st.controller;
  const shipInput = pulumi.all([db.privateAddress, db.caCert]).apply(([replicaAddress, replicaCa]) =>
    peer && credentials
      ? {
          localSite: config.site,
          primary: { site: peer.site, host: peer.publicAddress, port: peer.port, caCert: peer.caCert },
          replica: { site: config.site, host: replicaAddress, port: st.port, caCert: replicaCa },
          controllerPassword: credentials.controllerPassword,
          haproxy: {
            socket: ctl.haproxySocket,
            backends: ctl.haproxyBackends,
            primaryServerPattern: ctl.primaryServerPattern ?? `^${peer.site}-`,
          },
          policy: {
            windowSeconds: ctl.windowSeconds,
            minSamples: ctl.minSamples,
            maxTransitions: 4,
            flapLookbackSeconds: Math.max(300, ctl.windowSeconds * 10),
          },
          intervalSeconds: ctl.intervalSeconds,
          probePrimary: false,
          // only the edge host holding the keepalived VIP acts; the other watches
          leaderVip: config.edge?.vip,
          appService: { namespace: "state", name: "postgres" },
        }
      : undefined,
  );
  if (!peer || !credentials) {
    pulumi.log.warn(
      `${config.site}: failover controller not rendered: the primary's stack (${peerStack}) has no stateDb/stateCredentials yet`,
    );
  }
  const controller = pulumi.secret(shipInput.apply((i) => (i ? controllerCloudFiles(i) : undefined)));
  // The artifact copy: same files with the password replaced and the bundle summarised.
  registerArtifact(
    "failover/controller-cloud-init.yaml",
    shipInput.apply((i) => {
      if (!i) return "# failover controller not rendered: the primary site's stack has no outputs yet\n";
      const part = renderControllerCloudPart({
        ...i,
        controllerPassword: "[secret]",
        bundle: "/* bundled controller: see components/state/controller */",
      });
      return toYaml(
        { packages: part.packages, runcmd: part.runcmd, write_files: part.files },
        { header: `# edge hosts of ${config.site}: ${CONTROLLER_PATHS.unit}` },
      );
    }),
  );
  return { stateDb, controller };
}

function publish(
  site: string,
  role: "primary" | "replica",
  publicAddress: pulumi.Output<string>,
  privateAddress: pulumi.Output<string>,
  port: number,
  caCert: pulumi.Output<string>,
): pulumi.Output<PeerDatabase> {
  return pulumi.all([publicAddress, privateAddress, caCert]).apply(([pub, priv, ca]) => ({
    site,
    role,
    publicAddress: pub,
    privateAddress: priv,
    port,
    caCert: ca,
  }));
}
