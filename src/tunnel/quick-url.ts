/**
 * A quick tunnel's URL as cloudflared logs it (to stderr, inside a box):
 *   INF |  https://some-random-words.trycloudflare.com   |
 * `api.trycloudflare.com` is the service cloudflared asks for a tunnel; it
 * shows up in error lines and is never the tunnel's own URL.
 */
const QUICK_URL = /https:\/\/([a-z0-9-]+)\.trycloudflare\.com(?![\w.-])/g;

export function extractQuickTunnelUrl(line: string): string | undefined {
  for (const match of line.matchAll(QUICK_URL)) {
    if (match[1] !== "api") return `https://${match[1]}.trycloudflare.com`;
  }
  return undefined;
}

/** The hostname `/quicktunnel` reports, as a base URL (undefined while it is still empty). */
export function quickTunnelUrlFromHostname(hostname: unknown): string | undefined {
  if (typeof hostname !== "string") return undefined;
  const host = hostname.trim().toLowerCase();
  return /^[a-z0-9-]+\.trycloudflare\.com$/.test(host) && !host.startsWith("api.") ? `https://${host}` : undefined;
}

/**
 * A URL handed out by a tunnel service (quick tunnel or ngrok) rather than the
 * user's own route: `up` may replace it, but must never overwrite a route the
 * user set up by hand.
 */
export function isTunnelServiceUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return false;
  }
  return /\.(trycloudflare\.com|ngrok-free\.app|ngrok-free\.dev|ngrok\.io|ngrok\.app)$/.test(host);
}
