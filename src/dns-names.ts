// DNS names of the public entry, one owner for the rules: the config schema validates with
// these, the DNS component plans records with them, the edge asks for certificates for them and
// the checker moves them. Names are absolute (trailing dot) inside the code; certificates and
// SNI use them without the dot.

const LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const ZONE_RE = new RegExp(`^(?:${LABEL}\\.)+$`);
const RELATIVE_RE = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);

/** A zone as Designate writes it: lowercase labels, each ending in a dot (`alloc.projects.jetstream-cloud.org.`). */
export function isZoneName(s: string): boolean {
  return ZONE_RE.test(s) && s.length <= 254 && s.split(".").length >= 3;
}

/**
 * A record name as config gives it: `@` (the zone apex), a name relative to the zone
 * (`weather`, `api.weather`) or an absolute name inside the zone (`weather.<zone>`).
 */
export function isRecordName(s: string): boolean {
  return s === "@" || RELATIVE_RE.test(s) || ZONE_RE.test(s);
}

/** The absolute name (trailing dot) of a config record name in `zone`; undefined when it lies outside. */
export function fqdnIn(zone: string, name: string): string | undefined {
  if (name === "@") return zone;
  if (name.endsWith(".")) return name === zone || name.endsWith(`.${zone}`) ? name : undefined;
  return `${name}.${zone}`;
}

/** `weather.alloc.projects.jetstream-cloud.org.` -> `weather.alloc.projects.jetstream-cloud.org` */
export function withoutDot(fqdn: string): string {
  return fqdn.endsWith(".") ? fqdn.slice(0, -1) : fqdn;
}

/** The operators' name of one site's edge: `iu.<zone>`. */
export function siteFqdn(zone: string, site: string): string {
  return `${site}.${zone}`;
}

/** The part of an absolute name before the zone (`weather`; `@` for the apex). */
export function relativeName(zone: string, fqdn: string): string {
  if (fqdn === zone) return "@";
  return fqdn.endsWith(`.${zone}`) ? fqdn.slice(0, -(zone.length + 1)) : fqdn;
}

/** The public names in order: the base name first, then the app names sorted, without repeats. */
export function publicNames(zone: string, baseName: string, appNames: readonly string[]): string[] {
  const base = fqdnIn(zone, baseName);
  if (!base) throw new Error(`dns: baseName ${baseName} is not inside zone ${zone}`);
  const apps = appNames.map((n) => {
    const f = fqdnIn(zone, n);
    if (!f) throw new Error(`dns: appNames entry ${n} is not inside zone ${zone}`);
    return f;
  });
  return [base, ...[...new Set(apps)].filter((f) => f !== base).sort()];
}
