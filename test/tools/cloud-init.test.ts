// Real tool: every cloud-config this project renders passes `cloud-init schema`.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { renderBastionCloudInit } from "../../components/network";
import { cloudInitSchema, requireTools } from "../harness/tools";

const dir = mkdtempSync(join(tmpdir(), "jsp-ci-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("cloud-init schema", () => {
  before(() => requireTools(["cloud-init"]));

  it("accepts the bastion cloud-config", () => {
    const r = cloudInitSchema(renderBastionCloudInit({ hostname: "iu-bastion" }), dir, "bastion.yaml");
    assert.ok(r.ok, r.output);
    assert.match(r.output, /Valid (cloud-config|schema)/);
  });

  it("is a real check: it refuses a cloud-config with a wrong type", () => {
    const r = cloudInitSchema("#cloud-config\nssh_pwauth: [1, 2]\npackages: 7\n", dir, "bad.yaml");
    assert.equal(r.ok, false, r.output);
  });
});
