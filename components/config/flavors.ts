// Jetstream2 instance flavors. Source: docs.jetstream-cloud.org/general/instance-flavors
// (checked 2026-11, see docs/configuration.md). A flavor outside this table is refused so a
// typo fails at preview time instead of as a Nova error halfway through `pulumi up`.

export interface Flavor {
  readonly vcpus: number;
  readonly ramMb: number;
  readonly diskGb: number;
  readonly gpu?: boolean;
}

const GB = 1024;

export const JETSTREAM2_FLAVORS: Readonly<Record<string, Flavor>> = {
  "m3.tiny": { vcpus: 1, ramMb: 3 * GB, diskGb: 20 },
  "m3.small": { vcpus: 2, ramMb: 6 * GB, diskGb: 20 },
  "m3.quad": { vcpus: 4, ramMb: 15 * GB, diskGb: 20 },
  "m3.medium": { vcpus: 8, ramMb: 30 * GB, diskGb: 60 },
  "m3.large": { vcpus: 16, ramMb: 60 * GB, diskGb: 60 },
  "m3.xl": { vcpus: 32, ramMb: 125 * GB, diskGb: 60 },
  "m3.2xl": { vcpus: 64, ramMb: 250 * GB, diskGb: 60 },
  "m3.3xl": { vcpus: 128, ramMb: 500 * GB, diskGb: 60 },
  "r3.large": { vcpus: 64, ramMb: 500 * GB, diskGb: 60 },
  "r3.xl": { vcpus: 128, ramMb: 1000 * GB, diskGb: 60 },
  "g3.small": { vcpus: 4, ramMb: 15 * GB, diskGb: 60, gpu: true },
  "g3.medium": { vcpus: 8, ramMb: 30 * GB, diskGb: 60, gpu: true },
  "g3.large": { vcpus: 16, ramMb: 60 * GB, diskGb: 60, gpu: true },
  "g3.xl": { vcpus: 32, ramMb: 120 * GB, diskGb: 60, gpu: true },
};

export function flavorNames(): string[] {
  return Object.keys(JETSTREAM2_FLAVORS).sort();
}
