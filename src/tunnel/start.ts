import type { Config } from "../config/schema.js";
import { startCloudflared } from "./cloudflared.js";
import { findCloudflared } from "./find-cloudflared.js";
import { startNgrok } from "./ngrok.js";
import { publishUrl, type Published } from "./publish.js";
import type { TunnelSettings } from "./settings.js";
import { TunnelError, type TunnelHandle, type TunnelLog, type TunnelProviderName } from "./types.js";

export interface StartTunnelOptions {
  home: string;
  config: Config;
  settings: TunnelSettings;
  /** The local server's port. */
  port: number;
  log: TunnelLog;
  /** Every URL the route gets, after it is stored (the first one included). */
  onPublished(published: Published, stable: boolean): void;
}

/** The address a tunnel forwards to: the server's own host, loopback when it listens on all. */
export function localTarget(host: string, port: number): { url: string; address: string } {
  const h = host === "0.0.0.0" || host === "::" || host === "localhost" || host === "" ? "127.0.0.1" : host;
  const address = h.includes(":") ? `[${h}]:${port}` : `${h}:${port}`;
  return { url: `http://${address}`, address };
}

/** A custom route starts nothing: it is the public URL the user set. */
function customRoute(config: Config): TunnelHandle {
  const url = config.public_base_url;
  if (!url) {
    throw new TunnelError(
      "the custom route uses your own HTTPS URL, but none is set. Set it first: chatgpt-codex set-public-url https://your-route.example.com",
    );
  }
  return { kind: "custom route", url, stable: true, pid: () => undefined, stop: async () => undefined };
}

/** Start the chosen route and store its URL in the config. */
export async function startTunnel(provider: TunnelProviderName, options: StartTunnelOptions): Promise<TunnelHandle> {
  const target = localTarget(options.config.server.host, options.port);
  if (provider === "custom") return customRoute(options.config);

  if (provider === "ngrok") {
    const handle = await startNgrok({ address: target.address, domain: options.settings.ngrokDomain, log: options.log });
    try {
      options.onPublished(publishUrl(options.home, handle.url), handle.stable);
    } catch (error) {
      await handle.stop();
      throw error;
    }
    return handle;
  }

  const { hostname, tokenFile } = options.settings;
  if (tokenFile !== undefined && hostname === undefined) {
    throw new TunnelError(
      "a named cloudflared tunnel needs the public hostname you routed to it: --hostname api.example.com (or tunnel.hostname in the config)",
    );
  }
  const binary = findCloudflared(options.settings);
  const stable = hostname !== undefined;
  if (stable) {
    // Cloudflare, not this command, decides where a named tunnel forwards to.
    options.log.info(`named tunnel: in the Cloudflare dashboard, ${hostname} must point to the service ${target.url}`);
  }
  return startCloudflared({
    binary,
    target: target.url,
    urlTimeoutMs: options.settings.urlTimeoutMs,
    log: options.log,
    named: stable ? { hostname, tokenFile } : undefined,
    onUrl: (url) => options.onPublished(publishUrl(options.home, url), stable),
  });
}
