// The controller's plugins, each pinned, with where the pin comes from. plugins.txt is the
// input of the plugin installation manager tool (jenkins-plugin-manager); it resolves the
// dependencies of these plugins (with `--latest false`: the minimum versions they declare).

export interface PluginPin {
  name: string;
  version: string;
  /** why we need it */
  purpose: string;
  /** where the version comes from; "UNCONFIRMED" when no first-party source was checked */
  source: string;
  confirmed: boolean;
}

const SEEN =
  "seen pinned together in public plugins.txt files of 2026 (third-party); compatibility with 2.568.2 UNCONFIRMED";

export const PLUGIN_PINS: readonly PluginPin[] = [
  {
    name: "configuration-as-code",
    version: "2117.vc05a_0b_e6b_f4e",
    purpose: "JCasC: the whole controller configuration from jenkins.yaml",
    source: "facts.md section 4 (jenkinsci/configuration-as-code-plugin, 2026-08-10, Jenkins >= 2.541.1)",
    confirmed: true,
  },
  {
    name: "credentials",
    version: "1511.v2e3cb_0008ef0",
    purpose: "credential store",
    source: SEEN,
    confirmed: false,
  },
  {
    name: "credentials-binding",
    version: "728.v902a_273b_8947",
    purpose: "withCredentials([file(...)]) for the kubeconfigs",
    source: SEEN,
    confirmed: false,
  },
  {
    name: "git",
    version: "5.10.1",
    purpose: "checkout of the app repositories",
    source: SEEN,
    confirmed: false,
  },
  {
    name: "job-dsl",
    version: "3654.vdf58f53e2d15",
    purpose: "the seed jobs JCasC creates (jobs: - file:)",
    source: SEEN,
    confirmed: false,
  },
  {
    name: "matrix-auth",
    version: "3.2.8",
    purpose: "group -> permission matrix for the OIDC groups (globalMatrix)",
    source: "jenkinsci/matrix-auth-plugin tag matrix-auth-3.2.8 (2025-08-21, newest tag read 2026-12)",
    confirmed: true,
  },
  {
    name: "oic-auth",
    version: "4.715.vf202e4229f61",
    purpose: "OpenID Connect login (securityRealm oic, escape hatch = break-glass admin)",
    source:
      "jenkinsci/oic-auth-plugin tag 4.715.vf202e4229f61 (2026-07-17, newest tag read 2026-12; pom jenkins.version 2.539 <= 2.568.2)",
    confirmed: true,
  },
  {
    name: "ssh-credentials",
    version: "372.va_250881b_08cd",
    purpose: "the agents' SSH key credential",
    source: SEEN,
    confirmed: false,
  },
  {
    name: "ssh-slaves",
    version: "3.1097.v868116049892",
    purpose: "SSH build agents (the controller runs no builds)",
    source: SEEN,
    confirmed: false,
  },
  {
    name: "timestamper",
    version: "1.30",
    purpose: "timestamps() in the pipeline log",
    source: SEEN,
    confirmed: false,
  },
  {
    name: "workflow-aggregator",
    version: "608.v67378e9d3db_1",
    purpose: "declarative Pipeline",
    source: SEEN,
    confirmed: false,
  },
];

/** plugins.txt: `name:version` per line, sorted, with the provenance as comments. */
export function renderPluginsTxt(pins: readonly PluginPin[] = PLUGIN_PINS): string {
  const lines = ["# Rendered by jetstream-paas (components/jenkins/render/plugins.ts). Every plugin pinned."];
  for (const p of [...pins].sort((a, b) => a.name.localeCompare(b.name))) {
    if (!/^[a-z0-9-]+$/.test(p.name)) throw new Error(`plugin name "${p.name}" is not a plugin id`);
    if (!/^[0-9][A-Za-z0-9._-]*$/.test(p.version) || p.version === "latest") {
      throw new Error(`plugin ${p.name} version "${p.version}" must be an exact version`);
    }
    lines.push(`# ${p.purpose}; ${p.confirmed ? "" : "UNCONFIRMED: "}${p.source}`);
    lines.push(`${p.name}:${p.version}`);
  }
  return `${lines.join("\n")}\n`;
}
