// jetstream-paas: Pulumi components for a two-site Kubernetes platform on Jetstream2.
export * from "./components/config";
export * from "./components/network";
export * from "./components/state";
export * from "./components/jenkins";
export * from "./components/apps";
export { registerArtifact, registeredArtifacts } from "./src/artifacts";
export type { Artifact } from "./src/artifacts";
export * from "./components/mesh";
export * from "./components/edge";
export * from "./components/cluster";
export * from "./components/dns";
export * from "./components/delivery";
export * from "./components/sso";
