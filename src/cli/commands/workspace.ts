import type { Command } from "commander";
import { loadConfig, updateConfig } from "../../config/store.js";
import { CliError, home, print, printJson } from "../io.js";
import { checkWorkspaceFolder, checkWorkspaceName, upsertWorkspace } from "../workspaces.js";

export function register(program: Command): void {
  const workspace = program.command("workspace").description("Manage the registered workspaces (the only folders the GPT can reach)");

  workspace
    .command("add")
    .description("Register a folder as a workspace")
    .requiredOption("--name <name>", "name the GPT uses for it")
    .requiredOption("--path <path>", "the project folder")
    .option("--activate", "make it the active workspace")
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
      print(`Workspace "${name}" → ${folder}${config.active_workspace === name ? " (active)" : ""}`);
    });

  workspace
    .command("list")
    .description("List the registered workspaces")
    .option("--json", "print one JSON document")
    .action((opts: { json?: boolean }) => {
      const config = loadConfig(home());
      const active = config.active_workspace ?? config.workspaces[0]?.name ?? null;
      const rows = config.workspaces.map((w) => ({ name: w.name, path: w.path, active: w.name === active }));
      if (opts.json) return printJson({ active_workspace: active, workspaces: rows });
      if (rows.length === 0) return print("No workspaces. Add one: chatgpt-codex workspace add --name N --path /abs/path");
      for (const row of rows) print(`${row.active ? "*" : " "} ${row.name}  ${row.path}`);
    });

  workspace
    .command("switch")
    .description("Make a registered workspace the active one")
    .argument("<name>", "workspace name")
    .action((name: string) => {
      updateConfig(home(), (c) => {
        if (!c.workspaces.some((w) => w.name === name)) throw new CliError(`no workspace named "${name}" (see: chatgpt-codex workspace list)`);
        c.active_workspace = name;
      });
      print(`Active workspace: ${name}`);
    });

  workspace
    .command("remove")
    .description("Unregister a workspace (its files are not touched)")
    .argument("<name>", "workspace name")
    .action((name: string) => {
      const config = updateConfig(home(), (c) => {
        if (!c.workspaces.some((w) => w.name === name)) throw new CliError(`no workspace named "${name}" (see: chatgpt-codex workspace list)`);
        c.workspaces = c.workspaces.filter((w) => w.name !== name);
        if (c.active_workspace === name) c.active_workspace = c.workspaces[0]?.name ?? null;
      });
      print(`Removed workspace "${name}". Active workspace: ${config.active_workspace ?? "(none)"}`);
    });
}
