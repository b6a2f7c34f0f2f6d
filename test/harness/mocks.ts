// The one mock engine: used by `npm run synth` and by every component test. It installs
// Pulumi's runtime.setMocks, feeds the stack config to the runtime, answers with canned
// OpenStack/Kubernetes state (mock-state.ts) and records every registered resource with its
// parent and its inputs, secrets replaced by "[secret]".
import * as pulumi from "@pulumi/pulumi";
import * as settings from "@pulumi/pulumi/runtime/settings";
import { clearArtifacts } from "../../src/artifacts";
import { invokeResult, mockUuid, MockCloud, newMockCloud, Props, STATE_HANDLERS } from "./mock-state";

export const SECRET_PLACEHOLDER = "[secret]";
/** Outputs the real providers mark secret: recorded so that writers can prove none leaks. */
const SECRET_OUTPUTS: Record<string, readonly string[]> = {
  "random:index/randomPassword:RandomPassword": ["result"],
  "tls:index/privateKey:PrivateKey": ["privateKeyPem", "privateKeyOpenssh"],
  "openstack:identity/ec2CredentialV3:Ec2CredentialV3": ["secret"],
  "openstack:identity/applicationCredential:ApplicationCredential": ["secret"],
};
// Pulumi's wire marker for a secret value (runtime/rpc.ts specialSigKey/specialSecretSig).
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export interface PlannedResource {
  readonly urn: string;
  /** the id the mock gave a custom resource (none for components) */
  readonly id?: string;
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  readonly parentUrn?: string;
  /** inputs with every secret value replaced by "[secret]" */
  readonly inputs: Props;
  /** URNs this resource waits for (dependsOn and input dependencies) */
  readonly dependencies: readonly string[];
  readonly provider?: string;
  readonly additionalSecretOutputs: readonly string[];
  readonly ignoreChanges: readonly string[];
  readonly replaceOnChanges: readonly string[];
}

export interface MockOptions {
  project: string;
  stack: string;
  /** full keys ("jetstream-paas:site") to string values, as the engine passes them */
  config?: Record<string, string>;
  secretKeys?: readonly string[];
  /** outputs of other stacks, for StackReference, keyed by fully qualified stack name */
  stackOutputs?: Record<string, { outputs: Props; secretOutputNames?: string[] }>;
  /** called for each resource once registered (synth prints progress from it) */
  onRegistered?: (r: PlannedResource) => void;
}

/** The part of a RegisterResourceRequest the recorder reads (generated protobuf class). */
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getObject(): Parameters<typeof pulumi.runtime.deserializeProperties>[0] | undefined;
  getDependenciesList(): string[];
  getProvider(): string;
  getAdditionalsecretoutputsList(): string[];
  getIgnorechangesList(): string[];
  getReplaceonchangesList(): string[];
}
type Callback = (err: Error | null, resp?: { getUrn(): string; getId(): string }) => void;
interface RegisteringMonitor {
  registerResource(req: RegisterRequest, cb: Callback): void;
}

export class MockEngine implements pulumi.runtime.Mocks {
  readonly resources: PlannedResource[] = [];
  /** plain text of every secret seen, so writers can prove none leaks into files */
  readonly secretValues = new Set<string>();
  readonly cloud: MockCloud;

  constructor(private readonly opts: MockOptions) {
    const region = opts.config?.["openstack:region"] ?? "IU";
    this.cloud = newMockCloud(region);
    for (const [name, o] of Object.entries(opts.stackOutputs ?? {})) {
      this.cloud.stackOutputs.set(name, { outputs: o.outputs, secretOutputNames: o.secretOutputNames ?? [] });
    }
    for (const k of opts.secretKeys ?? []) {
      const v = opts.config?.[k];
      if (v) this.secretValues.add(v);
    }
  }

  newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Props } {
    const handler = STATE_HANDLERS[args.type];
    const inputs = stripSecrets(args.inputs as Props) as Props;
    const result = handler ? handler(this.cloud, args.name, inputs) : { state: inputs };
    for (const key of SECRET_OUTPUTS[args.type] ?? []) {
      if (typeof result.state[key] === "string") this.secretValues.add(result.state[key] as string);
    }
    return { id: result.id ?? mockUuid(`${args.type}:${args.name}`), state: result.state };
  }

  call(args: pulumi.runtime.MockCallArgs): Props {
    return invokeResult(this.cloud, args.token, stripSecrets(args.inputs as Props) as Props);
  }

  /** Records a registration; called by the monitor wrapper with the raw request. */
  record(req: RegisterRequest, urn: string, id?: string): void {
    const obj = req.getObject();
    const inputs = (obj ? this.redact(pulumi.runtime.deserializeProperties(obj)) : {}) as Props;
    const r: PlannedResource = {
      urn,
      id: id || undefined,
      type: req.getType(),
      name: req.getName(),
      custom: req.getCustom(),
      parentUrn: req.getParent() || undefined,
      inputs,
      dependencies: req.getDependenciesList(),
      provider: req.getProvider() || undefined,
      additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
      ignoreChanges: req.getIgnorechangesList(),
      replaceOnChanges: req.getReplaceonchangesList(),
    };
    this.resources.push(r);
    this.opts.onRegistered?.(r);
  }

  private redact(v: unknown): unknown {
    if (Array.isArray(v)) return v.map((x) => this.redact(x));
    if (v && typeof v === "object") {
      const o = v as Props;
      if (o[SIG_KEY] === SECRET_SIG) {
        if (typeof o.value === "string") this.secretValues.add(o.value);
        else collectSecretLeaves(o.value, this.secretValues);
        return SECRET_PLACEHOLDER;
      }
      return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, this.redact(x)]));
    }
    return v;
  }

  /** Resources of one type, in registration order. */
  ofType(type: string): PlannedResource[] {
    return this.resources.filter((r) => r.type === type);
  }

  byName(name: string): PlannedResource {
    const found = this.resources.filter((r) => r.name === name);
    if (found.length !== 1) throw new Error(`expected one resource named ${name}, found ${found.length}`);
    return found[0];
  }

  /** Replaces every known secret value in text by "[secret]". */
  scrub(text: string): string {
    let out = text;
    for (const s of [...this.secretValues].sort((a, b) => b.length - a.length)) {
      if (s.length >= 6) out = out.split(s).join(SECRET_PLACEHOLDER);
    }
    return out;
  }
}

/**
 * A structured secret (a component's args, a credentials object) also holds plain words such
 * as package names; scrubbing those would garble every artifact. Its leaves count as secret
 * when they look like generated material: long tokens mixing letters and digits, or PEM blocks.
 * Scalar secrets, random passwords and secret config are recorded whole elsewhere.
 */
function collectSecretLeaves(v: unknown, into: Set<string>): void {
  if (typeof v === "string") {
    const token = v.length >= 16 && !/\s/.test(v) && /\d/.test(v) && /[A-Za-z]/.test(v);
    if (token || /-----BEGIN [A-Z ]+-----/.test(v)) into.add(v);
  } else if (Array.isArray(v)) v.forEach((x) => collectSecretLeaves(x, into));
  else if (v && typeof v === "object") Object.values(v).forEach((x) => collectSecretLeaves(x, into));
}

function stripSecrets(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripSecrets);
  if (v && typeof v === "object") {
    const o = v as Props;
    if (o[SIG_KEY] === SECRET_SIG) return stripSecrets(o.value);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, stripSecrets(x)]));
  }
  return v;
}

/**
 * Installs the mock engine and the stack config. Import the code under test *after* this
 * (dynamic import), as Pulumi's unit-testing guide says.
 */
export async function installMocks(opts: MockOptions): Promise<MockEngine> {
  const engine = new MockEngine(opts);
  clearArtifacts();
  pulumi.runtime.setAllConfig(opts.config ?? {}, [...(opts.secretKeys ?? [])]);
  await pulumi.runtime.setMocks(engine, opts.project, opts.stack, false);
  // The mock monitor does not pass the parent or the options to Mocks.newResource; wrap its
  // registerResource to record them from the request itself.
  const monitor = settings.getMonitor() as unknown as RegisteringMonitor;
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    original(req, (err, resp) => {
      if (!err && resp) engine.record(req, resp.getUrn(), resp.getId());
      cb(err, resp);
    });
  };
  return engine;
}

// `waitForRPCs` is @internal in @pulumi/pulumi; it is what `disconnect` waits on, without
// closing the monitor, so a test can settle and still inspect the engine.
const internalSettings = settings as unknown as { waitForRPCs?: () => Promise<void> };

/** Waits until every pending registration has reached the engine. */
export async function settle(): Promise<void> {
  if (!internalSettings.waitForRPCs) throw new Error("@pulumi/pulumi no longer exposes waitForRPCs");
  await internalSettings.waitForRPCs();
}
