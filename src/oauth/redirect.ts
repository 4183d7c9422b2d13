/**
 * The redirect allow list: which redirect URIs a client may register and be
 * sent to. A pattern is an exact URI, a prefix ending in `/*` (any path below
 * it), or `scheme://host:*` (any port, any path; for loopback desktop clients).
 *
 * A candidate must be in canonical form (what the URL parser would print), so
 * look-alikes that parse to something else — user info (`https://chatgpt.com@evil/`),
 * dot segments, backslashes, upper case, percent-encoded separators — never match.
 */
export function redirectAllowed(uri: string, allow: readonly string[]): boolean {
  if (typeof uri !== "string" || uri.length === 0 || uri.length > 2048) return false;
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return false;
  }
  if (url.href !== uri) return false;
  if (url.username || url.password || url.hash || uri.includes("#")) return false;
  if (url.protocol !== "https:" && url.protocol !== "http:") return false;
  // Plain http only to this computer's loopback names.
  if (url.protocol === "http:" && !["127.0.0.1", "localhost", "[::1]"].includes(url.hostname)) return false;
  if (/%(2e|2f|5c|00)/i.test(url.pathname) || url.pathname.includes("\\")) return false;
  return allow.some((pattern) => matches(url, uri, pattern));
}

function matches(url: URL, uri: string, pattern: string): boolean {
  const anyPort = /^(https?:\/\/[^/:]+):\*$/.exec(pattern);
  if (anyPort) {
    let base: URL;
    try {
      base = new URL(anyPort[1]!);
    } catch {
      return false;
    }
    return url.protocol === base.protocol && url.hostname === base.hostname;
  }
  if (pattern.endsWith("/*")) {
    const prefix = pattern.slice(0, -1); // keeps the trailing slash
    let base: URL;
    try {
      base = new URL(prefix);
    } catch {
      return false;
    }
    if (base.href !== prefix) return false;
    // Same origin, path below the prefix, no query (nothing rides along to the client).
    return url.origin === base.origin && url.pathname.startsWith(base.pathname) && url.pathname.length > base.pathname.length && url.search === "";
  }
  return uri === pattern;
}
