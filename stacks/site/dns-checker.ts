// The DNS checker on a host at the third place (docs/dns-tls.md). The witness stack calls this
// with its host's name and passes the result to the witness host's extra cloud-init files:
//
//   const checker = dnsCheckerFor("witness-1", "organization/jetstream-paas/iu");
//   new WitnessHost(..., { extraFiles: checker.files, extraRuncmd: checker.runcmd, extraPackages: checker.packages });
//
// It reads what it needs from the records stack's `dnsChecker` output (names, zone, both
// sites' edge addresses, the evidence policy) and creates the checker's restricted Designate
// credential. The checker never runs at IU or TACC: it must see both from outside.
import * as pulumi from "@pulumi/pulumi";
import { DnsChecker, DnsCheckerArgs, DnsCheckerSource } from "../../components/dns";

export function dnsCheckerFor(
  host: string,
  recordsStack: string,
  opts: Pick<DnsCheckerArgs, "credential" | "command"> = {},
): DnsChecker {
  const ref = new pulumi.StackReference(`${host}-dns-records`, { name: recordsStack });
  const source = ref.getOutput("dnsChecker").apply((v) => {
    if (!v) throw new Error(`${recordsStack} exports no dnsChecker: bring it up (with a dns section) first`);
    return v as DnsCheckerSource;
  });
  return new DnsChecker(`${host}-dns-checker`, { host, source, ...opts });
}
