// The release pipeline: one build, one digest, sites deployed in order with that digest, a
// failing site stops the run, and the seed job carries the Jenkinsfile unchanged.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  PipelineInput,
  groovyTripleQuoted,
  renderDeployPipeline,
  renderPluginsTxt,
  renderSeedJobs,
  PLUGIN_PINS,
} from "../../../components/jenkins";

function input(over: Partial<PipelineInput> = {}): PipelineInput {
  return {
    app: "web",
    gitUrl: "https://git.example.org/jetstream/web.git",
    branch: "main",
    imageRepository: "registry.example.org/jetstream/web",
    namespace: "shop",
    agentLabel: "docker",
    sites: [
      { site: "iu", credentialsId: "kubeconfig-iu" },
      { site: "tacc", credentialsId: "kubeconfig-tacc" },
    ],
    ...over,
  };
}

/** Stage name -> body text, in order, from a rendered declarative pipeline. */
function stages(text: string): Array<{ name: string; body: string }> {
  const out: Array<{ name: string; body: string }> = [];
  const re = /^ {4}stage\('([^']+)'\) \{$/gm;
  const heads = [...text.matchAll(re)];
  heads.forEach((m, i) => {
    const end = i + 1 < heads.length ? heads[i + 1].index : text.indexOf("\n  post {");
    out.push({ name: m[1], body: text.slice(m.index, end) });
  });
  return out;
}

describe("release pipeline (Jenkinsfile)", () => {
  const text = renderDeployPipeline(input());
  const st = stages(text);

  it("is declarative with no executor outside the stages", () => {
    assert.match(text, /^pipeline \{\n {2}agent none\n/m);
    assert.match(text, /disableConcurrentBuilds\(\)/);
  });

  it("checks every site before building, then builds once, then deploys iu before tacc", () => {
    assert.deepEqual(
      st.map((s) => s.name),
      ["Preflight: every site reachable", "Build once", "Deploy iu", "Deploy tacc"],
    );
    for (const site of ["iu", "tacc"]) {
      assert.match(st[0].body, new RegExp(`credentialsId: 'kubeconfig-${site}'`));
    }
  });

  it("builds and pushes exactly once and records the registry digest", () => {
    // rootless buildah on the agents: no Docker daemon, no privileged socket
    assert.ok(!/docker (build|push)|docker\.sock/.test(text), "no Docker daemon anywhere");
    assert.equal(text.match(/buildah build/g)?.length, 1);
    assert.equal(text.match(/buildah push --digestfile image.digest/g)?.length, 1);
    assert.match(st[1].body, /grep -Eqx '\[\^@\]\+@sha256:\[0-9a-f\]\{64\}'/);
    assert.equal(text.match(/env\.IMAGE_DIGEST = /g)?.length, 1, "the digest is assigned once");
    assert.match(st[1].body, /archiveArtifacts artifacts: 'image-digest.txt', fingerprint: true/);
  });

  it("deploys the same digest variable to each site with that site's kubeconfig", () => {
    for (const [i, site] of [
      [2, "iu"],
      [3, "tacc"],
    ] as const) {
      const body = st[i].body;
      assert.match(body, new RegExp(`SITE = '${site}'`));
      assert.match(
        body,
        new RegExp(
          `withCredentials\\(\\[file\\(credentialsId: 'kubeconfig-${site}', variable: 'KUBECONFIG'\\)\\]\\)`,
        ),
      );
      assert.match(body, /set image "deployment\/\$APP-\$idle" "\$APP=\$IMAGE_DIGEST"/);
      assert.match(body, /rollout status "deployment\/\$APP-\$idle" --timeout=600s/);
      assert.ok(!/buildah (build|push)/.test(body), "no rebuild at a site");
    }
  });

  it("stops at the first failing site: stages run in sequence, with no catchError or parallel", () => {
    assert.ok(!/catchError|unstable|parallel|failFast false|propagate: false/.test(text));
    assert.match(text, /set -eu/);
    assert.match(text, /failure \{[\s\S]*STOPPED at ' \+ \(env\.DEPLOYING/);
  });

  it("reports which site runs which digest in a post step", () => {
    const post = text.slice(text.indexOf("\n  post {"));
    assert.match(post, /always \{/);
    assert.match(post, /'iu: ' \+ \(env\.DEPLOYED_IU \? .* env\.IMAGE_DIGEST : 'NOT deployed'\)/);
    assert.match(post, /'tacc: ' \+ \(env\.DEPLOYED_TACC \? .* env\.IMAGE_DIGEST : 'NOT deployed'\)/);
  });

  it("follows the configured order", () => {
    const rev = stages(renderDeployPipeline(input({ sites: [...input().sites].reverse() })));
    assert.deepEqual(
      rev.slice(2).map((s) => s.name),
      ["Deploy tacc", "Deploy iu"],
    );
  });

  it("never lets Groovy or JCasC interpolate: no ${ anywhere", () => {
    assert.ok(!text.includes("${"));
  });

  it("refuses values that would break out of a Groovy string", () => {
    assert.throws(
      () => renderDeployPipeline(input({ branch: "main'; sh 'rm -rf /" })),
      /branch .* must not contain quotes/,
    );
    assert.throws(() => renderDeployPipeline(input({ sites: [] })), /sites must list at least one site/);
  });
});

describe("seed job (Job DSL)", () => {
  it("embeds the Jenkinsfile in a pipeline job per app", () => {
    const jf = renderDeployPipeline(input());
    const seed = renderSeedJobs([{ app: "web", sites: ["iu", "tacc"], jenkinsfile: jf }]);
    assert.match(seed, /^pipelineJob\('deploy-web'\) \{$/m);
    assert.match(seed, /sandbox\(true\)/);
    assert.ok(seed.includes(groovyTripleQuoted(jf)));
  });

  it("escapes backslashes and triple quotes for a Groovy ''' string", () => {
    assert.equal(groovyTripleQuoted("a\\b'''c"), "'''a\\\\b\\'\\'\\'c'''");
  });
});

describe("plugins.txt", () => {
  const text = renderPluginsTxt();
  it("pins every plugin to an exact version, JCasC to the facts.md pin", () => {
    const lines = text.split("\n").filter((l) => l && !l.startsWith("#"));
    assert.equal(lines.length, PLUGIN_PINS.length);
    for (const l of lines) assert.match(l, /^[a-z0-9-]+:[0-9][A-Za-z0-9._-]*$/);
    assert.ok(lines.includes("configuration-as-code:2117.vc05a_0b_e6b_f4e"));
    for (const p of ["job-dsl", "workflow-aggregator", "credentials-binding", "ssh-slaves", "git"]) {
      assert.ok(
        lines.some((l) => l.startsWith(`${p}:`)),
        p,
      );
    }
  });
  it("says which pins are unconfirmed", () => {
    assert.match(text, /UNCONFIRMED/);
    assert.ok(!/UNCONFIRMED[^\n]*\nconfiguration-as-code:/.test(text));
  });
});
