// Names for cloud resources. OpenStack accepts almost anything, but VM names become host
// names, and Kubespray refuses host names that are not lowercase RFC 1123 labels.

const LABEL_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export function isDnsLabel(s: string): boolean {
  return LABEL_RE.test(s);
}

/** Joins parts with "-" after lowercasing them, and checks the result is a DNS label. */
export function resourceName(...parts: string[]): string {
  const name = parts
    .filter((p) => p.length > 0)
    .join("-")
    .toLowerCase();
  if (!isDnsLabel(name)) {
    throw new Error(`"${name}" is not a lowercase RFC 1123 label (a-z, 0-9, "-", at most 63 characters)`);
  }
  return name;
}
