// Output → Promise, for tests and the synth tool (pulumi/examples testing-unit-ts/unwrap.ts).
import * as pulumi from "@pulumi/pulumi";

export function promiseOf<T>(o: pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) => pulumi.output(o).apply((v) => resolve(v as T)));
}

export async function isSecret(o: pulumi.Output<unknown>): Promise<boolean> {
  return pulumi.isSecret(o);
}
