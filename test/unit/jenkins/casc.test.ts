// JCasC: parsed back and checked as security policy; no secret may appear in it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { CascInput, renderJenkinsCasc } from "../../../components/jenkins";

function input(over: Partial<CascInput> = {}): CascInput {
  return {
    url: "https://198.51.100.11/",
    adminUser: "admin",
    kubeconfigs: [
      { site: "tacc", credentialsId: "kubeconfig-tacc" },
      { site: "iu", credentialsId: "kubeconfig-iu" },
    ],
    agents: [
      {
        name: "iu-builder-1",
        host: "10.20.0.50",
        port: 22,
        user: "jenkins",
        labels: ["docker"],
        executors: 2,
      },
    ],
    seedJobs: true,
    systemMessage: "managed",
    ...over,
  };
}

type Casc = {
  jenkins: Record<string, unknown> & {
    securityRealm: { local: { allowsSignup: boolean; users: Array<{ id: string; password: string }> } };
    authorizationStrategy: Record<string, { allowAnonymousRead?: boolean }>;
    crumbIssuer: Record<string, unknown>;
    nodes?: Array<{ permanent: { launcher: { ssh: Record<string, unknown> } } }>;
  };
  credentials?: {
    system: { domainCredentials: Array<{ credentials: Array<Record<string, Record<string, string>>> }> };
  };
  jobs?: Array<{ file: string }>;
  unclassified: { location: { url: string } };
};

describe("JCasC jenkins.yaml", () => {
  const text = renderJenkinsCasc(input());
  const casc = parse(text) as Casc;

  it("has a local admin whose password is a file reference, and no sign-up", () => {
    const local = casc.jenkins.securityRealm.local;
    assert.equal(local.allowsSignup, false);
    assert.deepEqual(
      local.users.map((u) => u.id),
      ["admin"],
    );
    assert.equal(local.users[0].password, "${readFile:/etc/jenkins/secrets/admin-password}");
  });

  it("allows nothing to anonymous users", () => {
    const strategies = Object.keys(casc.jenkins.authorizationStrategy);
    assert.deepEqual(strategies, ["loggedInUsersCanDo"]);
    assert.equal(casc.jenkins.authorizationStrategy.loggedInUsersCanDo.allowAnonymousRead, false);
    assert.ok(!text.includes("unsecured"), "no unsecured strategy");
  });

  it("keeps CSRF protection on with the standard crumb issuer", () => {
    assert.deepEqual(casc.jenkins.crumbIssuer, { standard: { excludeClientIPFromCrumb: false } });
  });

  it("runs no builds on the controller and disables inbound agents", () => {
    assert.equal(casc.jenkins.numExecutors, 0);
    assert.equal(casc.jenkins.mode, "EXCLUSIVE");
    assert.equal(casc.jenkins.slaveAgentPort, -1);
    assert.equal(casc.jenkins.markupFormatter, "plainText");
  });

  it("declares both sites' kubeconfigs as file credentials read from files on the VM", () => {
    const creds = casc.credentials!.system.domainCredentials[0].credentials;
    const files = creds.filter((c) => c.file).map((c) => c.file);
    assert.deepEqual(
      files.map((f) => [f.id, f.secretBytes]),
      [
        ["kubeconfig-iu", "${readFileBase64:/etc/jenkins/secrets/deploy-kubeconfig-iu}"],
        ["kubeconfig-tacc", "${readFileBase64:/etc/jenkins/secrets/deploy-kubeconfig-tacc}"],
      ],
    );
  });

  it("contains no literal secret: every ${...} is a file reference", () => {
    const refs = text.match(/\$\{[^}]*\}/g) ?? [];
    assert.ok(refs.length >= 4);
    for (const r of refs) assert.match(r, /^\$\{readFile(Base64)?:\/etc\/jenkins\/secrets\/[a-z0-9-]+\}$/);
    assert.ok(!/BEGIN [A-Z ]*PRIVATE KEY|password: [^$]/.test(text), text);
  });

  it("starts agents over SSH with a host key an administrator trusted", () => {
    const ssh = casc.jenkins.nodes![0].permanent.launcher.ssh;
    assert.equal(ssh.credentialsId, "agent-ssh-key-jenkins");
    assert.deepEqual(ssh.sshHostKeyVerificationStrategy, {
      manuallyTrustedKeyVerificationStrategy: { requireInitialManualTrust: true },
    });
  });

  it("seeds jobs from the Job DSL file and sets the public URL", () => {
    assert.deepEqual(casc.jobs, [{ file: "/etc/jenkins/casc/jobs.groovy" }]);
    assert.equal(casc.unclassified.location.url, "https://198.51.100.11/");
  });

  it("leaves out credentials of sites without a kubeconfig, and agents when there are none", () => {
    const c = parse(renderJenkinsCasc(input({ kubeconfigs: [], agents: [], seedJobs: false }))) as Casc;
    assert.equal(c.credentials, undefined);
    assert.equal(c.jenkins.nodes, undefined);
    assert.equal(c.jobs, undefined);
    assert.equal(c.jenkins.numExecutors, 0, "still no builds on the controller");
  });

  it("is deterministic and refuses a plain-HTTP URL", () => {
    assert.equal(renderJenkinsCasc(input()), text);
    assert.throws(() => renderJenkinsCasc(input({ url: "http://198.51.100.11/" })), /url .* must be https/);
  });
});
