// The `openstack:*` keys are read by the OpenStack provider itself; we still check them so a
// region that contradicts the site, or a credential secret in plain text, stops the run.
import { z } from "zod";

export const openstackSchema = z.strictObject({
  authUrl: z.url({ error: "must be a URL such as https://js2.jetstream-cloud.org:5000/v3/" }).optional(),
  region: z.enum(["IU", "TACC"], { error: "must be IU or TACC" }).optional(),
  cloud: z.string().min(1).optional(),
  applicationCredentialId: z.string().min(1).optional(),
  applicationCredentialName: z.string().min(1).optional(),
  applicationCredentialSecret: z.string().min(1).optional(),
  endpointType: z.enum(["public", "internal", "admin"]).optional(),
  insecure: z.boolean().optional(),
});

export type OpenstackConfig = z.output<typeof openstackSchema>;

/** Provider keys that must be Pulumi secrets when they appear in a stack file. */
export const OPENSTACK_SECRET_KEYS: readonly string[] = ["applicationCredentialSecret"];
