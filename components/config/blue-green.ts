// The `blueGreen` section of the cluster project's config (components/apps, docs/delivery.md).
import { z } from "zod";
import { dnsLabel, port } from "./fields";

export const COLOURS = ["blue", "green"] as const;
export type Colour = (typeof COLOURS)[number];

/** An image pinned by digest: both sites must run the same bytes, and a tag can move. */
export const imageDigest = z
  .string({ error: "must be a string" })
  .regex(/^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*@sha256:[0-9a-f]{64}$/, {
    error: "must be pinned by digest: registry/repository@sha256:<64 hex> (tags move, digests do not)",
  });

const colourSpec = z.strictObject({ image: imageDigest });

export const blueGreenAppSchema = z.strictObject({
  /** Service name; the Deployments are <name>-blue and <name>-green */
  name: z.string({ error: "must be a string" }).regex(/^[a-z]([a-z0-9-]{0,48}[a-z0-9])?$/, {
    error: "must be a DNS-1035 label of at most 50 characters (starts with a letter; '-green' is appended)",
  }),
  namespace: dnsLabel.default("default"),
  /** the colour the Service (and VirtualService) send traffic to */
  active: z.enum(COLOURS, { error: "must be blue or green" }),
  blue: colourSpec,
  green: colourSpec,
  /** replicas of each colour: the idle colour stays warm so a rollback is instant */
  replicas: z
    .number({ error: "must be a number" })
    .int({ error: "must be an integer" })
    .min(1, { error: "must be 1-50" })
    .max(50, { error: "must be 1-50" })
    .default(2),
  containerPort: port.default(8080),
  servicePort: port.default(80),
  /** HTTP readiness probe path; a colour is switched to only when its pods pass it */
  readinessPath: z
    .string({ error: "must be a string" })
    .regex(/^\/[A-Za-z0-9._~/-]*$/, { error: "must be an absolute URL path" })
    .default("/healthz"),
  /** the namespace has Istio sidecar injection: also route with a VirtualService */
  meshed: z.boolean({ error: "must be true or false" }).default(false),
});

export const blueGreenSchema = z.array(blueGreenAppSchema).superRefine((apps, ctx) => {
  const seen = new Set<string>();
  apps.forEach((a, i) => {
    if (seen.has(a.name)) {
      ctx.addIssue({
        code: "custom",
        path: [i, "name"],
        input: a.name,
        message: "is declared twice; app names are unique per cluster (they name resources and out/ files)",
      });
    }
    seen.add(a.name);
  });
});

export type BlueGreenAppConfig = z.output<typeof blueGreenAppSchema>;
