// The release pipeline (declarative Jenkinsfile) and the Job DSL seed that creates one job per
// app. Seed 000's goal, "the sites never drift": the image is built once, its digest recorded,
// and that one digest deployed site after site in a fixed order; the first failing site stops
// the run, so no later site gets a release an earlier one refused, and the summary says which
// site runs what.
//
// No `${` appears in either text: JCasC resolves `${...}` itself, and Groovy string
// interpolation of credentials is what Jenkins warns against. Shell steps use `$VAR` inside
// single-quoted Groovy strings, so the shell, not Groovy, expands them.
//
// Images are built by rootless buildah on the agents (no Docker daemon, no privileged socket
// anywhere); `buildah push --digestfile` records the digest the registry stored. After each
// site's deploy an optional load stage runs `jsp-loadtest` (components/delivery) against that
// site with the header that reaches the idle colour; over a threshold the run stops there.
import type { LoadProfile } from "../../config/load-test";
import { loadTestArgs, shQuote } from "../../delivery/render/loadtest";

export interface DeploySite {
  /** site name, e.g. "iu" */
  site: string;
  /** Jenkins file credential holding the site cluster's kubeconfig */
  credentialsId: string;
}

export interface PipelineLoadTest extends LoadProfile {
  /** per site, http(s)://host[:port] that reaches the app at that site */
  urls: Partial<Record<string, string>>;
}

export interface PipelineInput {
  app: string;
  gitUrl: string;
  branch: string;
  gitCredentialsId?: string;
  /** registry/repository without tag */
  imageRepository: string;
  namespace: string;
  agentLabel: string;
  /** deploy order: the first site is deployed first */
  sites: readonly DeploySite[];
  /** load stage after the deploy of every site that has a URL */
  loadTest?: PipelineLoadTest;
  /** Jenkins file credential with a containers-auth.json for the push */
  registryCredentialsId?: string;
}

/** Jenkins credentials id of a site's deploy kubeconfig (the deploy identity, never admin.conf). */
export function kubeconfigCredentialId(site: string): string {
  return `deploy-kubeconfig-${site}`;
}

/** Name of the env variable the pipeline sets when a site has the release. */
export function deployedVar(site: string): string {
  return `DEPLOYED_${site.toUpperCase()}`;
}

