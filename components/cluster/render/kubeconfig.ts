// Rewrites the server of every cluster in a kubeconfig. Kubespray writes the VIP on the site
// subnet; clients outside the site (the operator's Pulumi) need the VIP's floating IP, which
// the API certificate also carries (supplementary_addresses_in_ssl_keys). Pure.
import { parse } from "yaml";
import { toYaml } from "../../../src/yaml";

interface Kubeconfig {
  clusters?: Array<{ name?: string; cluster?: { server?: string } }>;
}

export function rewriteKubeconfigServer(text: string, server: string): string {
  if (!/^https:\/\/[a-z0-9.-]+:\d+$/.test(server)) {
    throw new Error(`server "${server}" must be https://<host>:<port>`);
  }
  let doc: Kubeconfig;
  try {
    doc = parse(text) as Kubeconfig;
  } catch {
    // Never echo the text: it is a credential.
    throw new Error("kubeconfig is not YAML");
  }
  if (!doc || !Array.isArray(doc.clusters) || doc.clusters.length === 0) {
    throw new Error("kubeconfig has no clusters");
  }
  for (const c of doc.clusters) {
    if (!c.cluster) throw new Error(`kubeconfig cluster ${c.name ?? "?"} has no cluster entry`);
    c.cluster.server = server;
  }
  return toYaml(doc, { sortKeys: false });
}
