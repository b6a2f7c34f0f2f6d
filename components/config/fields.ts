// Reusable schema fields. Each refusal message states the rule, because the loader prints
// it after the key and the value: `jetstream-paas:network.cidr = "10.0.0.1/24": <rule>`.
import { z } from "zod";
import { cidrsOverlap, isWorldOpen, parseCidr, parseIp } from "../../src/cidr";
import { isDnsLabel } from "../../src/naming";
import { JETSTREAM2_FLAVORS, flavorNames } from "./flavors";

export const SITES = ["iu", "tacc"] as const;
export type SiteName = (typeof SITES)[number];

/** Jetstream2 region name for a site (`openstack:region`). */
export function regionOf(site: SiteName): string {
  return site.toUpperCase();
}

export const site = z.enum(SITES, { error: `must be one of the Jetstream2 sites: ${SITES.join(", ")}` });

export const cidr = z.string({ error: "must be a string" }).refine((s) => parseCidr(s) !== undefined, {
  error: "must be an IPv4 CIDR a.b.c.d/n with the host bits zero",
});

export const ipv4 = z
  .string({ error: "must be a string" })
  .refine((s) => parseIp(s) !== undefined, { error: "must be an IPv4 address a.b.c.d" });

/** A source CIDR for an ingress rule reserved to people: never the whole internet. */
export const adminCidr = cidr.refine((s) => !isWorldOpen(s), {
  error: "must not open to the world (a prefix shorter than /8 such as 0.0.0.0/0 is refused)",
});

export const dnsLabel = z
  .string({ error: "must be a string" })
  .refine(isDnsLabel, { error: "must be a lowercase RFC 1123 label (a-z, 0-9 and '-', at most 63)" });

export const flavor = z.string({ error: "must be a string" }).refine((s) => s in JETSTREAM2_FLAVORS, {
  error: `must be a Jetstream2 flavor (${flavorNames().join(", ")})`,
});

export const imageName = z.string({ error: "must be a string" }).min(1, { error: "must not be empty" });

export const sshPublicKey = z
  .string({ error: "must be a string" })
  .regex(
    /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com) [A-Za-z0-9+/=]+( .*)?$/,
    {
      error: "must be an OpenSSH public key line (ssh-ed25519 AAAA… comment); never a private key",
    },
  );

export const port = z
  .number({ error: "must be a number" })
  .int({ error: "must be an integer" })
  .min(1, { error: "must be 1-65535" })
  .max(65535, { error: "must be 1-65535" });

/** A Pulumi stack name as StackReference takes it: `org/project/stack`. */
export const stackName = z
  .string({ error: "must be a string" })
  .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, {
    error: "must be a fully qualified stack name organization/project/stack",
  });

/** Refuses a list of CIDRs in which two overlap, naming the pair. */
export function noOverlap(ctx: z.RefinementCtx, entries: ReadonlyArray<readonly [string, string]>): void {
  for (let i = 0; i < entries.length; i++) {
    for (let j = i + 1; j < entries.length; j++) {
      const a = parseCidr(entries[i][1]);
      const b = parseCidr(entries[j][1]);
      if (a && b && cidrsOverlap(a, b)) {
        ctx.addIssue({
          code: "custom",
          path: entries[j][0].split(".").map((seg) => (/^\d+$/.test(seg) ? Number(seg) : seg)),
          input: entries[j][1],
          message: `overlaps ${entries[i][0]} (${entries[i][1]}); subnets must be disjoint`,
        });
      }
    }
  }
}