function q(value: string, key: string): string {
  // single-quoted Groovy string literal; refuse what would need escaping
  if (/['\\\n$]/.test(value))
    throw new Error(`${key} "${value}" must not contain quotes, backslashes, '$' or newlines`);
  return `'${value}'`;
}

function checkInput(p: PipelineInput): void {
  if (!/^[a-z][a-z0-9-]*$/.test(p.app)) throw new Error(`app "${p.app}" must be a DNS label`);
  if (!/^[a-z0-9-]+$/.test(p.agentLabel)) throw new Error(`agentLabel "${p.agentLabel}" must be a label`);
  if (!/^[a-z0-9-]+$/.test(p.namespace)) throw new Error(`namespace "${p.namespace}" must be a DNS label`);
  if (p.sites.length === 0) throw new Error("sites must list at least one site");
  const seen = new Set<string>();
  for (const s of p.sites) {
    if (!/^[a-z]+$/.test(s.site)) throw new Error(`sites: "${s.site}" must be a lowercase site name`);
    if (seen.has(s.site)) throw new Error(`sites: "${s.site}" is listed twice`);
    seen.add(s.site);
  }
}

const DEPLOY_SCRIPT = [
  "set -eu",
  `active=$(kubectl --request-timeout=30s -n "$NAMESPACE" get service "$APP" -o go-template='{{index .metadata.annotations "jetstream-paas.io/active-colour"}}')`,
  'case "$active" in',
  "  blue) idle=green ;;",
  "  green) idle=blue ;;",
  `  *) echo "$SITE: cannot tell the live colour of service $APP (annotation jetstream-paas.io/active-colour is '$active')" >&2; exit 1 ;;`,
  "esac",
  'echo "$SITE: $APP is live on $active; deploying $IMAGE_DIGEST to $APP-$idle (no traffic moves)"',
  'kubectl --request-timeout=30s -n "$NAMESPACE" set image "deployment/$APP-$idle" "$APP=$IMAGE_DIGEST"',
  'kubectl -n "$NAMESPACE" rollout status "deployment/$APP-$idle" --timeout=600s',
  'echo "$idle" > "deployed-$SITE.txt"',
];

const BUILD_SCRIPT = [
  "set -eu",
  'tag="$IMAGE_REPOSITORY:$(git rev-parse --short=12 HEAD)-b$BUILD_NUMBER"',
  // rootless buildah: the build runs as the agent's user in its own user namespace
  'buildah build --pull --layers --tag "$tag" .',
  // the digest the registry stored for exactly these bytes: the only name that cannot move
  'buildah push --digestfile image.digest "$tag" "docker://$tag"',
  "digest=$(cat image.digest)",
  'ref="$IMAGE_REPOSITORY@$digest"',
  'echo "$ref" | grep -Eqx \'[^@]+@sha256:[0-9a-f]{64}\' || { echo "push did not report a digest" >&2; exit 1; }',
  'echo "$ref" > image-digest.txt',
];

function shBlock(lines: readonly string[], indent: string): string[] {
  return [`${indent}sh '''`, ...lines.map((l) => `${indent}  ${l}`), `${indent}'''`];
}

/** Name of the env variable holding a site's load-test verdict line. */
export function loadedVar(site: string): string {
  return `LOADTEST_${site.toUpperCase()}`;
}

/**
 * The load stage of one site: jsp-loadtest on the idle colour (header x-jsp-colour), its
 * verdict archived; a threshold over the limit fails the `sh` step and so the run.
 */
function loadStage(
  p: PipelineInput,
  l: PipelineLoadTest,
  site: string,
  url: string,
  label: string,
): string[] {
  const args = loadTestArgs(l, {
    url,
    name: `${p.app}@${site}`,
    header: "x-jsp-colour: $COLOUR",
    report: `loadtest-${site}.txt`,
  });
  // every argument is quoted for the shell except the header, whose $COLOUR the shell expands
  const words = args.map((a) => (a.includes("$COLOUR") ? `"${a}"` : shQuote(a)));
  return [
    `    stage('Load test ${site}') {`,
    `      agent { label ${label} }`,
    "      environment {",
    `        SITE = '${site}'`,
    "      }",
    "      steps {",
    "        script {",
    `          env.DEPLOYING = 'load test ${site}'`,
    "        }",
    ...shBlock(
      [
        "set -eu",
        `COLOUR="$${deployedVar(site)}"`,
        // no pipe: under sh -e a pipeline's status is its last command's, which would hide a FAIL
        "rc=0",
        `jsp-loadtest ${words.join(" ")} >loadtest-${site}.verdict || rc=$?`,
        `cat loadtest-${site}.verdict`,
        'exit "$rc"',
      ],
      "        ",
    ),
    `        archiveArtifacts artifacts: 'loadtest-${site}.*', fingerprint: false`,
    "        script {",
    `          env.${loadedVar(site)} = readFile('loadtest-${site}.verdict').trim()`,
    "        }",
    "      }",
    "    }",
  ];
}

/** The declarative Jenkinsfile of one app. */
export function renderDeployPipeline(p: PipelineInput): string {
  checkInput(p);
  const order = p.sites.map((s) => s.site);
  const label = q(p.agentLabel, "agentLabel");
  const out: string[] = [
    `// Rendered by jetstream-paas (components/jenkins/render/pipeline.ts) for app ${p.app}.`,
    `// Builds the image once, records its digest and deploys that digest to ${order.join(", then ")}`,
    "// (the idle colour of each site's BlueGreenService; live traffic does not move), waits for",
    "// each rollout and stops at the first site that fails: later sites are not deployed.",
    "pipeline {",
    "  agent none",
    "  options {",
    "    disableConcurrentBuilds()",
    "    timestamps()",
    "    timeout(time: 90, unit: 'MINUTES')",
    "    buildDiscarder(logRotator(numToKeepStr: '50'))",
    "  }",
    "  environment {",
    `    APP = ${q(p.app, "app")}`,
    `    NAMESPACE = ${q(p.namespace, "namespace")}`,
    `    IMAGE_REPOSITORY = ${q(p.imageRepository, "imageRepository")}`,
    `    DEPLOY_ORDER = ${q(order.join(" "), "sites")}`,
    "  }",
    "  stages {",
    "    stage('Preflight: every site reachable') {",
    `      agent { label ${label} }`,
    "      steps {",
  ];
  // Before anything is built or deployed: every site's credential exists and its cluster
  // answers, so a missing TACC kubeconfig stops the run before IU changes.
  for (const s of p.sites) {
    out.push(
      `        withCredentials([file(credentialsId: ${q(s.credentialsId, "credentialsId")}, variable: 'KUBECONFIG')]) {`,
      // TYPE/NAME form: `get deployment a b service c` would read "service" as a deployment name
      `          sh 'kubectl --request-timeout=20s -n "$NAMESPACE" get "deployment/$APP-blue" "deployment/$APP-green" "service/$APP" >/dev/null'`,
      "        }",
    );
  }
  out.push(
    "      }",
    "    }",
    "    stage('Build once') {",
    `      agent { label ${label} }`,
    "      steps {",
    p.gitCredentialsId
      ? `        git url: ${q(p.gitUrl, "gitUrl")}, branch: ${q(p.branch, "branch")}, credentialsId: ${q(p.gitCredentialsId, "gitCredentialsId")}`
      : `        git url: ${q(p.gitUrl, "gitUrl")}, branch: ${q(p.branch, "branch")}`,
    ...(p.registryCredentialsId
      ? [
          `        withCredentials([file(credentialsId: ${q(p.registryCredentialsId, "registryCredentialsId")}, variable: 'REGISTRY_AUTH_FILE')]) {`,
          ...shBlock(BUILD_SCRIPT, "          "),
          "        }",
        ]
      : shBlock(BUILD_SCRIPT, "        ")),
    "        script {",
    "          env.IMAGE_DIGEST = readFile('image-digest.txt').trim()",
    "          currentBuild.description = env.IMAGE_DIGEST",
    "        }",
    "        archiveArtifacts artifacts: 'image-digest.txt', fingerprint: true",
    "      }",
    "    }",
  );
  for (const s of p.sites) {
    out.push(
      `    stage('Deploy ${s.site}') {`,
      `      agent { label ${label} }`,
      "      environment {",
      `        SITE = '${s.site}'`,
      "      }",
      "      steps {",
      "        script {",
      `          env.DEPLOYING = '${s.site}'`,
      "        }",
      `        withCredentials([file(credentialsId: ${q(s.credentialsId, "credentialsId")}, variable: 'KUBECONFIG')]) {`,
      ...shBlock(DEPLOY_SCRIPT, "          "),
      "        }",
      "        script {",
      `          env.${deployedVar(s.site)} = readFile('deployed-${s.site}.txt').trim()`,
      "        }",
      "      }",
      "    }",
    );
    const url = p.loadTest?.urls[s.site];
    if (p.loadTest && url) out.push(...loadStage(p, p.loadTest, s.site, url, label));
  }
  out.push("  }", "  post {", "    always {", "      script {");
  out.push("        echo('Release of ' + env.APP + ': image ' + (env.IMAGE_DIGEST ?: 'not built'))");
  for (const s of p.sites) {
    const v = `env.${deployedVar(s.site)}`;
    out.push(
      `        echo('${s.site}: ' + (${v} ? 'idle colour ' + ${v} + ' runs ' + env.IMAGE_DIGEST : 'NOT deployed'))`,
    );
    if (p.loadTest?.urls[s.site]) {
      const lv = `env.${loadedVar(s.site)}`;
      out.push(`        echo('${s.site} load test: ' + (${lv} ?: 'failed or not run (see its stage log)'))`);
    }
  }
  out.push(
    "      }",
    "    }",
    "    success {",
    "      echo('Every site runs ' + env.IMAGE_DIGEST + ' on its idle colour. Move traffic per site with: npm run app -- switch ' + env.APP + ' --to <colour> --kubeconfig <site kubeconfig>; then set blueGreen ' + env.APP + '.<colour>.image to that digest in every cluster stack so pulumi up agrees.')",
    "    }",
    "    failure {",
    "      script {",
    "        echo('STOPPED at ' + (env.DEPLOYING ?: 'preflight/build') + ': later sites (order ' + env.DEPLOY_ORDER + ') were not deployed. Live traffic did not move at any site.')",
    "      }",
    "    }",
    "  }",
    "}",
  );
  const text = `${out.join("\n")}\n`;
  if (text.includes("${"))
    throw new Error("pipeline text must not contain '${' (JCasC and Groovy would interpolate it)");
  return text;
}

/** Groovy single-quoted triple string holding `text` verbatim. */
export function groovyTripleQuoted(text: string): string {
  return `'''${text.replace(/\\/g, "\\\\").replace(/'''/g, "\\'\\'\\'")}'''`;
}

export interface SeedJob {
  app: string;
  sites: readonly string[];
  jenkinsfile: string;
}

/** Job DSL read by JCasC (`jobs: - file:`): one pipeline job `deploy-<app>` per app. */
export function renderSeedJobs(jobs: readonly SeedJob[]): string {
  const out = [
    "// Rendered by jetstream-paas (components/jenkins/render/pipeline.ts). JCasC runs this Job DSL",
    "// at every start: edit the site stack's jenkins.pipelines config, not the jobs in the UI.",
  ];
  for (const j of [...jobs].sort((a, b) => a.app.localeCompare(b.app))) {
    if (!/^[a-z][a-z0-9-]*$/.test(j.app)) throw new Error(`app "${j.app}" must be a DNS label`);
    out.push(
      "",
      `pipelineJob('deploy-${j.app}') {`,
      `  displayName('deploy ${j.app} (${j.sites.join(" then ")})')`,
      `  description('Builds ${j.app} once and deploys the same image digest to ${j.sites.join(", then ")}; stops at the first site that fails.')`,
      "  definition {",
      "    cps {",
      "      sandbox(true)",
      `      script(${groovyTripleQuoted(j.jenkinsfile)})`,
      "    }",
      "  }",
      "}",
    );
  }
  const text = `${out.join("\n")}\n`;
  if (text.includes("${")) throw new Error("seed job text must not contain '${'");
  return text;
}
