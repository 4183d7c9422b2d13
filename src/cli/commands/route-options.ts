import type { Command } from "commander";
import { configExists, loadConfig } from "../../config/store.js";
import type { Config } from "../../config/schema.js";
import { cloudflaredAvailable } from "../../tunnel/find-cloudflared.js";
import { isTunnelServiceUrl } from "../../tunnel/quick-url.js";
import { tunnelSettings } from "../../tunnel/settings.js";
import { cliCommand } from "../../ground/launcher.js";
import { t, type MessageKey } from "../i18n/index.js";
import { home, print, printJson } from "../io.js";
import { stateLabel, type CheckState } from "../checkState.js";

export interface RouteOption {
  route: "cloudflared" | "cloudflared-named" | "ngrok" | "custom" | "tailscale-funnel" | "local" | "stdio" | "secure-mcp-tunnel";
  ready: boolean;
  /** `ready` in the shared check vocabulary: a route that is not ready here is a warning, not a failure. */
  state: CheckState;
  stable_url: boolean;
  /** Our own command (without the `chatgpt-codex` prefix). */
  command: string;
  /** Another program's command to run before ours, when the route needs one. */
  first: string | null;
  /** What is missing when not ready. */
  needs: string | null;
}

/** Every way ChatGPT (or a local MCP client) can reach the server, and whether this computer is ready for it. */
export function routeOptions(config: Config | undefined, env: NodeJS.ProcessEnv = process.env): RouteOption[] {
  return routes(config, env).map((route) => ({ ...route, state: route.ready ? "ok" : "warn" }));
}

function routes(config: Config | undefined, env: NodeJS.ProcessEnv): Omit<RouteOption, "state">[] {
  const settings = config ? tunnelSettings(config, {}, env) : undefined;
  const cloudflared = settings ? cloudflaredAvailable(settings, env) : false;
  const named = Boolean(config?.tunnel.hostname && config.tunnel.cloudflared_token_file);
  const ngrokToken = Boolean(env.NGROK_AUTHTOKEN);
  const custom = config?.public_base_url ?? null;
  const customReady = custom !== null && custom.startsWith("https://") && !isTunnelServiceUrl(custom);
  const funnelReady = customReady && /\.ts\.net$/i.test(hostOf(custom));
  const port = config?.server.port ?? 8766;
  return [
    { route: "cloudflared", ready: cloudflared, stable_url: false, command: "up --tunnel cloudflared", first: null, needs: cloudflared ? null : "cloudflared" },
    {
      route: "cloudflared-named",
      ready: cloudflared && named,
      stable_url: true,
      command: "up --tunnel cloudflared --hostname HOST --cloudflared-token-file FILE",
      first: null,
      needs: cloudflared ? (named ? null : "hostname + token file") : "cloudflared",
    },
    { route: "ngrok", ready: ngrokToken, stable_url: Boolean(config?.tunnel.ngrok_domain), command: "up --tunnel ngrok", first: null, needs: ngrokToken ? null : "NGROK_AUTHTOKEN" },
    { route: "custom", ready: customReady, stable_url: true, command: "set-public-url https://… && up --tunnel custom", first: null, needs: customReady ? null : "https URL" },
    {
      route: "tailscale-funnel",
      ready: funnelReady,
      stable_url: true,
      command: "set-public-url https://MACHINE.TAILNET.ts.net && up --tunnel custom",
      // Tailscale's own command (1.52 or newer): public HTTPS on 443 forwarded to the local port.
      first: `tailscale funnel --bg ${port}`,
      needs: funnelReady ? null : "Tailscale with Funnel + its https://….ts.net URL set",
    },
    { route: "local", ready: true, stable_url: true, command: "mcp-config --local", first: null, needs: null },
    // Clients on this computer launch the stdio face themselves: nothing to start, nothing public.
    { route: "stdio", ready: true, stable_url: true, command: "mcp-config", first: null, needs: null },
    {
      route: "secure-mcp-tunnel",
      // Whether an organisation's tunnel is set up is not visible from here.
      ready: false,
      stable_url: true,
      // Prints the absolute command tunnel-client must start (a `npm run` prefix would write to its stdout).
      command: "mcp-config",
      first: "tunnel-client (OpenAI's Secure MCP Tunnel guide)",
      needs: "OpenAI organisation: tunnel id + runtime API key, tunnel-client",
    },
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
        const mark = stateLabel(option.state);
        print(`${mark}  ${t(`routes.${option.route}` as MessageKey)}`);
        if (option.first) print(`        ${t("routes.first", { command: option.first })}`);
        // Each of our commands in a chain gets the prefix the user launched the tool with.
        print(`        ${t("routes.command", { command: option.command.split(" && ").map(cliCommand).join(" && ") })}`);
        if (option.needs) print(`        ${t("routes.needs", { needs: option.needs })}`);
      }
      print();
      print(t("routes.docs"));
    });
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return "";
  }
}
