// JenkinsHost under the mock engine: secret admin password, kubeconfigs from the cluster
// stacks as credentials (and a missing stack left out, not a crash), least-privilege group.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { parse } from "yaml";
import { installMocks, MockEngine, settle } from "../../harness/mocks";
import { isSecret, promiseOf } from "../../harness/outputs";
import { registeredArtifacts } from "../../../src/artifacts";

const KUBECONFIG_IU =
  "apiVersion: v1\nkind: Config\nclusters: [{name: iu, cluster: {server: 'https://10.20.0.20:6443'}}]\n";

type JenkinsModule = typeof import("../../../components/jenkins");
type Host = InstanceType<JenkinsModule["JenkinsHost"]>;

async function artifact(path: string): Promise<string> {
  const a = registeredArtifacts().find((x) => x.path === path);
  assert.ok(a, `artifact ${path} registered`);
  return promiseOf(a.content);
}

describe("JenkinsHost", () => {
  let engine: MockEngine;
  let host: Host;
  let warnings: string[];

  before(async () => {
    engine = await installMocks({
      project: "jetstream-paas",
      stack: "iu",
      config: { "openstack:region": "IU" },
      stackOutputs: {
        "organization/jetstream-paas-cluster/paasA": {
          outputs: { kubeconfig: KUBECONFIG_IU },
          secretOutputNames: ["kubeconfig"],
        },
        // tacc-paasA is not up yet: no outputs at all
      },
    });
    const pulumi = await import("@pulumi/pulumi");
    warnings = [];
    const orig = pulumi.log.warn;
    pulumi.log.warn = (msg: string, res?: unknown) => {
      warnings.push(msg);
      return orig(msg, res as never);
    };
    const { JenkinsHost } = await import("../../../components/jenkins");
    const ref = (site: string, stack: string) => ({
      site,
      kubeconfig: new pulumi.StackReference(`ref-${site}`, { name: stack }).getOutput("kubeconfig") as never,
    });
    host = new JenkinsHost("iu-jenkins", {
      site: "iu",
      networkId: "net-1",
      subnetId: "subnet-1",
      bastionSecurityGroupId: "sg-bastion",
      adminCidrs: ["203.0.113.0/26"],
      keypairName: "jsp-iu-operator",
      image: "Featured-Ubuntu24",
      deployTargets: [
        ref("iu", "organization/jetstream-paas-cluster/paasA"),
        ref("tacc", "organization/jetstream-paas-cluster/tacc-paasA"),
      ],
      pipelines: [
        {
          app: "web",
          gitUrl: "https://git.example.org/web.git",
          imageRepository: "registry.example.org/web",
        },
      ],
      agents: [
        { name: "b1", host: "10.20.0.50", port: 22, user: "jenkins", labels: ["docker"], executors: 2 },
      ],
    });
    await promiseOf(host.casc);
    await promiseOf(host.url);
    await settle();
  });

  it("registers the component token and parents its children", () => {
    const comp = engine.byName("iu-jenkins");
    assert.equal(comp.type, "jetstream:jenkins:JenkinsHost");
    for (const n of [
      "iu-jenkins-vm",
      "iu-jenkins-port",
      "iu-jenkins-sg",
      "iu-jenkins-admin-password",
      "iu-jenkins-fip",
    ]) {
      assert.equal(engine.byName(n).parentUrn, comp.urn, n);
    }
  });

  it("generates the admin password and keeps it secret", async () => {
    assert.equal(engine.byName("iu-jenkins-admin-password").inputs.length, 32);
    assert.equal(await isSecret(host.adminPassword), true);
    const pw = await promiseOf(host.adminPassword);
    assert.ok(pw.length === 32);
    assert.ok(!(await promiseOf(host.casc)).includes(pw), "password not in jenkins.yaml");
  });

  it("passes user data (secrets inside) only as a secret", () => {
    assert.equal(engine.byName("iu-jenkins-vm").inputs.userData, "[secret]");
  });

  it("turns the available kubeconfig into a credential and warns about the missing one", async () => {
    assert.deepEqual(await promiseOf(host.credentialSites), ["iu"]);
    const casc = parse(await promiseOf(host.casc)) as {
      credentials: {
        system: { domainCredentials: Array<{ credentials: Array<Record<string, { id: string }>> }> };
      };
    };
    const ids = casc.credentials.system.domainCredentials[0].credentials
      .map((c) => Object.values(c)[0].id)
      .sort();
    assert.deepEqual(ids, ["agent-ssh-key-jenkins", "deploy-kubeconfig-iu"]);
    assert.ok(
      warnings.some((w) => /no kubeconfig output for site tacc/.test(w)),
      warnings.join("\n"),
    );
  });

  it("writes no secret into the artifacts", async () => {
    const pw = await promiseOf(host.adminPassword);
    for (const a of registeredArtifacts()) {
      const text = await promiseOf(a.content);
      assert.ok(!text.includes(pw), `${a.path} leaks the admin password`);
      assert.ok(!text.includes("10.20.0.20:6443"), `${a.path} leaks the kubeconfig`);
      assert.ok(!text.includes("BEGIN OPENSSH PRIVATE KEY"), `${a.path} leaks the agent key`);
    }
    const ci = await artifact("cloud-init/iu-jenkins.yaml");
    assert.match(ci, /secret: delivered in the VM's user data/);
  });

  it("still plans the pipeline for both sites in order", async () => {
    const jf = await artifact("jenkins/pipelines/deploy-web.Jenkinsfile");
    assert.ok(jf.indexOf("stage('Deploy iu')") < jf.indexOf("stage('Deploy tacc')"));
    assert.match(await artifact("jenkins/jobs.groovy"), /pipelineJob\('deploy-web'\)/);
  });

  it("opens HTTPS to admin CIDRs only and SSH to the bastion group only", () => {
    const rules = engine
      .ofType("openstack:networking/secGroupRule:SecGroupRule")
      .filter((r) => r.name.startsWith("iu-jenkins-"));
    assert.equal(rules.length, 2);
    const https = engine.byName("iu-jenkins-https-admin-203-0-113-0-26").inputs;
    assert.deepEqual(
      [https.portRangeMin, https.portRangeMax, https.remoteIpPrefix],
      [443, 443, "203.0.113.0/26"],
    );
    const ssh = engine.byName("iu-jenkins-ssh-bastion").inputs;
    assert.deepEqual(
      [ssh.portRangeMin, ssh.remoteGroupId, ssh.remoteIpPrefix],
      [22, "sg-bastion", undefined],
    );
    assert.ok(!rules.some((r) => r.inputs.portRangeMin === 8080), "Jenkins' own port is never opened");
  });

  it("puts the VM on the site subnet behind its own group", async () => {
    const port = engine.byName("iu-jenkins-port").inputs as {
      fixedIps: Array<{ subnetId: string }>;
      securityGroupIds: string[];
    };
    assert.deepEqual(port.fixedIps, [{ subnetId: "subnet-1" }]);
    assert.deepEqual(port.securityGroupIds, [await promiseOf(host.securityGroupId)]);
    assert.equal(engine.byName("iu-jenkins-vm").inputs.flavorName, "m3.small");
  });

  it("refuses a world-open admin CIDR naming it", async () => {
    const { JenkinsHost } = await import("../../../components/jenkins");
    assert.throws(
      () =>
        new JenkinsHost("bad", {
          site: "iu",
          networkId: "n",
          subnetId: "s",
          bastionSecurityGroupId: "b",
          adminCidrs: ["0.0.0.0/0"],
          keypairName: "k",
          image: "i",
          deployTargets: [{ site: "iu", kubeconfig: undefined }],
        }),
      /adminCidrs entry 0\.0\.0\.0\/0 opens the Jenkins UI to the world/,
    );
  });
});
