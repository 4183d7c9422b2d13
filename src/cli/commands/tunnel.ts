import type { Command } from "commander";
import type { Config } from "../../config/schema.js";
import { loadConfig } from "../../config/store.js";
import { closeOnSignals } from "../../server/listen.js";
import { reimportNotice, type Published } from "../../tunnel/publish.js";
import { tunnelSettings, type TunnelFlags } from "../../tunnel/settings.js";
import { localTarget, startTunnel } from "../../tunnel/start.js";
import { TUNNEL_PROVIDERS, type TunnelHandle, type TunnelLog, type TunnelProviderName } from "../../tunnel/types.js";
import { home, parsePort, print, UsageError } from "../io.js";

/** Route options shared by `tunnel` and `up` (they fall back to config.tunnel). */
export function addRouteOptions(command: Command): Command {
  return command
    .option("--hostname <host>", "named cloudflared tunnel: its public hostname")
    .option("--cloudflared-token-file <file>", "named cloudflared tunnel: file with its token")
    .option("--ngrok-domain <domain>", "ngrok: your reserved domain");
}

export function parseProvider(value: string, flag: string, allowed: readonly string[]): string {
  if (!allowed.includes(value)) throw new UsageError(`${flag} must be ${allowed.join(", ").replace(/, ([^,]*)$/, " or $1")}, got "${value}"`);
  return value;
}

const log: TunnelLog = {
  info: (message) => print(`[tunnel] ${message}`),
  warn: (message) => process.stderr.write(`[tunnel] ${message}\n`),
};

/** Print a stored URL: quietly the first time, loudly (re-import!) when it replaced another. */
export function announce(published: Published, stable: boolean): void {
  if (published.changed && published.previous !== null) {
    print("");
    print(reimportNotice(published, stable));
    print("");
  } else {
    print(`[tunnel] public URL: ${published.url} (stored; /openapi.json names it now)`);
  }
}

/** Start a route to the local server on `port` and store its URL; errors say what to do. */
export async function startRoute(provider: TunnelProviderName, config: Config, port: number, flags: TunnelFlags): Promise<TunnelHandle> {
  const settings = tunnelSettings(config, flags);
  return startTunnel(provider, { home: home(), config, settings, port, log, onPublished: announce });
}

/** Warn (only) when no chatgpt-codex server answers where the tunnel will point. */
async function warnIfNoServer(config: Config, port: number): Promise<void> {
  const target = localTarget(config.server.host, port).url;
  try {
    const response = await fetch(`${target}/health`, { signal: AbortSignal.timeout(1_500) });
    const body = (await response.json()) as { name?: unknown };
    if (body.name === "chatgpt-codex") return;
    log.warn(`${target} answers, but it is not chatgpt-codex; the tunnel will expose that program`);
  } catch {
    log.warn(`no chatgpt-codex server answers at ${target} yet; start it in another terminal: chatgpt-codex serve${port === config.server.port ? "" : ` --port ${port}`}`);
  }
}

export function register(program: Command): void {
  const command = program
    .command("tunnel")
    .description("Give the running local server a public HTTPS URL, store it, and keep it up until Ctrl-C")
    .option("--provider <name>", "cloudflared | ngrok | custom (default: config, else cloudflared)")
    .option("--port <port>", "the local server's port (default: from the config)");
  addRouteOptions(command).action(async (opts: { provider?: string; port?: string } & TunnelFlags) => {
    const port = parsePort(opts.port);
    const config = loadConfig(home());
    const configured = config.tunnel.provider === "none" ? undefined : config.tunnel.provider;
    const provider = parseProvider(opts.provider ?? configured ?? "cloudflared", "--provider", TUNNEL_PROVIDERS) as TunnelProviderName;
    const localPort = port ?? config.server.port;
    if (provider !== "custom") await warnIfNoServer(config, localPort);

    const route = await startRoute(provider, config, localPort, opts);
    if (provider === "custom") {
      print(`Custom route: ${route.url} — nothing to start; it must forward to http://127.0.0.1:${localPort}.`);
      print("Check it end to end: chatgpt-codex verify");
      return;
    }
    const pid = route.pid();
    print(`[tunnel] ${route.kind} → ${localTarget(config.server.host, localPort).url}${pid === undefined ? "" : ` (pid ${pid})`}`);
    print(`[tunnel] schema for GPT Builder: ${route.url}/openapi.json`);
    print("[tunnel] check it: chatgpt-codex verify — stop with Ctrl-C");
    closeOnSignals(
      () => route.stop(),
      (signal) => print(`\n${signal}: stopping the tunnel…`),
    );
  });
}
