// IPv4 CIDR arithmetic for config validation and address planning. Pure, no dependencies:
// the schema calls it while parsing, before any resource exists.

export interface Cidr {
  /** network address as an unsigned 32-bit integer */
  readonly base: number;
  readonly prefix: number;
  readonly text: string;
}

const CIDR_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const IP_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function octets(parts: string[]): number | undefined {
  let n = 0;
  for (const p of parts) {
    const v = Number(p);
    if (!Number.isInteger(v) || v < 0 || v > 255 || (p.length > 1 && p.startsWith("0"))) return undefined;
    n = n * 256 + v;
  }
  return n;
}

/** Parses "a.b.c.d"; undefined if it is not a dotted-quad IPv4 address. */
export function parseIp(text: string): number | undefined {
  const m = IP_RE.exec(text);
  return m ? octets(m.slice(1, 5)) : undefined;
}

export function formatIp(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".");
}

/**
 * Parses "a.b.c.d/n". Host bits must be zero ("10.0.0.5/24" is refused): a CIDR with host
 * bits set is almost always a typo for a different network.
 */
export function parseCidr(text: string): Cidr | undefined {
  const m = CIDR_RE.exec(text);
  if (!m) return undefined;
  const base = octets(m.slice(1, 5));
  const prefix = Number(m[5]);
  if (base === undefined || prefix > 32) return undefined;
  if ((base & hostMask(prefix)) >>> 0 !== 0) return undefined;
  return { base, prefix, text };
}

function hostMask(prefix: number): number {
  return prefix === 0 ? 0xffffffff : (2 ** (32 - prefix) - 1) >>> 0;
}

export function cidrSize(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

export function cidrContainsIp(c: Cidr, ip: number): boolean {
  return ip >= c.base && ip < c.base + cidrSize(c);
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + cidrSize(b) && b.base < a.base + cidrSize(a);
}

/** The n-th host address in a CIDR (1 = first usable on an OpenStack subnet, the gateway). */
export function cidrHost(c: Cidr, n: number): string {
  if (n < 0 || n >= cidrSize(c)) throw new RangeError(`host ${n} is outside ${c.text}`);
  return formatIp(c.base + n);
}

/** True for 0.0.0.0/0 and other prefixes so wide they mean "the world". */
export function isWorldOpen(text: string): boolean {
  const c = parseCidr(text);
  return c !== undefined && c.prefix < 8;
}
