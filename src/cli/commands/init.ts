import type { Command } from "commander";
import { expiryFromTtl } from "../../access/state.js";
import { configExists, updateConfig } from "../../config/store.js";
import { t } from "../i18n/index.js";
import { home, parseMinutes, parsePublicUrl, print } from "../io.js";
import { checkWorkspaceFolder, checkWorkspaceName, upsertWorkspace } from "../workspaces.js";

export function register(program: Command): void {
  program
    .command("init")
    .description(t("init.desc"))
    .option("--workspace <path>", t("opt.initWorkspace"))
    .option("--workspace-name <name>", t("opt.workspaceName"))
    .option("--public-base-url <url>", t("opt.publicBaseUrl"))
    .option("--ttl-minutes <n>", t("opt.ttlNoExpiry"))
    .addHelpText("after", t("init.example"))
    .action((opts: { workspace?: string; workspaceName?: string; publicBaseUrl?: string; ttlMinutes?: string }) => {
      // Without --workspace the folder it is run in, as the original system's init did;
      // the broad-folder refusal still applies (init in the home folder is refused).
      const folder = checkWorkspaceFolder(opts.workspace ?? process.cwd(), false);
      const name = opts.workspaceName === undefined ? undefined : checkWorkspaceName(opts.workspaceName);
      const url = opts.publicBaseUrl === undefined ? undefined : parsePublicUrl(opts.publicBaseUrl);
      const ttl = parseMinutes(opts.ttlMinutes);
      const fresh = !configExists(home());
      let used = "";
      updateConfig(
        home(),
        (c) => {
          used = upsertWorkspace(c, folder, name);
          c.active_workspace = used;
          if (url !== undefined) c.public_base_url = url;
          if (ttl !== undefined) c.access.expires_at = expiryFromTtl(ttl);
          c.access.granted_at ??= new Date().toISOString();
        },
        { create: true },
      );
      print(t(fresh ? "init.created" : "init.kept", { home: home() }));
      print(t("channel.registered", { name: used, folder }));
      if (url !== undefined) print(t("channel.publicUrl", { url }));
      print("");
      print(t("init.next"));
    });
}
