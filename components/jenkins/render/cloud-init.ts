// cloud-config of the Jenkins controller and the files it writes: the install script (repo key
// verified by fingerprint, Jenkins pinned and held, plugins pinned), the systemd drop-in
// (JCasC, no setup wizard, loopback only), nginx terminating TLS in front, and the secrets.
import { gzipSync } from "node:zlib";
import { CloudFile, renderCloudConfig, sshdHardening } from "../../../src/cloud-init";
import { CASC_DIR, CASC_FILE, SECRETS_DIR, SEED_JOBS_FILE } from "./casc";

/** facts.md section 4 (pkg.jenkins.io, 2026 key). */
export const JENKINS_APT = {
  keyUrl: "https://pkg.jenkins.io/debian-stable/jenkins.io-2026.key",
  keyring: "/etc/apt/keyrings/jenkins-keyring.asc",
  fingerprint: "5E386EADB55F01504CAE8BCF7198F4B714ABFC68",
  repo: "https://pkg.jenkins.io/debian-stable",
  java: "openjdk-21-jre-headless",
} as const;

export const INSTALL_SCRIPT_PATH = "/usr/local/sbin/jsp-jenkins-install";
export const PLUGINS_FILE = "/etc/jenkins/plugins.txt";
export const NGINX_SITE = "/etc/nginx/sites-available/jenkins";
export const TLS_CERT = "/etc/ssl/certs/jenkins.crt";
export const TLS_KEY = "/etc/ssl/private/jenkins.key";
const METADATA_IP = "169.254.169.254";

export interface JenkinsSecretFile {
  /** absolute path under /etc/jenkins/secrets */
  path: string;
  content: string;
}

export interface JenkinsCloudInitInput {
  hostname: string;
  /** Jenkins LTS package version, e.g. 2.568.2 */
  version: string;
  /** address users reach the UI on (floating IP), put in the TLS certificate */
  publicAddress?: string;
  pluginManager: { version: string; sha256?: string };
  casc: string;
  plugins: string;
  seedJobs?: string;
  secrets: readonly JenkinsSecretFile[];
}

function checkInput(i: JenkinsCloudInitInput): void {
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(i.hostname))
    throw new Error(`hostname "${i.hostname}" must be a DNS label`);
  if (!/^\d+\.\d+\.\d+$/.test(i.version))
    throw new Error(`version "${i.version}" must be an LTS version a.b.c`);
  if (!/^\d+\.\d+\.\d+$/.test(i.pluginManager.version)) {
    throw new Error(`pluginManager.version "${i.pluginManager.version}" must be a.b.c`);
  }
  if (i.pluginManager.sha256 !== undefined && !/^[0-9a-f]{64}$/.test(i.pluginManager.sha256)) {
    throw new Error("pluginManager.sha256 must be 64 lowercase hex digits");
  }
  if (i.publicAddress !== undefined && !/^[0-9.]+$/.test(i.publicAddress)) {
    throw new Error(`publicAddress "${i.publicAddress}" must be an IPv4 address`);
  }
  for (const s of i.secrets) {
    if (!s.path.startsWith(`${SECRETS_DIR}/`) || s.path.includes("..")) {
      throw new Error(`secrets: path "${s.path}" must be inside ${SECRETS_DIR}`);
    }
  }
}

