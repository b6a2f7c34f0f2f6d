import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { registerArtifact } from "../../src/artifacts";
import { bundleChecker } from "./_bundle";
import type { Policy } from "./checker/decide";
import {
  CheckerCloudPart,
  CheckerFilesInput,
  renderCheckerCloudConfig,
  renderCheckerCloudPart,
} from "./render/checker-files";

/**
 * What the checker needs to know about the public entry. The stack that plans the records
 * exports it as `dnsChecker` (stacks/site/dns.ts); the witness stack reads it.
 */
export interface DnsCheckerSource {
  zone: string;
  provider: "designate" | "external";
  /** absolute public names */
  publicNames: string[];
  /** the site the checker moves names away from, and the one it moves them to */
  from: string;
  to: string;
  /** site -> public edge address (its VIP's floating IP) */
  addresses: Record<string, string>;
  /** what is probed on each edge: its public HTTP port and readiness URI */
  probe: { port: number; path: string };
  policy: Policy & { intervalSeconds: number; probeTimeoutMs: number };
  /** Keystone and the region of the DNS endpoint */
  designate: { authUrl?: string; region: string };
}

export interface DnsCheckerArgs {
  /** host name of the machine the checker runs on (the witness VM, or a host of yours at a third place) */
  host: string;
  /** the public entry, usually `new pulumi.StackReference(<records stack>).getOutput("dnsChecker")` */
  source: pulumi.Input<DnsCheckerSource>;
  /**
   * Designate credential of the checker. Unset: the component creates an application credential
   * that may only read zones and record sets and replace records (Keystone access rules); creating
   * one needs an unrestricted credential for `pulumi up`. Give one here if yours is restricted.
   */
  credential?: pulumi.Input<{ id: string; secret: string }>;
  /**
   * For `provider: external`: the command that moves the names at the outside DNS provider (gets
   * DNS_NAMES, DNS_TO_SITE, DNS_TO_ADDRESS, DNS_FROM_ADDRESS). Required then.
   */
  command?: { argv: string[]; timeoutSeconds?: number };
}

/** Keystone access rules of the checker's credential: find the zone, read and replace record sets. */
export const CHECKER_ACCESS_RULES = [
  { service: "dns", method: "GET", path: "/v2/zones" },
  { service: "dns", method: "GET", path: "/v2/zones/*/recordsets" },
  { service: "dns", method: "PUT", path: "/v2/zones/*/recordsets/*" },
] as const;

/**
 * The DNS checker of the public entry, for a host at a third place: it probes both sites'
 * edges and moves the public names to the standby site when the primary's edge has been silent,
 * and the standby healthy, over a whole window (components/dns/checker). This component renders
 * what that host needs; it creates no VM. Pass `files`/`runcmd`/`packages` to the host's
 * component (the witness), or boot any VM with `userData`.
 */
export class DnsChecker extends pulumi.ComponentResource {
  /** cloud-init write_files entries (secret: they include the credential) */
  public readonly files: pulumi.Output<CheckerCloudPart["files"]>;
  public readonly runcmd: pulumi.Output<string[][]>;
  public readonly packages: pulumi.Output<string[]>;
  /** a whole cloud-config for a checker VM of its own (secret) */
  public readonly userData: pulumi.Output<string>;
  /** id of the application credential it created (undefined when one was given) */
  public readonly credentialId: pulumi.Output<string | undefined>;

  constructor(name: string, args: DnsCheckerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jetstream:dns:DnsChecker", name, { host: args.host, source: args.source }, opts);
    const r = createDnsChecker(name, args, this);
    this.files = r.files;
    this.runcmd = r.runcmd;
    this.packages = r.packages;
    this.userData = r.userData;
    this.credentialId = r.credentialId;
    this.registerOutputs({
      files: this.files,
      runcmd: this.runcmd,
      packages: this.packages,
      userData: this.userData,
      credentialId: this.credentialId,
    });
  }
}

