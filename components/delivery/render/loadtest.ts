// `jsp-loadtest`: the one load test of the platform. It runs hey (Debian/Ubuntu package `hey`;
// the Flagger load tester image ships it too: fluxcd/flagger Dockerfile.loadtester, v1.44.0)
// for a bounded time, reads hey's own summary (95th percentile, status codes, transport
// errors) and exits 1 when the p95 latency or the error rate is over its threshold. The
// release pipeline runs it on the agents after each site's deploy; Flagger's load tester runs
// the same script as a blocking `bash` webhook in every canary analysis step, where a non-zero
// exit is a failed check. POSIX sh + awk, so it also runs under busybox in the load tester.
import type { LoadProfile } from "../../config/load-test";

export const LOADTEST_SCRIPT_NAME = "jsp-loadtest";
/** Where agents have it (cloud-init) and where the load tester mounts it (ConfigMap). */
export const LOADTEST_AGENT_PATH = `/usr/local/bin/${LOADTEST_SCRIPT_NAME}`;
export const LOADTEST_LOADTESTER_DIR = "/opt/jetstream-paas";

export function renderLoadTestScript(): string {
  return `#!/bin/sh
# Rendered by jetstream-paas (components/delivery/render/loadtest.ts).
# jsp-loadtest --url URL [--duration 30s] [--qps 10] [--concurrency 2] [--p95-ms 500]
#              [--max-error-rate 1] [--header 'name: value'] [--report FILE] [--name NAME]
# Sends hey's bounded load to URL and fails (exit 1) when the 95th percentile latency is
# above --p95-ms or more than --max-error-rate percent of the requests failed (no answer or
# HTTP 5xx), or when no request got a 2xx/3xx answer at all. Exit 2: bad arguments.
set -eu

url='' duration=30s qps=10 concurrency=2 p95_ms=500 max_error_rate=1 header='' report='' name=load
usage() { echo "jsp-loadtest: $1 (see the header of $0)" >&2; exit 2; }
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || usage "$1 needs a value"
  case "$1" in
    --url) url=$2 ;;
    --duration) duration=$2 ;;
    --qps) qps=$2 ;;
    --concurrency) concurrency=$2 ;;
    --p95-ms) p95_ms=$2 ;;
    --max-error-rate) max_error_rate=$2 ;;
    --header) header=$2 ;;
    --report) report=$2 ;;
    --name) name=$2 ;;
    *) usage "unknown option $1" ;;
  esac
  shift 2
done
case "$url" in http://* | https://*) ;; *) usage "--url must be an http(s) URL" ;; esac
echo "$duration" | grep -Eqx '[1-9][0-9]*(s|m)' || usage "--duration must be like 30s or 2m"
for n in "$qps" "$concurrency" "$p95_ms"; do
  echo "$n" | grep -Eqx '[1-9][0-9]*' || usage "--qps, --concurrency and --p95-ms must be positive integers"
done
echo "$max_error_rate" | grep -Eqx '[0-9]+(\\.[0-9]+)?' || usage "--max-error-rate must be a percentage"

out=$(mktemp)
trap 'rm -f "$out"' EXIT
if [ -n "$header" ]; then
  hey -z "$duration" -q "$qps" -c "$concurrency" -t 10 -H "$header" "$url" >"$out"
else
  hey -z "$duration" -q "$qps" -c "$concurrency" -t 10 "$url" >"$out"
fi
[ -z "$report" ] || cp "$out" "$report"

awk -v name="$name" -v url="$url" -v p95max="$p95_ms" -v errmax="$max_error_rate" '
  /^Latency distribution:/ { section = "lat"; next }
  /^Status code distribution:/ { section = "status"; next }
  /^Error distribution:/ { section = "error"; next }
  /^[A-Z]/ { section = "" }
  $1 == "Slowest:" { slowest = $2 * 1000; haveslow = 1 }
  section == "lat" && $1 == "95%" && $3 + 0 > 0 { p95 = $3 * 1000; havep95 = 1 }
  section == "status" && $1 ~ /^\\[[0-9]+\\]$/ {
    code = substr($1, 2, length($1) - 2) + 0; n = $2 + 0; total += n
    if (code >= 500) errors += n; else if (code < 400) ok += n
  }
  section == "error" && $1 ~ /^\\[[0-9]+\\]$/ {
    n = substr($1, 2, length($1) - 2) + 0; total += n; errors += n
  }
  END {
    # hey prints no (or a zero) 95th percentile for small runs: the slowest answer bounds it
    if (!havep95 && haveslow && ok > 0) { p95 = slowest; havep95 = 1 }
    rate = total > 0 ? 100 * errors / total : 100
    fail = ""
    if (ok == 0) fail = fail " no 2xx/3xx answer;"
    if (rate > errmax) fail = fail sprintf(" error rate %.2f%% > %s%%;", rate, errmax)
    if (!havep95) fail = fail " no latency measured;"
    else if (p95 > p95max) fail = fail sprintf(" p95 %.1f ms > %s ms;", p95, p95max)
    printf "jsp-loadtest: %s %s: %d requests, %d errors (%.2f%%, max %s%%), p95 %s ms (max %s ms): %s\\n", \\
      name, url, total, errors, rate, errmax, havep95 ? sprintf("%.1f", p95) : "n/a", p95max, \\
      fail == "" ? "PASS" : "FAIL:" fail
    exit fail == "" ? 0 : 1
  }
' "$out"
`;
}

/** Single-quotes a word for sh (the values are validated by the schema; this keeps it safe anyway). */
export function shQuote(s: string): string {
  return /^[A-Za-z0-9@%+=:,./_-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}

export interface LoadTestTarget {
  /** base URL, http(s)://host[:port], without the path */
  url: string;
  /** a request header, e.g. `x-jsp-colour: green` (given literally, or as a shell word by the caller) */
  header?: string;
  name: string;
  report?: string;
}

/** The arguments of one run, in a fixed order (what both the pipeline and Flagger execute). */
export function loadTestArgs(profile: LoadProfile, target: LoadTestTarget): string[] {
  if (!/^https?:\/\/[A-Za-z0-9.-]+(:[0-9]+)?$/.test(target.url))
    throw new Error(`load test url "${target.url}" must be http(s)://host[:port] without a path`);
  const args = [
    "--name",
    target.name,
    "--url",
    `${target.url}${profile.path}`,
    "--duration",
    profile.duration,
    "--qps",
    String(profile.qps),
    "--concurrency",
    String(profile.concurrency),
    "--p95-ms",
    String(profile.p95Ms),
    "--max-error-rate",
    String(profile.maxErrorRatePercent),
  ];
  if (target.header !== undefined) args.push("--header", target.header);
  if (target.report !== undefined) args.push("--report", target.report);
  return args;
}