/** The first-boot install script (bash; shellcheck-clean). */
export function renderJenkinsInstallScript(i: JenkinsCloudInitInput): string {
  checkInput(i);
  const san = [`DNS:${i.hostname}`, ...(i.publicAddress ? [`IP:${i.publicAddress}`] : [])].join(",");
  const pmUrl = `https://github.com/jenkinsci/plugin-installation-manager-tool/releases/download/${i.pluginManager.version}/jenkins-plugin-manager-${i.pluginManager.version}.jar`;
  return `#!/usr/bin/env bash
# Rendered by jetstream-paas (components/jenkins/render/cloud-init.ts). Runs once, from cloud-init.
# Installs Jenkins LTS ${i.version} from pkg.jenkins.io (key trusted only after its fingerprint
# matched), its pinned plugins, and starts it behind nginx. Nothing is piped into a shell.
set -euo pipefail

readonly JENKINS_VERSION='${i.version}'
readonly KEY_URL='${JENKINS_APT.keyUrl}'
readonly KEY_FINGERPRINT='${JENKINS_APT.fingerprint}'
readonly KEYRING='${JENKINS_APT.keyring}'
readonly REPO='${JENKINS_APT.repo}'
readonly PM_URL='${pmUrl}'
readonly PM_SHA256='${i.pluginManager.sha256 ?? ""}'
readonly PM_JAR=/usr/local/lib/jetstream-paas/jenkins-plugin-manager.jar
readonly TLS_SAN='${san}'
export DEBIAN_FRONTEND=noninteractive
apt_get() { apt-get -o DPkg::Lock::Timeout=900 -y -q "$@"; }
log() { printf 'jsp-jenkins-install: %s\\n' "$*" >&2; }

tmp=$(mktemp -d)
# policy-rc.d exists only while Jenkins is installed (step 2); never leave it behind.
trap 'rm -rf "$tmp"; rm -f /usr/sbin/policy-rc.d' EXIT

apt_get update
apt_get install --no-install-recommends ca-certificates curl gnupg fontconfig ${JENKINS_APT.java} nginx openssl

# 1. Repository key: fetched over HTTPS, trusted only if it is exactly the pinned key.
curl -fsSL --proto '=https' --tlsv1.2 -o "$tmp/jenkins.key" "$KEY_URL"
got=$(gpg --batch --no-default-keyring --show-keys --with-colons "$tmp/jenkins.key" |
  awk -F: '$1 == "pub" { want = 1; next } want && $1 == "fpr" { print $10; want = 0 }')
if [ "$got" != "$KEY_FINGERPRINT" ]; then
  log "refusing the Jenkins repository key: fingerprint '$got' is not $KEY_FINGERPRINT"
  exit 1
fi
install -d -m 0755 /etc/apt/keyrings
install -m 0644 "$tmp/jenkins.key" "$KEYRING"
echo "deb [signed-by=$KEYRING] $REPO binary/" >/etc/apt/sources.list.d/jenkins.list

# 2. Jenkins, pinned and held. policy-rc.d (Debian's switch for maintainer scripts) keeps the
#    package from starting an unconfigured controller; it starts once plugins and JCasC are in.
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
chmod 0755 /usr/sbin/policy-rc.d
apt_get update
apt_get install --no-install-recommends "jenkins=$JENKINS_VERSION"
rm -f /usr/sbin/policy-rc.d
apt-mark hold jenkins

# 3. Plugins, pinned in ${PLUGINS_FILE}, dependencies at the minimum versions they declare.
install -d -m 0755 "$(dirname "$PM_JAR")"
curl -fsSL --proto '=https' --tlsv1.2 -o "$tmp/pm.jar" "$PM_URL"
if [ -n "$PM_SHA256" ]; then
  echo "$PM_SHA256  $tmp/pm.jar" | sha256sum -c --quiet -
else
  log "WARNING: plugin manager jar not checksum-pinned (set jenkins.pluginManager.sha256)"
fi
install -m 0644 "$tmp/pm.jar" "$PM_JAR"
install -d -o jenkins -g jenkins -m 0750 /var/lib/jenkins/plugins
runuser -u jenkins -- java -jar "$PM_JAR" \\
  --war /usr/share/java/jenkins.war \\
  --jenkins-version "$JENKINS_VERSION" \\
  --plugin-file ${PLUGINS_FILE} \\
  --plugin-download-directory /var/lib/jenkins/plugins \\
  --latest false

# 4. Secrets and JCasC: readable by root and the jenkins group only.
chown -R root:jenkins ${SECRETS_DIR} ${CASC_DIR}
chmod 0750 ${SECRETS_DIR} ${CASC_DIR}
find ${SECRETS_DIR} ${CASC_DIR} -type f -exec chmod 0640 {} +

# 5. TLS in front: a self-signed certificate made here, so its key never leaves the VM.
#    Replace ${TLS_CERT} and ${TLS_KEY} with a CA-signed pair when there is a DNS name.
if [ ! -s ${TLS_KEY} ]; then
  (umask 077 && openssl req -x509 -newkey rsa:3072 -sha256 -days 825 -nodes \\
    -subj "/CN=$(hostname)" -addext "subjectAltName=$TLS_SAN" \\
    -keyout ${TLS_KEY} -out ${TLS_CERT})
fi
log "TLS certificate $(openssl x509 -noout -fingerprint -sha256 -in ${TLS_CERT})"
ln -sf ${NGINX_SITE} /etc/nginx/sites-enabled/jenkins
rm -f /etc/nginx/sites-enabled/default
nginx -t

# 6. Start.
systemctl daemon-reload
systemctl enable --now jenkins.service
systemctl reload-or-restart nginx.service
log "Jenkins $JENKINS_VERSION started"
`;
}

