import { createHash } from "node:crypto";
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";

/** One rendered file of the slot (inventory, group_vars, manifests). */
export interface SlotConfigFile {
  /** object name in the container, e.g. "kubespray/inventory.yaml" */
  path: string;
  /** the text; a secret here fails the update: the container holds no secrets */
  content: pulumi.Input<string>;
}

/** Arguments of {@link SlotConfigContainer}. */
export interface SlotConfigContainerArgs {
  site: string;
  /** paasA or paasB */
  slot: string;
  /** OpenStack region of the slot (its site's) */
  region?: pulumi.Input<string>;
  files: readonly SlotConfigFile[];
  /**
   * Destroy the container with the slot even if objects were added outside Pulumi (an audit
   * copy, a rebuild note): the container belongs to the slot, as seed 002's per-cluster bucket.
   * @default true
   */
  forceDestroy?: boolean;
}

/** Text that must never be stored in a world-of-admins container, whatever marked it. */
const PRIVATE_MATERIAL = /-----BEGIN [A-Z ]*PRIVATE KEY-----|client-key-data:\s*\S{20,}/;

function sanitize(path: string): string {
  return path.replace(/[^A-Za-z0-9-]/g, "-");
}

/**
 * Resolves a file's text, failing the update if it is a Pulumi secret or carries key material:
 * an unwrapped secret would sit in Swift in clear.
 */
function nonSecret(f: SlotConfigFile): pulumi.Output<string> {
  const out = pulumi.output(f.content);
  return pulumi
    .all([pulumi.output(pulumi.isSecret(out)), pulumi.unsecret(out)])
    .apply(([secret, text]) => checkStorable(f.path, text, secret));
}

/** The text when it may be stored; throws naming the file when it is secret or holds a key. @internal */
export function checkStorable(path: string, text: string, secret: boolean): string {
  if (secret)
    throw new Error(
      `slot config container: ${path} is a secret; the container holds non-secret configuration only`,
    );
  if (PRIVATE_MATERIAL.test(text))
    throw new Error(`slot config container: ${path} carries private key material; refusing to store it`);
  return text;
}

/**
 * The slot's own object-storage container (seed 002: "each Cluster has their own S3 bucket
 * where their config files are stored"): every rendered, non-secret configuration file of the
 * slot, for audit and rebuild, plus `index.json` with each file's sha256. Created and destroyed
 * with the slot's stack.
 */
export class SlotConfigContainer extends pulumi.ComponentResource {
  /** the container's name, `jsp-<site>-<slot>-config` */
  public readonly containerName: pulumi.Output<string>;
  /** object names stored, sorted */
  public readonly objectNames: string[];

  constructor(name: string, args: SlotConfigContainerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jetstream:cluster:SlotConfigContainer", name, {}, opts);
    const parent = { parent: this };
    const containerName = `jsp-${args.site}-${args.slot.toLowerCase()}-config`;
    const container = new openstack.objectstorage.Container(
      `${name}-container`,
      {
        name: containerName,
        region: args.region,
        forceDestroy: args.forceDestroy ?? true,
        metadata: { "jetstream-paas-site": args.site, "jetstream-paas-slot": args.slot },
      },
      parent,
    );
    const files = [...args.files].sort((a, b) => a.path.localeCompare(b.path));
    if (new Set(files.map((f) => f.path)).size !== files.length) {
      throw new pulumi.ResourceError("SlotConfigContainer: files: every path must be unique", this);
    }
    const texts = files.map(nonSecret);
    files.forEach((f, i) => {
      new openstack.objectstorage.ContainerObject(
        `${name}-obj-${sanitize(f.path)}`,
        {
          containerName: container.name,
          name: f.path,
          region: args.region,
          content: texts[i],
          contentType: f.path.endsWith(".json")
            ? "application/json"
            : f.path.endsWith(".sh")
              ? "text/x-shellscript"
              : "application/yaml",
        },
        parent,
      );
    });
    const index = pulumi.all(texts).apply(
      (ts) =>
        `${JSON.stringify(
          files.map((f, i) => ({
            path: f.path,
            bytes: Buffer.byteLength(ts[i]),
            sha256: createHash("sha256").update(ts[i]).digest("hex"),
          })),
          null,
          2,
        )}\n`,
    );
    new openstack.objectstorage.ContainerObject(
      `${name}-obj-index`,
      {
        containerName: container.name,
        name: "index.json",
        region: args.region,
        content: index,
        contentType: "application/json",
      },
      parent,
    );
    this.containerName = container.name;
    this.objectNames = [...files.map((f) => f.path), "index.json"].sort();
    this.registerOutputs({ containerName: this.containerName, objectNames: this.objectNames });
  }
}
