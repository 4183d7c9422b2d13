import type { Command } from "commander";
import { configExists, loadConfig } from "../../config/store.js";
import type { Config } from "../../config/schema.js";
import { cloudflaredAvailable } from "../../tunnel/find-cloudflared.js";
import { isTunnelServiceUrl } from "../../tunnel/quick-url.js";
import { tunnelSettings } from "../../tunnel/settings.js";
import { cliCommand } from "../../core/launcher.js";
import { t, type MessageKey } from "../i18n/index.js";
import { home, print, printJson } from "../io.js";
import { level } from "../style.js";

export interface RouteOption {
  route: "cloudflared" | "cloudflared-named" | "ngrok" | "custom" | "local";
  ready: boolean;
  stable_url: boolean;
  command: string;
  /** What is missing when not ready. */
  needs: string | null;
}

/** Every way ChatGPT (or a local MCP client) can reach the server, and whether this computer is ready for it. */
export function routeOptions(config: Config | undefined, env: NodeJS.ProcessEnv = process.env): RouteOption[] {
  const settings = config ? tunnelSettings(config, {}, env) : undefined;
  const cloudflared = settings ? cloudflaredAvailable(settings, env) : false;
  const named = Boolean(config?.tunnel.hostname && config.tunnel.cloudflared_token_file);
  const ngrokToken = Boolean(env.NGROK_AUTHTOKEN);
  const custom = config?.public_base_url ?? null;
  const customReady = custom !== null && custom.startsWith("https://") && !isTunnelServiceUrl(custom);
  return [
    { route: "cloudflared", ready: cloudflared, stable_url: false, command: "up --tunnel cloudflared", needs: cloudflared ? null : "cloudflared" },
    {
      route: "cloudflared-named",
      ready: cloudflared && named,
      stable_url: true,
      command: "up --tunnel cloudflared --hostname HOST --cloudflared-token-file FILE",
      needs: cloudflared ? (named ? null : "hostname + token file") : "cloudflared",
    },
    { route: "ngrok", ready: ngrokToken, stable_url: Boolean(config?.tunnel.ngrok_domain), command: "up --tunnel ngrok", needs: ngrokToken ? null : "NGROK_AUTHTOKEN" },
    { route: "custom", ready: customReady, stable_url: true, command: "set-public-url https://… && up --tunnel custom", needs: customReady ? null : "https URL" },
    { route: "local", ready: true, stable_url: true, command: "mcp-config --local", needs: null },
  ];
}

export function register(program: Command): void {
  program
    .command("route-options")
    .description(t("routes.desc"))
    .option("--json", t("opt.json"))
    .addHelpText("after", t("routes.example"))
    .action((opts: { json?: boolean }) => {
      const config = configExists(home()) ? loadConfig(home()) : undefined;
      const options = routeOptions(config);
      if (opts.json) return printJson({ routes: options });
      for (const option of options) {
        const mark = option.ready ? level(t("routes.ready"), "ok") : level(t("routes.notReady"), "warn");
        print(`${mark}  ${t(`routes.${option.route}` as MessageKey)}`);
        print(`        ${t("routes.command", { command: cliCommand(option.command) })}`);
        if (option.needs) print(`        ${t("routes.needs", { needs: option.needs })}`);
      }
    });
}
