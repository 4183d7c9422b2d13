import type { Config } from "../config/schema.js";
import { cloudflaredAvailable } from "./find-cloudflared.js";
import { isTunnelServiceUrl } from "./quick-url.js";
import type { TunnelSettings } from "./settings.js";
import type { TunnelProviderName } from "./types.js";

export type UpRoute = TunnelProviderName | "none";

export interface RouteChoice {
  route: UpRoute;
  /** Why, in one line, when the choice was not given on the command line. */
  reason: string;
  /** Set when `none` was chosen only because cloudflared is not installed. */
  cloudflaredMissing?: boolean;
}

/**
 * The route `up` starts when --tunnel is not given: the one the config names;
 * else keep a URL the user set up by hand (custom); else cloudflared when it
 * can be found; else none, and the caller explains how to get a public URL.
 */
export function chooseRoute(config: Config, settings: TunnelSettings, env: NodeJS.ProcessEnv = process.env): RouteChoice {
  if (config.tunnel.provider) return { route: config.tunnel.provider, reason: "tunnel.provider in the config" };
  const current = config.public_base_url;
  if (current && !isTunnelServiceUrl(current)) {
    return { route: "custom", reason: `your own route ${current} is set (use --tunnel cloudflared to replace it)` };
  }
  if (cloudflaredAvailable(settings, env)) return { route: "cloudflared", reason: "cloudflared was found" };
  return { route: "none", reason: "cloudflared was not found", cloudflaredMissing: true };
}
