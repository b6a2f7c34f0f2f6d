// Real tools on the Jenkins artifacts: cloud-init schema on the controller's cloud-config,
// shellcheck on the install script and the pipeline's shell steps, Groovy's own compiler on
// the Jenkinsfile and the Job DSL seed (structure is checked in test/unit/jenkins).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  JenkinsCloudInitInput,
  renderDeployPipeline,
  renderJenkinsCasc,
  renderJenkinsCloudInit,
  renderJenkinsInstallScript,
  renderJenkinsNginx,
  renderPluginsTxt,
  renderSeedJobs,
} from "../../components/jenkins";
import { cloudInitSchema, requireTools, runTool } from "../harness/tools";

const ROOT = resolve(__dirname, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "jsp-jenkins-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const sites = [
  { site: "iu", credentialsId: "kubeconfig-iu" },
  { site: "tacc", credentialsId: "kubeconfig-tacc" },
];
const jenkinsfile = renderDeployPipeline({
  app: "web",
  gitUrl: "https://git.example.org/web.git",
  branch: "main",
  imageRepository: "registry.example.org/web",
  namespace: "default",
  agentLabel: "docker",
  sites,
});
const seed = renderSeedJobs([{ app: "web", sites: ["iu", "tacc"], jenkinsfile }]);

function input(over: Partial<JenkinsCloudInitInput> = {}): JenkinsCloudInitInput {
  return {
    hostname: "iu-jenkins",
    version: "2.568.2",
    publicAddress: "198.51.100.11",
    pluginManager: { version: "2.14.0", sha256: "a".repeat(64) },
    casc: renderJenkinsCasc({
      url: "https://198.51.100.11/",
      adminUser: "admin",
      kubeconfigs: [{ site: "iu", credentialsId: "kubeconfig-iu" }],
      agents: [],
      seedJobs: true,
      systemMessage: "m",
    }),
    plugins: renderPluginsTxt(),
    seedJobs: seed,
    secrets: [
      { path: "/etc/jenkins/secrets/admin-password", content: "not-a-real-password" },
      { path: "/etc/jenkins/secrets/kubeconfig-iu", content: "apiVersion: v1\nkind: Config\n" },
    ],
    ...over,
  };
}

