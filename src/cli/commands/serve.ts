import type { Command } from "commander";
import type { Config } from "../../config/schema.js";
import { configExists, loadConfig, updateConfig } from "../../config/store.js";
import { chooseRoute, type RouteChoice, type UpRoute } from "../../tunnel/choose.js";
import { cloudflaredInstallHint, findCloudflared } from "../../tunnel/find-cloudflared.js";
import { checkNgrokAuthtoken } from "../../tunnel/ngrok.js";
import { isTunnelServiceUrl } from "../../tunnel/quick-url.js";
import { tunnelSettings, type TunnelFlags } from "../../tunnel/settings.js";
import type { TunnelHandle } from "../../tunnel/types.js";
import { cliCommand } from "../../ground/launcher.js";
import { t } from "../i18n/index.js";
import { CliError, home, parseMinutes, parsePort, print, printJson, setQuiet } from "../io.js";
import { yellow } from "../style.js";
import { printBuilderFields } from "../present.js";
import { claimServer, startServing } from "../serving.js";
import { checkWorkspaceFolder, refuseBroadWorkspaces, upsertWorkspace } from "../workspaces.js";
import { addRouteOptions, parseProvider, startRoute } from "./tunnel.js";

const UP_ROUTES = ["cloudflared", "ngrok", "custom", "none"] as const;

/** Refuse a route that cannot work before anything is started (missing binary, no custom URL). */
function checkRoute(choice: RouteChoice, config: Config, flags: TunnelFlags): void {
  if (choice.route === "cloudflared") findCloudflared(tunnelSettings(config, flags));
  if (choice.route === "ngrok") checkNgrokAuthtoken();
  if (choice.route === "custom" && !config.public_base_url) {
    throw new CliError(t("up.customNoUrl"));
  }
}

/** Without a route ChatGPT cannot reach this computer: say how to get one. */
function explainNoRoute(choice: RouteChoice, config: Config): void {
  print("");
  print(t("up.noRoute", { reason: choice.reason }));
  if (choice.cloudflaredMissing) {
    for (const line of cloudflaredInstallHint().split("\n")) print(`  ${line}`);
  } else {
    print(t("up.routeCloudflared"));
    print(t("up.routeNgrok"));
    print(t("up.routeCustom"));
  }
  if (config.public_base_url && isTunnelServiceUrl(config.public_base_url)) {
    print(t("up.staleUrl", { url: config.public_base_url }));
  }
}

export function register(program: Command): void {
  program
    .command("serve")
    .description(t("serve.desc"))
    .option("--ttl-minutes <n>", t("opt.ttl"))
    .option("--host <host>", t("opt.host"))
    .option("--port <port>", t("opt.port"))
    .option("--dashboard-port <port>", t("opt.dashboardPort"))
    .addHelpText("after", t("serve.example"))
    .action(async (opts: { ttlMinutes?: string; host?: string; port?: string; dashboardPort?: string }) => {
      const ttlMinutes = parseMinutes(opts.ttlMinutes);
      const port = parsePort(opts.port);
      const dashboardPort = parsePort(opts.dashboardPort, "--dashboard-port");
      if (!configExists(home())) {
        throw new CliError(t("serve.noConfig"));
      }
      await startServing({ home: home(), host: opts.host, port, ttlMinutes, dashboardPort });
    });

  const up = program
    .command("up")
    .description(t("up.desc"))
    .option("--workspace <path>", t("opt.upWorkspace"))
    .option("--tunnel <route>", t("opt.tunnel"))
    .option("--ttl-minutes <n>", t("opt.ttl"))
    .option("--port <port>", t("opt.port"))
    .option("--dashboard-port <port>", t("opt.dashboardPort"))
    .option("--json", t("opt.upJson"))
    .addHelpText("after", t("up.example"));
  addRouteOptions(up).action(async (opts: { workspace?: string; tunnel?: string; ttlMinutes?: string; port?: string; dashboardPort?: string; json?: boolean } & TunnelFlags) => {
    if (opts.json) setQuiet(true);
    const ttlMinutes = parseMinutes(opts.ttlMinutes);
    const port = parsePort(opts.port);
    const dashboardPort = parsePort(opts.dashboardPort, "--dashboard-port");
    const requested = opts.tunnel === undefined ? undefined : (parseProvider(opts.tunnel, "--tunnel", UP_ROUTES) as UpRoute);
    const folder = opts.workspace === undefined ? undefined : checkWorkspaceFolder(opts.workspace, false);
    // Before the config is touched: a second `up` on this folder changes nothing, and an old
    // config's broad workspace stops it before the new one is written.
    const lock = claimServer(home());
    const fresh = !configExists(home());
    if (!fresh) refuseBroadWorkspaces(loadConfig(home()));
    const config = updateConfig(
      home(),
      (c) => {
        if (folder !== undefined) c.active_workspace = upsertWorkspace(c, folder);
      },
      { create: true },
    );
    if (config.workspaces.length === 0) {
      throw new CliError(t("up.noWorkspace"), 2);
    }
    if (fresh) print(t("up.created", { home: home() }));
    if (config.access.revoked_at) print(yellow(t("up.revoked")));
    const choice: RouteChoice = requested ? { route: requested, reason: "--tunnel" } : chooseRoute(config, tunnelSettings(config, opts));
    checkRoute(choice, config, opts);

    let route: TunnelHandle | undefined;
    const opensRoute = choice.route === "cloudflared" || choice.route === "ngrok";
    const server = await startServing({
      home: home(),
      lock,
      port,
      ttlMinutes,
      dashboardPort,
      publicUrlNote: opensRoute ? `(starting ${choice.route}…)` : undefined,
      route: () => route,
      onClose: async () => {
        await route?.stop();
      },
    });
    if (choice.route === "none") {
      explainNoRoute(choice, config);
    } else {
      print(t("up.route", { route: choice.route, reason: choice.reason }));
      try {
        route = await startRoute(choice.route, config, server.port, opts);
        // Our own tunnel: its forwarding header names the caller for the failed-auth throttle.
        if (choice.route === "cloudflared" || choice.route === "ngrok") server.trustForwarding(choice.route);
      } catch (error) {
        await server.close();
        throw error;
      }
    }
    const current = loadConfig(home());
    if (opts.json) {
      const base = current.public_base_url ?? server.url;
      return printJson({
        ok: true,
        local_url: server.url,
        port: server.port,
        route: choice.route,
        public_base_url: current.public_base_url,
        stable_url: route?.stable ?? choice.route === "custom",
        active_workspace: current.active_workspace,
        builder_fields: { schema_import_url: `${base}/openapi.json`, authentication: "API key / Bearer", privacy_policy_url: `${base}/privacy` },
        connector_fields: { mcp_server_url: `${base}/mcp`, authentication: "OAuth" },
        token_command: cliCommand("token"),
      });
    }
    printBuilderFields(current, { token: config.token, localUrl: server.url });
    print("");
    print(t("up.checkRoute"));
    if (route && !route.stable) print(t("up.unstable"));
  });
}
