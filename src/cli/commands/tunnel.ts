import type { Command } from "commander";
import type { Config } from "../../config/schema.js";
import { loadConfig } from "../../config/store.js";
import { runningServer } from "../../server/instanceLock.js";
import { closeOnSignals } from "../../server/listen.js";
import { reimportNotice, type Published } from "../../tunnel/publish.js";
import { tunnelSettings, type TunnelFlags } from "../../tunnel/settings.js";
import { localTarget, startTunnel } from "../../tunnel/start.js";
import { TUNNEL_PROVIDERS, type TunnelHandle, type TunnelLog, type TunnelProviderName } from "../../tunnel/types.js";
import { orList, t } from "../i18n/index.js";
import { home, parsePort, print, UsageError } from "../io.js";

/** Route options shared by `tunnel` and `up` (they fall back to config.tunnel). */
export function addRouteOptions(command: Command): Command {
  return command
    .option("--hostname <host>", t("opt.hostname"))
    .option("--cloudflared-token-file <file>", t("opt.cfTokenFile"))
    .option("--ngrok-domain <domain>", t("opt.ngrokDomain"));
}

export function parseProvider(value: string, flag: string, allowed: readonly string[]): string {
  if (!allowed.includes(value)) throw new UsageError(t("usage.oneOf", { flag, allowed: orList(allowed), value }));
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
    print(t("tunnel.published", { url: published.url }));
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
    log.warn(t("tunnel.notOurs", { target }));
  } catch {
    log.warn(t("tunnel.noServer", { target, args: port === config.server.port ? "" : ` --port ${port}` }));
  }
}

export function register(program: Command): void {
  const command = program
    .command("tunnel")
    .description(t("tunnel.desc"))
    .option("--provider <name>", t("opt.provider"))
    .option("--port <port>", t("opt.tunnelPort"))
    .addHelpText("after", t("tunnel.example"));
  addRouteOptions(command).action(async (opts: { provider?: string; port?: string } & TunnelFlags) => {
    const port = parsePort(opts.port);
    const config = loadConfig(home());
    const configured = config.tunnel.provider === "none" ? undefined : config.tunnel.provider;
    const provider = parseProvider(opts.provider ?? configured ?? "cloudflared", "--provider", TUNNEL_PROVIDERS) as TunnelProviderName;
    // Without --port: the running server's port (it may have been started with --port 0).
    const localPort = port ?? runningServer(home())?.port ?? config.server.port;
    if (provider !== "custom") await warnIfNoServer(config, localPort);

    const route = await startRoute(provider, config, localPort, opts);
    if (provider === "custom") {
      print(t("tunnel.custom", { url: route.url, port: localPort }));
      print(t("tunnel.checkIt"));
      return;
    }
    const pid = route.pid();
    print(`[tunnel] ${route.kind} → ${localTarget(config.server.host, localPort).url}${pid === undefined ? "" : ` (pid ${pid})`}`);
    print(t("tunnel.schema", { url: `${route.url}/openapi.json` }));
    print(t("tunnel.verifyHint"));
    closeOnSignals(
      () => route.stop(),
      (signal) => print(`\n${t("tunnel.stopping", { signal })}`),
    );
  });
}
