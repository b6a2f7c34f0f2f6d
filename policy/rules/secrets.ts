// Credentials stay secret: kubeconfigs, the commands that fetch them, keys in remote commands,
// and stack outputs named like a credential.
import { Finding, isObject, ResourceView, SECRET, StackRule, StackView } from "../view";

const K8S_PROVIDER = "pulumi:providers:kubernetes";
const COMMAND_TYPES = new Set(["command:remote:Command", "command:local:Command", "command:remote:CopyFile"]);
/** Output names that hold a credential (the stack's own outputs). */
export const CREDENTIAL_NAME = /kubeconfig|password|passphrase|secret|credential|private_?key|token/i;

function kubeconfigFindings(stack: StackView, provider: ResourceView): Finding[] {
  const found: Finding[] = [];
  const kubeconfig = provider.inputs.kubeconfig;
  if (provider.secretsVisible && typeof kubeconfig === "string" && kubeconfig !== SECRET) {
    found.push({ resource: provider, message: "the provider's kubeconfig is not a secret" });
  }
  // The commands it is built from must keep their stdout secret, or the kubeconfig is in
  // the state (and in `pulumi up` output) in clear before any pulumi.secret() wraps it.
  for (const cmd of stack.dependencies(provider, "kubeconfig").filter((d) => COMMAND_TYPES.has(d.type))) {
    if (!cmd.secretOutputs.includes("stdout")) {
      found.push({
        resource: cmd,
        message: `its stdout becomes the kubeconfig of ${provider.name} but is not in additionalSecretOutputs`,
      });
    }
  }
  return found;
}

function commandKeyFindings(cmd: ResourceView): Finding[] {
  const connection = cmd.inputs.connection;
  if (!isObject(connection)) return [];
  const found: Finding[] = [];
  for (const key of ["privateKey", "password"]) {
    const value = connection[key];
    if (value === undefined) continue;
    const secretInput = !cmd.secretsVisible || value === SECRET;
    if (!cmd.secretOutputs.includes("connection") || !secretInput) {
      found.push({
        resource: cmd,
        message: `connection.${key} is not kept secret (additionalSecretOutputs: connection)`,
      });
    }
  }
  return found;
}

export const secretCredentials: StackRule = {
  kind: "stack",
  name: "secret-credentials",
  description: "Kubeconfigs, passwords and keys are secrets: in state, in outputs and in logs",
  level: "mandatory",
  check(stack) {
    const found: Finding[] = [];
    for (const r of stack.resources) {
      if (r.type === K8S_PROVIDER) found.push(...kubeconfigFindings(stack, r));
      if (COMMAND_TYPES.has(r.type)) found.push(...commandKeyFindings(r));
    }
    const outputs = stack.outputs;
    for (const name of outputs?.names ?? []) {
      if (CREDENTIAL_NAME.test(name) && !outputs!.secret.includes(name)) {
        found.push({ message: `stack output ${name} holds a credential but is not a secret` });
      }
    }
    return found;
  },
};
