// TLS wiring of the site program (docs/dns-tls.md): the names this edge's certificate covers
// (the public names and this site's own name) and the ACME account both sites' edges share.
// The stack with `tls.acme.account: create` generates the account key (a @pulumi/tls secret)
// and exports it as `acmeAccountKey`; the other reads it from `edge.peerStack`. The key
// stays a secret end to end; certificate keys are generated on the edge hosts.
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import type { SiteConfig } from "../../components/config";
import type { EdgeTlsArgs } from "../../components/edge";
import { publicNames, siteFqdn, withoutDot } from "../../src/dns-names";

export interface TlsWiring {
  /** what the EdgeProxy gets */
  edge: EdgeTlsArgs;
  /** secret; only the stack that creates the account exports it */
  acmeAccountKey?: pulumi.Output<string>;
}

const present = (v: unknown): v is string => typeof v === "string" && v.length > 0;

export function edgeTls(config: SiteConfig): TlsWiring | undefined {
  const t = config.tls;
  const dns = config.dns;
  if (!t || !dns || !config.edge) return undefined; // the schema refuses tls without edge and dns
  const names = [...publicNames(dns.zone, dns.baseName, dns.appNames), siteFqdn(dns.zone, config.site)].map(
    withoutDot,
  );
  const peerStack = config.edge.peerStack;
  const peer = peerStack
    ? new pulumi.StackReference(`${config.site}-tls-peer`, { name: peerStack })
    : undefined;
  let accountKey: pulumi.Output<string | undefined>;
  let exported: pulumi.Output<string> | undefined;
  if (t.acme.account === "create") {
    // ECDSA P-256: what lego and the edge's thumbprint step read (an "EC PRIVATE KEY" PEM)
    const key = new tls.PrivateKey(`${config.site}-acme-account`, { algorithm: "ECDSA", ecdsaCurve: "P256" });
    exported = pulumi.secret(key.privateKeyPem);
    accountKey = exported;
    peer?.getOutput("acmeAccountKey").apply((v) => {
      if (present(v)) {
        pulumi.log.warn(
          `tls: ${peerStack} also creates an ACME account; set tls.acme.account: peer on one of the two site stacks, or each site's challenges fail while DNS points at the other`,
        );
      }
    });
  } else {
    // The peer exports it as a secret; it stays one through the reference.
    accountKey = peer!.getOutput("acmeAccountKey").apply((v) => (present(v) ? v : undefined));
  }
  return {
    edge: {
      names,
      acme: {
        directoryUrl: t.acme.directoryUrl,
        email: t.acme.email,
        keyType: t.acme.keyType,
        renewDaysBefore: t.acme.renewDaysBefore,
        accountKey,
      },
      hsts: t.hsts.enabled
        ? {
            maxAgeSeconds: t.hsts.maxAgeSeconds,
            includeSubDomains: t.hsts.includeSubDomains,
            preload: t.hsts.preload,
          }
        : undefined,
      // both sites' certificates carry the base name: the peer hop verifies it
      peerVerifyName: names[0],
    },
    acmeAccountKey: exported,
  };
}
