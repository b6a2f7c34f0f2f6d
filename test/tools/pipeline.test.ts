// The release pipeline end to end with real tools: a local git repository, rootless-style
// buildah building and pushing to a real registry (Debian's docker-registry) on 127.0.0.1, the
// rendered Jenkinsfile's own shell steps run under `sh -xe` as Jenkins runs them, real kubectl
// with each site's deploy-identity token against a fake Kubernetes API per site that enforces
// the rendered RBAC, and hey through jsp-loadtest against a local app server. What plays
// Jenkins is the small driver below: stages in order, withCredentials -> a file path, env
// variables, stop at the first failing stage. Jenkins itself (declarative semantics, the
// plugins) is not run here; docs/delivery.md says what only a real controller proves.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  DEPLOY_NAMESPACE,
  DEPLOY_SERVICE_ACCOUNT,
  renderDeployRbac,
  renderLoadTestScript,
} from "../../components/delivery";
import { renderDeployPipeline } from "../../components/jenkins";
import { blueGreenObjects } from "../../components/apps/render/blue-green";
import { FakeApiServer, startFakeApiServer } from "../harness/fake-apiserver";
import { serviceAccountSubject } from "../harness/rbac";
import { requireTools } from "../harness/tools";

const dir = mkdtempSync(join(tmpdir(), "jsp-pipeline-"));
const children: Array<{ pid?: number; kill(): boolean }> = [];
const servers: Array<{ close(): unknown }> = [];
after(async () => {
  for (const c of children) c.kill();
  for (const s of servers) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A local app: slow (ms per answer) or failing (HTTP 500) on demand. */
async function app(mode: { delayMs: number; status: number }): Promise<{ url: string; hits: () => number }> {
  let hits = 0;
  const s = http.createServer((_req, res) => {
    hits++;
    setTimeout(() => {
      res.writeHead(mode.status, { "Content-Type": "text/plain" });
      res.end("ok\n");
    }, mode.delayMs);
  });
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  servers.push({ close: () => new Promise<void>((r) => s.close(() => r())) });
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, hits: () => hits };
}

interface Stage {
  name: string;
  steps: Array<
    { kind: "sh"; script: string; credential?: string } | { kind: "git"; url: string; branch: string }
  >;
  env: Record<string, string>;
  reads: Array<{ variable: string; file: string }>;
}

/** Reads the declarative stages back: their sh steps (with the credential around them), git, env. */
function parseStages(jf: string): Stage[] {
  const heads = [...jf.matchAll(/^ {4}stage\('([^']+)'\) \{$/gm)];
  return heads.map((m, i) => {
    const body = jf.slice(m.index, i + 1 < heads.length ? heads[i + 1].index : jf.indexOf("\n  post {"));
    const env: Record<string, string> = {};
    for (const e of body.matchAll(/^ {8}([A-Z_]+) = '([^']*)'$/gm)) env[e[1]] = e[2];
    const steps: Stage["steps"] = [];
    const re =
      /withCredentials\(\[file\(credentialsId: '([^']+)'|sh '''\n([\s\S]*?)\n\s*'''|sh '([^'\n]+)'$|git url: '([^']+)', branch: '([^']+)'|^\s+\}$/gm;
    let cred: string | undefined;
    for (const x of body.matchAll(re)) {
      if (x[1]) cred = x[1];
      else if (x[2] !== undefined)
        steps.push({ kind: "sh", script: x[2].replace(/^ {8,12}/gm, ""), credential: cred });
      else if (x[3] !== undefined) steps.push({ kind: "sh", script: x[3], credential: cred });
      else if (x[4]) steps.push({ kind: "git", url: x[4], branch: x[5] });
      else if (/^\s+\}$/.test(x[0]) && cred && /^ {8,10}\}$/.test(x[0])) cred = undefined;
    }
    const reads = [...body.matchAll(/env\.([A-Z_]+) = readFile\('([^']+)'\)/g)].map((r) => ({
      variable: r[1],
      file: r[2],
    }));
    return { name: m[1], steps, env, reads };
  });
}

interface RunResult {
  passed: string[];
  failedAt?: string;
  log: string;
}

/** Plays Jenkins: stage after stage, `sh -xe` per step, stop at the first failure. */
async function runPipeline(
  jf: string,
  ws: string,
  env: Record<string, string>,
  creds: Record<string, string>,
): Promise<RunResult> {
  const globalEnv: Record<string, string> = {};
  for (const e of jf
    .slice(jf.indexOf("  environment {"), jf.indexOf("  stages {"))
    .matchAll(/^ {4}([A-Z_]+) = '([^']*)'$/gm))
    globalEnv[e[1]] = e[2];
  const pipelineEnv: Record<string, string> = { ...env, ...globalEnv, BUILD_NUMBER: "7" };
  const res: RunResult = { passed: [], log: "" };
  for (const st of parseStages(jf)) {
    for (const step of st.steps) {
      let code: number;
      if (step.kind === "git") {
        const r = spawnSync("git", ["clone", "-q", "--branch", step.branch, step.url, "."], {
          cwd: ws,
          encoding: "utf8",
        });
        res.log += r.stdout + r.stderr;
        code = existsSync(join(ws, ".git")) ? 0 : 1;
      } else {
        const file = join(dir, `step-${Math.random().toString(36).slice(2)}.sh`);
        writeFileSync(file, step.script);
        const stepEnv = { ...process.env, ...pipelineEnv, ...st.env } as Record<string, string>;
        if (step.credential) {
          if (!creds[step.credential]) throw new Error(`credential ${step.credential} is not defined`);
          stepEnv.KUBECONFIG = creds[step.credential];
        }
        code = await new Promise<number>((resolve) => {
          const p = spawn("sh", ["-xe", file], { cwd: ws, env: stepEnv });
          p.stdout.on("data", (d: Buffer) => (res.log += d.toString()));
          p.stderr.on("data", (d: Buffer) => (res.log += d.toString()));
          p.on("close", (c) => resolve(c ?? 1));
        });
      }
      if (code !== 0) {
        res.failedAt = st.name;
        return res;
      }
    }
    for (const r of st.reads) pipelineEnv[r.variable] = readFileSync(join(ws, r.file), "utf8").trim();
    res.passed.push(st.name);
  }
  return res;
}

const TOKENS = { iu: "token-iu-deploy", tacc: "token-tacc-deploy" };
const NAMESPACE = "shop";

async function site(name: "iu" | "tacc"): Promise<FakeApiServer> {
  const rbac = renderDeployRbac([NAMESPACE]);
  const api = await startFakeApiServer({
    rbac,
    tokens: { [TOKENS[name]]: serviceAccountSubject(DEPLOY_NAMESPACE, DEPLOY_SERVICE_ACCOUNT) },
  });
  servers.push(api);
  const objs = blueGreenObjects({
    name: "web",
    namespace: NAMESPACE,
    active: "blue",
    images: { blue: `r/web@sha256:${"1".repeat(64)}`, green: `r/web@sha256:${"2".repeat(64)}` },
    replicas: 2,
    containerPort: 8080,
    servicePort: 80,
    readinessPath: "/healthz",
    meshed: false,
  });
  for (const d of Object.values(objs.deployments))
    api.put({ ...d, metadata: { ...d.metadata, generation: 1 } });
  api.put(objs.service);
  return api;
}

describe("release pipeline end to end (real git, buildah, registry, kubectl, hey; fake API)", () => {
  let registry = "";
  let repo = "";
  const env: Record<string, string> = {};
  before(async () => {
    requireTools(["buildah", "docker-registry", "hey", "git", "kubectl", "openssl"]);
    // the app's repository
    repo = join(dir, "web.git");
    mkdirSync(join(dir, "src"));
    writeFileSync(join(dir, "src", "Dockerfile"), "FROM scratch\nCOPY index.html /index.html\n");
    writeFileSync(join(dir, "src", "index.html"), "hello\n");
    const git = (...a: string[]) => spawnSync("git", a, { cwd: join(dir, "src"), encoding: "utf8" });
    git("init", "-q", "-b", "main");
    git("-c", "user.email=t@example.org", "-c", "user.name=t", "add", ".");
    git("-c", "user.email=t@example.org", "-c", "user.name=t", "commit", "-qm", "app");
    spawnSync("git", ["clone", "-q", "--bare", join(dir, "src"), repo]);
    // a real registry on a free loopback port
    const port = await freePort();
    writeFileSync(
      join(dir, "registry.yml"),
      `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/registry\nhttp:\n  addr: 127.0.0.1:${port}\n`,
    );
    const reg = spawn("docker-registry", ["serve", join(dir, "registry.yml")], { stdio: "ignore" });
    children.push(reg);
    registry = `127.0.0.1:${port}`;
    for (let i = 0; i < 50; i++) {
      const ok = await new Promise<boolean>((r) =>
        http.get(`http://${registry}/v2/`, (res) => r(res.statusCode === 200)).on("error", () => r(false)),
      );
      if (ok) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    // buildah as an unprivileged build would use it: own storage, the test registry is plain HTTP
    writeFileSync(
      join(dir, "storage.conf"),
      `[storage]\ndriver = "vfs"\ngraphroot = "${dir}/storage"\nrunroot = "${dir}/run"\n`,
    );
    writeFileSync(join(dir, "registries.conf"), `[[registry]]\nlocation = "${registry}"\ninsecure = true\n`);
    mkdirSync(join(dir, "bin"));
    writeFileSync(join(dir, "bin", "jsp-loadtest"), renderLoadTestScript());
    chmodSync(join(dir, "bin", "jsp-loadtest"), 0o755);
    Object.assign(env, {
      CONTAINERS_STORAGE_CONF: join(dir, "storage.conf"),
      CONTAINERS_REGISTRIES_CONF: join(dir, "registries.conf"),
      BUILDAH_ISOLATION: "chroot",
      PATH: `${join(dir, "bin")}:${process.env.PATH}`,
      HOME: dir,
    });
  });

  async function scenario(opts: { taccFails?: boolean; appStatus?: number; appDelayMs?: number }) {
    const ws = mkdtempSync(join(dir, "ws-"));
    const iu = await site("iu");
    const tacc = await site("tacc");
    if (opts.taccFails) tacc.failingRollouts.add(`${NAMESPACE}/web-green`);
    const target = await app({ delayMs: opts.appDelayMs ?? 0, status: opts.appStatus ?? 200 });
    const creds: Record<string, string> = {};
    for (const [s, api] of [
      ["iu", iu],
      ["tacc", tacc],
    ] as const) {
      creds[`deploy-kubeconfig-${s}`] = join(
        ws,
        `..`,
        `${s}-${Math.random().toString(36).slice(2)}.kubeconfig`,
      );
      writeFileSync(creds[`deploy-kubeconfig-${s}`], api.kubeconfig(TOKENS[s]));
    }
    const jf = renderDeployPipeline({
      app: "web",
      gitUrl: `file://${repo}`,
      branch: "main",
      imageRepository: `${registry}/jetstream/web`,
      namespace: NAMESPACE,
      agentLabel: "build",
      sites: [
        { site: "iu", credentialsId: "deploy-kubeconfig-iu" },
        { site: "tacc", credentialsId: "deploy-kubeconfig-tacc" },
      ],
      loadTest: {
        urls: { iu: target.url },
        path: "/healthz",
        duration: "2s",
        qps: 20,
        concurrency: 2,
        p95Ms: 200,
        maxErrorRatePercent: 1,
      },
    });
    const run = await runPipeline(jf, ws, { ...env, KUBECONFIG: "/nonexistent" }, creds);
    const image = (api: FakeApiServer) =>
      (
        api.get("apps", "deployments", NAMESPACE, "web-green")?.spec as {
          template: { spec: { containers: Array<{ image: string }> } };
        }
      ).template.spec.containers[0].image;
    return { run, iu, tacc, ws, image, target };
  }

  it("checks out, builds and pushes once, deploys the digest to iu, load-tests it, then tacc", async () => {
    const { run, iu, tacc, ws, image, target } = await scenario({});
    assert.equal(run.failedAt, undefined, run.log);
    assert.deepEqual(run.passed, [
      "Preflight: every site reachable",
      "Build once",
      "Deploy iu",
      "Load test iu",
      "Deploy tacc",
    ]);
    const digest = readFileSync(join(ws, "image-digest.txt"), "utf8").trim();
    assert.match(digest, new RegExp(`^${registry}/jetstream/web@sha256:[0-9a-f]{64}$`));
    // the registry holds exactly that manifest
    const ref = digest.split("@")[1];
    const head = await new Promise<number>((r) =>
      http
        .request(
          `http://${registry}/v2/jetstream/web/manifests/${ref}`,
          {
            method: "HEAD",
            headers: {
              Accept:
                "application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json",
            },
          },
          (res) => r(res.statusCode ?? 0),
        )
        .end(),
    );
    assert.equal(head, 200);
    // the same digest on the idle colour at both sites; live (blue) untouched
    assert.equal(image(iu), digest);
    assert.equal(image(tacc), digest);
    assert.match(readFileSync(join(ws, "loadtest-iu.verdict"), "utf8"), /PASS/);
    assert.ok(target.hits() > 10, `the load reached the app (${target.hits()} requests)`);
    // the deploy identity was enough, and it never read a Secret
    assert.ok(!iu.log.some((l) => / -> 403/.test(l)), iu.log.join("\n"));
    assert.ok(!iu.log.some((l) => /secrets/.test(l)));
  });

  it("stops at the first failing site: tacc's rollout fails, nothing after it runs", async () => {
    const { run, tacc, iu, image } = await scenario({ taccFails: true });
    assert.equal(run.failedAt, "Deploy tacc", run.log);
    assert.match(run.log, /exceeded its progress deadline/);
    assert.ok(image(iu).includes("@sha256:"));
    assert.ok(tacc.log.some((l) => /patch apps\/deployments shop\/web-green -> 200/.test(l)));
  });

  it("a failed load threshold stops the pipeline before tacc is touched", async () => {
    const { run, tacc, ws } = await scenario({ appDelayMs: 400 });
    assert.equal(run.failedAt, "Load test iu", run.log);
    assert.match(readFileSync(join(ws, "loadtest-iu.verdict"), "utf8"), /FAIL: p95 [0-9.]+ ms > 200 ms/);
    // tacc saw its preflight GETs and nothing else: no patch
    assert.ok(!tacc.log.some((l) => l.startsWith("patch")), tacc.log.join("\n"));
    const errors = await scenario({ appStatus: 503 });
    assert.equal(errors.run.failedAt, "Load test iu");
    assert.match(readFileSync(join(errors.ws, "loadtest-iu.verdict"), "utf8"), /error rate 100\.00% > 1%/);
  });
});
