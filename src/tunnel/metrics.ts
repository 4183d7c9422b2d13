import { createServer } from "node:net";
import { quickTunnelUrlFromHostname } from "./quick-url.js";
import { readReply } from "../ground/httpJson.js";

/**
 * cloudflared's local metrics server (`--metrics 127.0.0.1:PORT`) tells what
 * the log says, in a form that does not depend on log wording:
 * `GET /quicktunnel` → `{"hostname": "<sub>.trycloudflare.com"}` and
 * `GET /ready` → 200 once a connection to Cloudflare is up, 503 before.
 */

/** A free loopback port for the metrics server (we pick it so we know where to ask). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

async function getJson(url: string, timeoutMs: number): Promise<{ status: number; body: unknown }> {
  const { status, json } = await readReply(await fetch(url, { signal: AbortSignal.timeout(timeoutMs) }));
  return { status, body: json };
}

/** The quick tunnel's URL from the metrics server, or undefined (not known yet, or no answer). */
export async function quickTunnelUrlFromMetrics(metricsAddress: string, timeoutMs = 1_000): Promise<string | undefined> {
  try {
    const { status, body } = await getJson(`http://${metricsAddress}/quicktunnel`, timeoutMs);
    if (status !== 200 || typeof body !== "object" || body === null) return undefined;
    return quickTunnelUrlFromHostname((body as { hostname?: unknown }).hostname);
  } catch {
    return undefined;
  }
}

/** Whether the tunnel has a live connection to Cloudflare. */
export async function tunnelReady(metricsAddress: string, timeoutMs = 1_000): Promise<boolean> {
  try {
    return (await getJson(`http://${metricsAddress}/ready`, timeoutMs)).status === 200;
  } catch {
    return false;
  }
}