/** Groovy's launcher needs JAVA_HOME when Debian's default-java link is absent. */
function groovy(args: string[]): { ok: boolean; output: string } {
  const env = { ...process.env };
  if (!env.JAVA_HOME && !existsSync("/usr/lib/jvm/default-java/bin/java")) {
    const java = execFileSync("sh", ["-c", "command -v java"], { encoding: "utf8" }).trim();
    env.JAVA_HOME = dirname(dirname(realpathSync(java)));
  }
  try {
    return { ok: true, output: execFileSync("groovy", args, { encoding: "utf8", env, stdio: "pipe" }) };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

describe("Jenkins controller cloud-config and scripts", () => {
  before(() => requireTools(["cloud-init", "shellcheck"]));

  it("passes cloud-init schema (with and without a plugin-manager checksum)", () => {
    for (const [name, i] of [
      ["jenkins.yaml", input()],
      ["jenkins-nosum.yaml", input({ pluginManager: { version: "2.14.0" }, publicAddress: undefined })],
    ] as const) {
      const r = cloudInitSchema(renderJenkinsCloudInit(i), dir, name);
      assert.ok(r.ok, r.output);
      assert.match(r.output, /Valid (cloud-config|schema)/);
    }
  });

  it("install script passes shellcheck", () => {
    const path = join(dir, "install.sh");
    writeFileSync(path, renderJenkinsInstallScript(input()));
    const r = runTool("shellcheck", ["-s", "bash", "-S", "style", path]);
    assert.ok(r.ok, r.output);
  });

  it("install script verifies the key fingerprint before trusting it and never pipes into a shell", () => {
    const s = renderJenkinsInstallScript(input());
    assert.match(s, /KEY_FINGERPRINT='5E386EADB55F01504CAE8BCF7198F4B714ABFC68'/);
    assert.ok(
      s.indexOf('"$got" != "$KEY_FINGERPRINT"') < s.indexOf('install -m 0644 "$tmp/jenkins.key" "$KEYRING"'),
    );
    assert.match(s, /deb \[signed-by=\$KEYRING\] \$REPO binary\//);
    assert.match(s, /"jenkins=\$JENKINS_VERSION"/);
    assert.match(s, /apt-mark hold jenkins/);
    assert.ok(!/\|\s*(sudo\s+)?(ba)?sh\b/.test(s), "no curl | sh");
  });

  it("every shell step of the pipeline passes shellcheck", () => {
    const blocks = [...jenkinsfile.matchAll(/sh '''\n([\s\S]*?)\n\s*'''/g)].map((m) => m[1]);
    const single = [...jenkinsfile.matchAll(/sh '([^'\n]+)'$/gm)].map((m) => m[1]);
    assert.ok(
      blocks.length >= 3 && single.length >= 2,
      `${blocks.length} blocks, ${single.length} one-liners`,
    );
    [...blocks, ...single].forEach((b, i) => {
      const path = join(dir, `step-${i}.sh`);
      // Jenkins runs sh steps with /bin/sh; the variables come from the pipeline environment.
      writeFileSync(path, `#!/bin/sh\n# shellcheck disable=SC2154\n${b.replace(/^ {10,12}/gm, "")}\n`);
      const r = runTool("shellcheck", ["-s", "sh", path]);
      assert.ok(r.ok, `${path}:\n${readFileSync(path, "utf8")}\n${r.output}`);
    });
  });
});

describe("nginx in front of Jenkins", () => {
  before(() => requireTools(["nginx"]));

  it("passes nginx -t (TLS on 443 only, proxy to the loopback)", () => {
    const ngx = mkdtempSync(join(dir, "nginx-"));
    const crt = join(ngx, "jenkins.crt");
    const key = join(ngx, "jenkins.key");
    const gen = runTool("openssl", [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=iu-jenkins",
      "-keyout",
      key,
      "-out",
      crt,
    ]);
    assert.ok(gen.ok, gen.output);
    const site = renderJenkinsNginx()
      .replace("/etc/ssl/certs/jenkins.crt", crt)
      .replace("/etc/ssl/private/jenkins.key", key);
    assert.ok(!/listen\s+80\b/.test(site), "no plain HTTP listener");
    assert.match(site, /proxy_pass http:\/\/127\.0\.0\.1:8080;/);
    writeFileSync(join(ngx, "jenkins.conf"), site);
    writeFileSync(
      join(ngx, "nginx.conf"),
      `pid ${ngx}/nginx.pid;\nerror_log ${ngx}/error.log;\nevents {}\nhttp {\n  access_log off;\n  include ${ngx}/jenkins.conf;\n}\n`,
    );
    const check = () =>
      runTool("nginx", ["-t", "-p", ngx, "-c", join(ngx, "nginx.conf"), "-e", join(ngx, "error.log")]);
    const r = check();
    assert.ok(r.ok, r.output);
    // a real check: the same file with one directive broken is refused
    writeFileSync(join(ngx, "jenkins.conf"), site.replace("proxy_http_version 1.1;", "proxy_http_version;"));
    assert.equal(check().ok, false);
  });
});

describe("Groovy syntax (Debian's groovy: compile only; Jenkins itself is not run)", () => {
  before(() => requireTools(["groovy"]));

  it("compiles the Jenkinsfile and the seed job", () => {
    writeFileSync(join(dir, "deploy-web.Jenkinsfile"), jenkinsfile);
    writeFileSync(join(dir, "jobs.groovy"), seed);
    const r = groovy([
      join(ROOT, "test", "fixtures", "groovy-parse.groovy"),
      join(dir, "deploy-web.Jenkinsfile"),
      join(dir, "jobs.groovy"),
    ]);
    assert.ok(r.ok, r.output);
  });

  it("is a real check: a Jenkinsfile with an unbalanced brace fails", () => {
    writeFileSync(
      join(dir, "broken.Jenkinsfile"),
      jenkinsfile.replace("  stages {\n", "  stages {\n  stage('x' {\n"),
    );
    const r = groovy([
      join(ROOT, "test", "fixtures", "groovy-parse.groovy"),
      join(dir, "broken.Jenkinsfile"),
    ]);
    assert.equal(r.ok, false, r.output);
    assert.match(r.output, /syntax error in .*broken\.Jenkinsfile/);
  });

  it("the seed job hands Jenkins exactly the rendered Jenkinsfile", () => {
    const out = mkdtempSync(join(dir, "extract-"));
    writeFileSync(join(dir, "jobs2.groovy"), seed);
    const r = groovy([
      join(ROOT, "test", "fixtures", "jobdsl-extract.groovy"),
      join(dir, "jobs2.groovy"),
      out,
    ]);
    assert.ok(r.ok, r.output);
    assert.equal(readFileSync(join(out, "deploy-web.Jenkinsfile"), "utf8"), jenkinsfile);
  });
});
