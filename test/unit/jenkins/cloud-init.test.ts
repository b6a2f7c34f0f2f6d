// The controller's cloud-config as data: files, permissions, secrets, compression, size limit.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { describe, it } from "node:test";
import { parse } from "yaml";
import {
  JenkinsCloudInitInput,
  NOVA_USER_DATA_LIMIT,
  renderJenkinsCloudInit,
  renderJenkinsSystemdDropIn,
  userDataBase64Size,
} from "../../../components/jenkins";

function input(over: Partial<JenkinsCloudInitInput> = {}): JenkinsCloudInitInput {
  return {
    hostname: "iu-jenkins",
    version: "2.568.2",
    publicAddress: "198.51.100.11",
    pluginManager: { version: "2.14.0" },
    casc: "jenkins:\n  numExecutors: 0\n",
    plugins: "configuration-as-code:2117.vc05a_0b_e6b_f4e\n",
    seedJobs: `// seed\n${"pipelineJob('x') {}\n".repeat(400)}`,
    secrets: [{ path: "/etc/jenkins/secrets/admin-password", content: "pw-0123456789abcdef" }],
    ...over,
  };
}

type Doc = {
  write_files: Array<{ path: string; content: string; permissions: string; encoding?: string }>;
  runcmd: unknown[];
  bootcmd: string[];
  ssh_pwauth: boolean;
};

describe("Jenkins cloud-config", () => {
  const doc = parse(renderJenkinsCloudInit(input())) as Doc;
  const file = (p: string) => doc.write_files.find((f) => f.path === p)!;

  it("writes secrets root-only (the install script hands them to the jenkins group)", () => {
    const pw = file("/etc/jenkins/secrets/admin-password");
    assert.equal(pw.permissions, "0600");
    assert.equal(pw.content, "pw-0123456789abcdef", "no trailing newline for ${readFile:}");
  });

  it("configures the service: JCasC path, no setup wizard, loopback only", () => {
    const dropIn = renderJenkinsSystemdDropIn();
    assert.equal(file("/etc/systemd/system/jenkins.service.d/10-jetstream-paas.conf").content, dropIn);
    assert.match(dropIn, /CASC_JENKINS_CONFIG=\/etc\/jenkins\/casc\/jenkins\.yaml/);
    assert.match(dropIn, /-Djenkins\.install\.runSetupWizard=false/);
    assert.match(dropIn, /JENKINS_LISTEN_ADDRESS=127\.0\.0\.1/);
  });

  it("compresses large files with gz+b64 and they decode to the original", () => {
    const seed = file("/etc/jenkins/casc/jobs.groovy");
    assert.equal(seed.encoding, "gz+b64");
    assert.equal(gunzipSync(Buffer.from(seed.content, "base64")).toString("utf8"), input().seedJobs);
  });

  it("runs the install script once and keeps password SSH off", () => {
    assert.deepEqual(doc.runcmd[doc.runcmd.length - 1], ["/usr/local/sbin/jsp-jenkins-install"]);
    assert.equal(doc.ssh_pwauth, false);
    assert.match(doc.bootcmd[0], /169\.254\.169\.254\/32 -m owner ! --uid-owner 0 -j REJECT/);
  });

  it("refuses user data Nova would reject, and says so", () => {
    // incompressible but deterministic: hashes of a counter
    const big = Array.from({ length: 3000 }, (_, i) =>
      createHash("sha256").update(String(i)).digest("base64"),
    ).join("");
    assert.throws(
      () =>
        renderJenkinsCloudInit(
          input({ secrets: [{ path: "/etc/jenkins/secrets/kubeconfig-iu", content: big }] }),
        ),
      new RegExp(`user data is \\d+ bytes in base64; Nova accepts ${NOVA_USER_DATA_LIMIT}`),
    );
    assert.equal(userDataBase64Size("abcd"), 8);
  });

  it("refuses a secret outside the secrets directory", () => {
    assert.throws(
      () => renderJenkinsCloudInit(input({ secrets: [{ path: "/etc/passwd", content: "x" }] })),
      /secrets: path "\/etc\/passwd" must be inside \/etc\/jenkins\/secrets/,
    );
  });
});
