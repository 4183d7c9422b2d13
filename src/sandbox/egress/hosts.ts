/**
 * Host names as the egress proxy compares them: one spelling per host, and the patterns
 * a policy lists (exact names, "*.example.org", IP literals).
 */
import { isIP } from "node:net";

const MAX_NAME = 253;
const MAX_LABEL = 63;
const NAME = /^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/;
/** A last label a resolver reads as a number ("127.1", "0x7f.1", "2130706433"): an IPv4 address in disguise. */
const NUMERIC_LABEL = /^(0x[0-9a-f]*|[0-9]+)$/;

/**
 * The one spelling of a host: lower case, no trailing dot, IPv6 without brackets and in
 * its shortest form. null for anything that is no host name or IP literal: empty, longer
 * than 253 characters, a character outside letters, digits, "-", "_" and ".", an empty or
 * too long label, an IPv6 zone, or a name whose last label is a number (resolvers would
 * read it as an IPv4 address written in an unusual way).
 */
export function normalizeHost(host: string): string | null {
  if (typeof host !== "string") return null;
  let name = host.toLowerCase();
  const bracketed = /^\[(.*)\]$/.exec(name);
  if (bracketed || name.includes(":")) {
    const inner = bracketed ? (bracketed[1] ?? "") : name;
    if (isIP(inner) !== 6 || inner.includes("%")) return null;
    return canonicalV6(inner);
  }
  if (name.endsWith(".")) name = name.slice(0, -1);
  if (name === "" || name.length > MAX_NAME) return null;
  if (isIP(name) === 4) return name;
  if (!NAME.test(name)) return null;
  const labels = name.split(".");
  if (labels.some((label) => label.length > MAX_LABEL)) return null;
  if (NUMERIC_LABEL.test(labels[labels.length - 1] ?? "")) return null;
  return name;
}

/**
 * Does the host match one of the patterns? A pattern is an exact host name, an IP
 * literal, or "*.example.org" for every sub-domain of example.org (not example.org
 * itself). Patterns that are none of these match nothing.
 */
export function hostMatches(host: string, patterns: readonly string[]): boolean {
  const name = normalizeHost(host);
  if (name === null) return false;
  const literal = isIP(name) !== 0;
  for (const pattern of patterns) {
    if (pattern.startsWith("*.")) {
      const parent = normalizeHost(pattern.slice(2));
      if (parent !== null && !literal && isIP(parent) === 0 && name.endsWith(`.${parent}`)) return true;
    } else if (normalizeHost(pattern) === name) {
      return true;
    }
  }
  return false;
}

/** The shortest spelling of an IPv6 address, as the URL standard writes it. */
function canonicalV6(address: string): string {
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}
