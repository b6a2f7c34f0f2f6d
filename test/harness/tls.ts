// Throw-away self-signed certificates for servers the tests start on 127.0.0.1 (openssl; one
// day, P-256). The certificate is its own trust anchor: clients pass it as `ca`.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** @param subjectAltName e.g. `IP:127.0.0.1` or `DNS:cilogon.org` */
export function selfSignedCertificate(
  commonName: string,
  subjectAltName: string,
): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), "jsp-tls-"));
  try {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "1",
        "-subj",
        `/CN=${commonName}`,
        "-addext",
        `subjectAltName=${subjectAltName}`,
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
      ],
      { stdio: "pipe" },
    );
    return {
      key: readFileSync(join(dir, "key.pem"), "utf8"),
      cert: readFileSync(join(dir, "cert.pem"), "utf8"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