/** nginx site: TLS on 443 in front of Jenkins on the loopback; no plain HTTP listener. */
export function renderJenkinsNginx(): string {
  return `# Rendered by jetstream-paas (components/jenkins/render/cloud-init.ts).
server {
    listen 443 ssl;
    listen [::]:443 ssl;
    server_name _;
    ssl_certificate ${TLS_CERT};
    ssl_certificate_key ${TLS_KEY};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_prefer_server_ciphers off;
    add_header Strict-Transport-Security "max-age=31536000" always;
    client_max_body_size 64m;

    location / {
        proxy_pass http://127.0.0.1:8080;
        proxy_http_version 1.1;
        proxy_set_header Host $host;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto https;
        proxy_set_header X-Forwarded-Port 443;
        proxy_request_buffering off;
        proxy_buffering off;
        proxy_read_timeout 300s;
    }
}
`;
}

/** systemd drop-in for jenkins.service (the Debian package reads these variables). */
export function renderJenkinsSystemdDropIn(): string {
  return [
    "# Rendered by jetstream-paas (components/jenkins/render/cloud-init.ts).",
    "[Service]",
    'Environment="JENKINS_LISTEN_ADDRESS=127.0.0.1"',
    'Environment="JENKINS_PORT=8080"',
    `Environment="CASC_JENKINS_CONFIG=${CASC_FILE}"`,
    'Environment="JAVA_OPTS=-Djava.awt.headless=true -Djenkins.install.runSetupWizard=false"',
    "",
  ].join("\n");
}

/** Files above this size travel gzip+base64 (deterministic: node's gzip header has no mtime). */
const COMPRESS_ABOVE = 4096;

function file(path: string, content: string, permissions: string): CloudFile {
  if (Buffer.byteLength(content) > COMPRESS_ABOVE) {
    const packed = gzipSync(Buffer.from(content, "utf8"), { level: 9 }).toString("base64");
    return { path, content: packed, encoding: "gz+b64", permissions, owner: "root:root" };
  }
  return { path, content, permissions, owner: "root:root" };
}

/** Nova refuses user data whose base64 form exceeds 65535 bytes. */
export const NOVA_USER_DATA_LIMIT = 65535;

export function userDataBase64Size(text: string): number {
  return Math.ceil(Buffer.byteLength(text, "utf8") / 3) * 4;
}

/** The controller's cloud-config. */
export function renderJenkinsCloudInit(i: JenkinsCloudInitInput): string {
  checkInput(i);
  const files: CloudFile[] = [
    sshdHardening(false),
    file(
      "/etc/systemd/system/jenkins.service.d/10-jetstream-paas.conf",
      renderJenkinsSystemdDropIn(),
      "0644",
    ),
    file(CASC_FILE, i.casc, "0640"),
    file(PLUGINS_FILE, i.plugins, "0644"),
    file(NGINX_SITE, renderJenkinsNginx(), "0644"),
    file(INSTALL_SCRIPT_PATH, renderJenkinsInstallScript(i), "0755"),
  ];
  if (i.seedJobs) files.push(file(SEED_JOBS_FILE, i.seedJobs, "0640"));
  for (const s of [...i.secrets].sort((a, b) => a.path.localeCompare(b.path))) {
    files.push(file(s.path, s.content, "0600"));
  }
  const text = renderCloudConfig({
    hostname: i.hostname,
    manage_etc_hosts: true,
    ssh_pwauth: false,
    disable_root: true,
    package_update: true,
    // Only root may read the metadata service (it serves this user data, secrets included);
    // re-applied at every boot.
    bootcmd: [
      `iptables -C OUTPUT -d ${METADATA_IP}/32 -m owner ! --uid-owner 0 -j REJECT 2>/dev/null || iptables -I OUTPUT -d ${METADATA_IP}/32 -m owner ! --uid-owner 0 -j REJECT`,
    ],
    write_files: files,
    runcmd: [["systemctl", "restart", "ssh"], [INSTALL_SCRIPT_PATH]],
    final_message: "jetstream-paas jenkins: cloud-init finished after $UPTIME s",
  });
  const size = userDataBase64Size(text);
  if (size > NOVA_USER_DATA_LIMIT) {
    throw new Error(
      `${i.hostname} user data is ${size} bytes in base64; Nova accepts ${NOVA_USER_DATA_LIMIT} (fewer pipelines per controller)`,
    );
  }
  return text;
}
