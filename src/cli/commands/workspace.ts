import type { Command } from "commander";
import { loadConfig, updateConfig } from "../../config/store.js";
import { t } from "../i18n/index.js";
import { CliError, home, print, printJson } from "../io.js";
import { checkWorkspaceFolder, checkWorkspaceName, upsertWorkspace } from "../workspaces.js";

export function register(program: Command): void {
  const workspace = program.command("workspace").description(t("workspace.desc"));

  workspace
    .command("add")
    .description(t("workspace.add.desc"))
    .requiredOption("--name <name>", t("opt.wsName"))
    .requiredOption("--path <path>", t("opt.wsPath"))
    .option("--activate", t("opt.activate"))
    .addHelpText("after", t("workspace.add.example"))
    .action((opts: { name: string; path: string; activate?: boolean }) => {
      const name = checkWorkspaceName(opts.name);
      const folder = checkWorkspaceFolder(opts.path, false);
      const config = updateConfig(
        home(),
        (c) => {
          upsertWorkspace(c, folder, name);
          if (opts.activate || c.active_workspace === null) c.active_workspace = name;
        },
        { create: true },
      );
      print(t(config.active_workspace === name ? "workspace.addedActive" : "workspace.added", { name, folder }));
    });

  workspace
    .command("list")
    .description(t("workspace.list.desc"))
    .option("--json", t("opt.json"))
    .addHelpText("after", t("workspace.list.example"))
    .action((opts: { json?: boolean }) => {
      const config = loadConfig(home());
      const active = config.active_workspace ?? config.workspaces[0]?.name ?? null;
      const rows = config.workspaces.map((w) => ({ name: w.name, path: w.path, active: w.name === active }));
      if (opts.json) return printJson({ active_workspace: active, workspaces: rows });
      if (rows.length === 0) return print(t("workspace.none"));
      for (const row of rows) print(`${row.active ? "*" : " "} ${row.name}  ${row.path}`);
    });

  workspace
    .command("switch")
    .description(t("workspace.switch.desc"))
    .argument("<name>", t("opt.wsNameArg"))
    .addHelpText("after", t("workspace.switch.example"))
    .action((name: string) => {
      updateConfig(home(), (c) => {
        if (!c.workspaces.some((w) => w.name === name)) throw new CliError(t("workspace.unknown", { name }));
        c.active_workspace = name;
      });
      print(t("workspace.switched", { name }));
    });

  workspace
    .command("remove")
    .description(t("workspace.remove.desc"))
    .argument("<name>", t("opt.wsNameArg"))
    .addHelpText("after", t("workspace.remove.example"))
    .action((name: string) => {
      const config = updateConfig(home(), (c) => {
        if (!c.workspaces.some((w) => w.name === name)) throw new CliError(t("workspace.unknown", { name }));
        c.workspaces = c.workspaces.filter((w) => w.name !== name);
        if (c.active_workspace === name) c.active_workspace = c.workspaces[0]?.name ?? null;
      });
      print(t("workspace.removed", { name, active: config.active_workspace ?? t("common.none") }));
    });
}
