import type { Command } from "commander";
import type { Config } from "../../config/schema.js";
import { configExists, loadConfig, updateConfig } from "../../config/store.js";
import { chooseRoute, type RouteChoice, type UpRoute } from "../../tunnel/choose.js";
import { cloudflaredInstallHint, findCloudflared } from "../../tunnel/find-cloudflared.js";
import { checkNgrokAuthtoken } from "../../tunnel/ngrok.js";
import { isTunnelServiceUrl } from "../../tunnel/quick-url.js";
import { tunnelSettings, type TunnelFlags } from "../../tunnel/settings.js";
import type { TunnelHandle } from "../../tunnel/types.js";
import { CliError, home, parseMinutes, parsePort, print } from "../io.js";
import { printBuilderFields } from "../present.js";
import { startServing } from "../serving.js";
import { checkWorkspaceFolder, upsertWorkspace } from "../workspaces.js";
import { addRouteOptions, parseProvider, startRoute } from "./tunnel.js";

const UP_ROUTES = ["cloudflared", "ngrok", "custom", "none"] as const;

/** Refuse a route that cannot work before anything is started (missing binary, no custom URL). */
function checkRoute(choice: RouteChoice, config: Config, flags: TunnelFlags): void {
  if (choice.route === "cloudflared") findCloudflared(tunnelSettings(config, flags));
  if (choice.route === "ngrok") checkNgrokAuthtoken();
  if (choice.route === "custom" && !config.public_base_url) {
    throw new CliError("--tunnel custom uses your own HTTPS URL, but none is set. Set it first: chatgpt-codex set-public-url https://your-route.example.com");
  }
}

/** Without a route ChatGPT cannot reach this computer: say how to get one. */
function explainNoRoute(choice: RouteChoice, config: Config): void {
  print("");
  print(`No public route started (${choice.reason}). ChatGPT cannot reach 127.0.0.1; to get a public HTTPS URL:`);
  if (choice.cloudflaredMissing) {
    for (const line of cloudflaredInstallHint().split("\n")) print(`  ${line}`);
  } else {
    print("  - cloudflared quick tunnel: npm start -- --tunnel cloudflared (install cloudflared first)");
    print("  - ngrok: NGROK_AUTHTOKEN=… npm start -- --tunnel ngrok");
    print("  - your own HTTPS route: chatgpt-codex set-public-url https://…, then --tunnel custom");
  }
  if (config.public_base_url && isTunnelServiceUrl(config.public_base_url)) {
    print(`  Note: the stored public URL ${config.public_base_url} came from an earlier tunnel and is probably gone.`);
  }
}

export function register(program: Command): void {
  program
    .command("serve")
    .description("Run the local Actions server (127.0.0.1:8766 by default) until Ctrl-C")
    .option("--ttl-minutes <n>", "access expires N minutes from now")
    .option("--host <host>", "address to listen on (default 127.0.0.1)")
    .option("--port <port>", "port to listen on; 0 picks a free one")
    .option("--dashboard-port <port>", "the owner's dashboard port (default 8767; 0 picks a free one)")
    .action(async (opts: { ttlMinutes?: string; host?: string; port?: string; dashboardPort?: string }) => {
      const ttlMinutes = parseMinutes(opts.ttlMinutes);
      const port = parsePort(opts.port);
      const dashboardPort = parsePort(opts.dashboardPort, "--dashboard-port");
      if (!configExists(home())) {
        throw new CliError("no config yet. Run: chatgpt-codex up --workspace /path/to/project (or channel register)");
      }
      await startServing({ home: home(), host: opts.host, port, ttlMinutes, dashboardPort });
    });

  const up = program
    .command("up")
    .description("Register the workspace, serve it, open the public route, print the GPT Builder fields")
    .option("--workspace <path>", "project folder to register and activate")
    .option("--tunnel <route>", "cloudflared | ngrok | custom | none (default: cloudflared if installed)")
    .option("--ttl-minutes <n>", "access expires N minutes from now")
    .option("--port <port>", "port to listen on; 0 picks a free one")
    .option("--dashboard-port <port>", "the owner's dashboard port (default 8767; 0 picks a free one)");
  addRouteOptions(up).action(async (opts: { workspace?: string; tunnel?: string; ttlMinutes?: string; port?: string; dashboardPort?: string } & TunnelFlags) => {
    const ttlMinutes = parseMinutes(opts.ttlMinutes);
    const port = parsePort(opts.port);
    const dashboardPort = parsePort(opts.dashboardPort, "--dashboard-port");
    const requested = opts.tunnel === undefined ? undefined : (parseProvider(opts.tunnel, "--tunnel", UP_ROUTES) as UpRoute);
    const folder = opts.workspace === undefined ? undefined : checkWorkspaceFolder(opts.workspace, false);
    const fresh = !configExists(home());
    const config = updateConfig(
      home(),
      (c) => {
        if (folder !== undefined) c.active_workspace = upsertWorkspace(c, folder);
      },
      { create: true },
    );
    if (config.workspaces.length === 0) {
      throw new CliError("no workspace yet. Run: npm start -- --workspace /path/to/project", 2);
    }
    if (fresh) print(`Created private config with a new token in ${home()}`);
    if (config.access.revoked_at) {
      print("Warning: the channel is revoked; actions are refused until you run: chatgpt-codex channel renew");
    }
    const choice: RouteChoice = requested ? { route: requested, reason: "--tunnel" } : chooseRoute(config, tunnelSettings(config, opts));
    checkRoute(choice, config, opts);

    let route: TunnelHandle | undefined;
    const opensRoute = choice.route === "cloudflared" || choice.route === "ngrok";
    const server = await startServing({
      home: home(),
      port,
      ttlMinutes,
      dashboardPort,
      publicUrlNote: opensRoute ? `(starting ${choice.route}…)` : undefined,
      onClose: async () => {
        await route?.stop();
      },
    });
    if (choice.route === "none") {
      explainNoRoute(choice, config);
    } else {
      print(`Route: ${choice.route} (${choice.reason})`);
      try {
        route = await startRoute(choice.route, config, server.port, opts);
      } catch (error) {
        await server.close();
        throw error;
      }
    }
    printBuilderFields(loadConfig(home()), { token: config.token, localUrl: server.url });
    print("");
    print("Check the route: chatgpt-codex verify");
    if (route && !route.stable) print("This URL lasts until you stop this command; a restart gets a new one (then re-import the schema).");
  });
}
