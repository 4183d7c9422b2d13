import type { Command } from "commander";
import { expiryFromTtl } from "../../access/state.js";
import { generateToken } from "../../access/token.js";
import { loadConfig, updateConfig } from "../../config/store.js";
import { t } from "../i18n/index.js";
import { home, parseMinutes, parsePublicUrl, print } from "../io.js";
import { printBuilderFields, showStatus } from "../present.js";
import { yellow } from "../style.js";
import { checkWorkspaceFolder, checkWorkspaceName, upsertWorkspace } from "../workspaces.js";

/** Mark the channel revoked and rotate the token; shared by `channel revoke`. */
export function revokeChannel(configHome: string): void {
  updateConfig(configHome, (config) => {
    config.access.revoked_at = new Date().toISOString();
    config.token = generateToken();
  });
}

export function register(program: Command): void {
  const channel = program.command("channel").description(t("channel.desc"));

  channel
    .command("register")
    .description(t("channel.register.desc"))
    .requiredOption("--workspace <path>", t("opt.workspaceAbs"))
    .requiredOption("--public-base-url <url>", t("opt.publicBaseUrl"))
    .option("--workspace-name <name>", t("opt.workspaceName"))
    .option("--ttl-minutes <n>", t("opt.ttlNoExpiry"))
    .addHelpText("after", t("channel.register.example"))
    .action((opts: { workspace: string; publicBaseUrl: string; workspaceName?: string; ttlMinutes?: string }) => {
      const folder = checkWorkspaceFolder(opts.workspace, true);
      const url = parsePublicUrl(opts.publicBaseUrl);
      const name = opts.workspaceName === undefined ? undefined : checkWorkspaceName(opts.workspaceName);
      const ttl = parseMinutes(opts.ttlMinutes);
      let used = "";
      const config = updateConfig(
        home(),
        (c) => {
          used = upsertWorkspace(c, folder, name);
          c.active_workspace = used;
          c.public_base_url = url;
          if (ttl !== undefined) c.access.expires_at = expiryFromTtl(ttl);
          c.access.granted_at ??= new Date().toISOString();
        },
        { create: true },
      );
      print(t("channel.registered", { name: used, folder }));
      print(t("channel.publicUrl", { url }));
      if (config.access.revoked_at) print(yellow(t("channel.revokedWarning")));
      printBuilderFields(config, { token: config.token });
    });

  channel
    .command("status")
    .description(t("channel.status.desc"))
    .option("--json", t("opt.json"))
    .addHelpText("after", t("channel.status.example"))
    .action((opts: { json?: boolean }) => showStatus(home(), loadConfig(home()), opts.json));

  channel
    .command("renew")
    .description(t("channel.renew.desc"))
    .option("--rotate-token", t("opt.rotateToken"))
    .option("--public-base-url <url>", t("opt.alsoPublicUrl"))
    .option("--ttl-minutes <n>", t("opt.ttlNoExpiry"))
    .addHelpText("after", t("channel.renew.example"))
    .action((opts: { rotateToken?: boolean; publicBaseUrl?: string; ttlMinutes?: string }) => {
      const ttl = parseMinutes(opts.ttlMinutes);
      const url = opts.publicBaseUrl === undefined ? undefined : parsePublicUrl(opts.publicBaseUrl);
      const config = updateConfig(home(), (c) => {
        if (opts.rotateToken) c.token = generateToken();
        if (url !== undefined) c.public_base_url = url;
        c.access.revoked_at = null;
        c.access.expires_at = expiryFromTtl(ttl);
        c.access.granted_at = new Date().toISOString();
      });
      print(config.access.expires_at ? t("channel.activeUntil", { time: config.access.expires_at }) : t("channel.activeNoExpiry"));
      if (opts.rotateToken) print(t("channel.rotated"));
      printBuilderFields(config, { token: config.token });
    });

  channel
    .command("revoke")
    .description(t("channel.revoke.desc"))
    .addHelpText("after", t("channel.revoke.example"))
    .action(() => {
      revokeChannel(home());
      print(t("channel.revoked1"));
      print(t("channel.revoked2"));
    });
}
