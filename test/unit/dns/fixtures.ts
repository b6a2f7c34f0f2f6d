// Inputs of the DNS checker's renderers that tests start from.
import { DNS_CHECKER_DEFAULTS } from "../../../components/config";
import type { CheckerFilesInput } from "../../../components/dns/render/checker-files";

export const ZONE = "myalloc.projects.jetstream-cloud.org.";

/** The evidence rules of the checker's config file (the schema's defaults, without the probe's). */
export const POLICY = {
  windowSeconds: DNS_CHECKER_DEFAULTS.windowSeconds,
  minSamples: DNS_CHECKER_DEFAULTS.minSamples,
  maxTransitions: DNS_CHECKER_DEFAULTS.maxTransitions,
  flapLookbackSeconds: DNS_CHECKER_DEFAULTS.flapLookbackSeconds,
};

export function checkerFilesInput(patch: Partial<CheckerFilesInput> = {}): CheckerFilesInput {
  return {
    zone: ZONE,
    names: [ZONE],
    from: { site: "iu", address: "198.51.100.15" },
    to: { site: "tacc", address: "198.51.100.141" },
    probe: { port: 80, path: "/.well-known/jsp-edge-ready", timeoutMs: DNS_CHECKER_DEFAULTS.probeTimeoutMs },
    intervalSeconds: DNS_CHECKER_DEFAULTS.intervalSeconds,
    policy: POLICY,
    action: {
      kind: "designate",
      authUrl: "https://js2.jetstream-cloud.org:5000/v3/",
      region: "IU",
      credential: { id: "id1", secret: "s3cr3t-value-x" },
    },
    bundle: "console.log('checker')\n",
    ...patch,
  };
}
