import type { Config } from "../config/schema.js";
import { TunnelError } from "./types.js";

/** Everything a provider needs, merged from flags, config.tunnel and the environment. */
export interface TunnelSettings {
  /** An explicit cloudflared binary (env CHATGPT_CODEX_CLOUDFLARED, then config). */
  cloudflaredPath?: string;
  /** Where `cloudflaredPath` came from, for error messages. */
  cloudflaredPathSource?: string;
  /** Named cloudflared tunnel: file holding its token. */
  tokenFile?: string;
  /** Named cloudflared tunnel: the public hostname routed to it in Cloudflare. */
  hostname?: string;
  /** ngrok reserved (static) domain. */
  ngrokDomain?: string;
  /** How long to wait for the first public URL. */
  urlTimeoutMs: number;
}

export interface TunnelFlags {
  cloudflaredTokenFile?: string;
  hostname?: string;
  ngrokDomain?: string;
}

export const DEFAULT_URL_TIMEOUT_SECONDS = 45;

export function tunnelSettings(config: Config, flags: TunnelFlags = {}, env: NodeJS.ProcessEnv = process.env): TunnelSettings {
  const envPath = env.CHATGPT_CODEX_CLOUDFLARED?.trim();
  const settings: TunnelSettings = {
    tokenFile: flags.cloudflaredTokenFile ?? config.tunnel.cloudflared_token_file,
    hostname: normalizeHostname(flags.hostname ?? config.tunnel.hostname),
    ngrokDomain: normalizeHostname(flags.ngrokDomain ?? config.tunnel.ngrok_domain),
    urlTimeoutMs: timeoutFromEnv(env.CHATGPT_CODEX_TUNNEL_TIMEOUT) * 1000,
  };
  if (envPath) {
    settings.cloudflaredPath = envPath;
    settings.cloudflaredPathSource = "CHATGPT_CODEX_CLOUDFLARED";
  } else if (config.tunnel.cloudflared_path) {
    settings.cloudflaredPath = config.tunnel.cloudflared_path;
    settings.cloudflaredPathSource = "tunnel.cloudflared_path in the config";
  }
  return settings;
}

/** `https://api.example.com/` or `api.example.com` → `api.example.com`. */
export function normalizeHostname(value: string | undefined): string | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const host = value.trim().replace(/^https?:\/\//i, "").replace(/\/+$/, "").toLowerCase();
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(host)) {
    throw new TunnelError(`"${value}" is not a hostname; give it like api.example.com`);
  }
  return host;
}

function timeoutFromEnv(value: string | undefined): number {
  if (value === undefined || value.trim() === "") return DEFAULT_URL_TIMEOUT_SECONDS;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 600) {
    throw new TunnelError(`CHATGPT_CODEX_TUNNEL_TIMEOUT must be seconds between 1 and 600, got "${value}"`);
  }
  return seconds;
}
