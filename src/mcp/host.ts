/**
 * DNS-rebinding protection for /mcp: a web page that makes its own domain
 * resolve to 127.0.0.1 still sends its own name in `Host`, so only the names
 * this server is really reached by are accepted.
 */
const LOOPBACK_NAMES = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** The host name (lower case, IPv6 in brackets, no port) of a Host header or URL authority. */
function hostName(authority: string): string | undefined {
  try {
    const url = new URL(`http://${authority}`);
    // Anything beyond a bare host[:port] (user info, a path) is not a Host header value.
    if (url.username || url.password || url.pathname !== "/" || url.search || url.hash) return undefined;
    return url.hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

/**
 * Whether `host` names this server: a loopback name on any port, or the host of
 * the public URL the user set (a tunnel forwards that name). The port is not
 * compared: a rebinding attack changes the name, and tunnels differ on ports.
 */
export function hostAllowed(host: string | undefined, publicBaseUrl: string | null | undefined): boolean {
  if (!host) return false;
  const name = hostName(host);
  if (name === undefined) return false;
  if (LOOPBACK_NAMES.has(name)) return true;
  if (!publicBaseUrl) return false;
  try {
    return new URL(publicBaseUrl).hostname.toLowerCase() === name;
  } catch {
    return false;
  }
}
