// A mesh section for tests to start from: one app namespace, an app with a canary and a
// host, an internal app, an egress entry. Tests break one key at a time.
import { meshSchema, type MeshConfig } from "../../components/config/mesh";

export function exampleMesh(): Record<string, unknown> {
  return {
    namespaces: [{ name: "weather" }],
    apps: [
      {
        name: "frontend",
        namespace: "weather",
        port: 8080,
        metricsPort: 9090,
        hosts: ["weather.example.org"],
        canary: {},
      },
      { name: "forecast", namespace: "weather", port: 8080 },
    ],
    egress: [
      {
        name: "noaa",
        namespace: "weather",
        hosts: ["api.weather.gov"],
        ports: [{ number: 443, protocol: "TLS" }],
      },
    ],
  };
}

export function parsedMesh(patch: (m: Record<string, unknown>) => void = () => undefined): MeshConfig {
  const m = exampleMesh();
  patch(m);
  return meshSchema.parse(m);
}