function filesInput(s: DnsCheckerSource, action: CheckerFilesInput["action"]): CheckerFilesInput {
  const address = (site: string) => {
    const a = s.addresses[site];
    if (!a) throw new Error(`dnsChecker source has no address for ${site} (its stack is not up?)`);
    return a;
  };
  return {
    zone: s.zone,
    names: s.publicNames,
    from: { site: s.from, address: address(s.from) },
    to: { site: s.to, address: address(s.to) },
    probe: { ...s.probe, timeoutMs: s.policy.probeTimeoutMs },
    intervalSeconds: s.policy.intervalSeconds,
    policy: {
      windowSeconds: s.policy.windowSeconds,
      minSamples: s.policy.minSamples,
      maxTransitions: s.policy.maxTransitions,
      flapLookbackSeconds: s.policy.flapLookbackSeconds,
    },
    action,
    bundle: bundleChecker(),
  };
}

/** @internal */
function createDnsChecker(name: string, args: DnsCheckerArgs, parent: pulumi.Resource) {
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(args.host)) {
    throw new pulumi.ResourceError(`host ${args.host} must be a lowercase RFC 1123 label`, parent);
  }
  const source = pulumi.output(args.source);
  let credential: pulumi.Output<{ id: string; secret: string } | undefined>;
  let credentialId: pulumi.Output<string | undefined>;
  if (args.credential) {
    credential = pulumi.secret(pulumi.output(args.credential));
    credentialId = pulumi.output(undefined);
  } else if (args.command) {
    credential = pulumi.output(undefined);
    credentialId = pulumi.output(undefined);
  } else {
    const ac = new openstack.identity.ApplicationCredential(
      `${name}-credential`,
      {
        name: `jsp-dns-checker-${args.host}`,
        description: `jetstream-paas DNS checker on ${args.host}: reads the zone, replaces the public names' records`,
        accessRules: CHECKER_ACCESS_RULES.map((r) => ({ ...r })),
        unrestricted: false,
      },
      { parent },
    );
    credential = pulumi.secret(pulumi.all([ac.id, ac.secret]).apply(([id, secret]) => ({ id, secret })));
    credentialId = ac.id;
  }
  const part = (cred: { id: string; secret: string } | undefined, s: DnsCheckerSource): CheckerCloudPart => {
    if (s.provider === "external" || args.command) {
      if (!args.command) {
        throw new Error(
          "dns provider is external: give DnsCheckerArgs.command (the hook that moves the names there)",
        );
      }
      return renderCheckerCloudPart(
        filesInput(s, {
          kind: "command",
          argv: args.command.argv,
          timeoutSeconds: args.command.timeoutSeconds ?? 60,
        }),
      );
    }
    if (!s.designate.authUrl)
      throw new Error("dnsChecker source has no Keystone URL (openstack:authUrl of the records stack)");
    return renderCheckerCloudPart(
      filesInput(s, {
        kind: "designate",
        authUrl: s.designate.authUrl,
        region: s.designate.region,
        credential: cred!,
      }),
    );
  };
  const placeholder = source.apply((s) => part({ id: "[secret]", secret: "[secret]" }, s));
  registerArtifact(
    `dns-checker/${args.host}.yaml`,
    placeholder.apply((p) =>
      renderCheckerCloudConfig(args.host, {
        ...p,
        files: p.files.map((f) =>
          f.encoding
            ? { ...f, content: "# the bundled checker (components/dns/checker)\n", encoding: undefined }
            : f,
        ),
      }),
    ),
  );
  const real = pulumi.secret(pulumi.all([credential, source]).apply(([c, s]) => part(c, s)));
  return {
    files: real.apply((p) => p.files),
    runcmd: placeholder.apply((p) => p.runcmd),
    packages: placeholder.apply((p) => p.packages),
    userData: pulumi.secret(real.apply((p) => renderCheckerCloudConfig(args.host, p))),
    credentialId,
  };
}
