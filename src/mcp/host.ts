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

/**
 * Whether a request is for the MCP face: the route the router matched (so
 * `/%6dcp` and any other spelling the router accepts count), and, as a second
 * net, any URL whose path decodes to /mcp ignoring case, repeated or trailing
 * slashes, dot segments and what follows `?`, `;` or `#`.
 */
export function isMcpRequest(request: { url: string; routeOptions?: { url?: string } }, mcpPath = "/mcp"): boolean {
  const route = request.routeOptions?.url;
  if (route !== undefined && route.toLowerCase().startsWith(mcpPath)) return true;
  return normalizedPath(request.url) === mcpPath;
}

function normalizedPath(url: string): string {
  let path = url.split(/[?#;]/, 1)[0] ?? "";
  // Decode repeatedly (bounded): %256dcp → %6dcp → mcp.
  for (let i = 0; i < 3; i++) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      break;
    }
    if (decoded === path) break;
    path = decoded.split(/[?#;]/, 1)[0] ?? "";
  }
  const parts: string[] = [];
  for (const part of path.replace(/\\/g, "/").split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return `/${parts.join("/")}`.toLowerCase();
}
