import { resolve } from "node:path";
import type { Command } from "commander";
import { loadConfig } from "../../config/store.js";
import { launcherPrefix, stdioLaunch } from "../../ground/launcher.js";
// Not route.js: the CLI must not load the MCP SDK just to print settings.
import { MCP_PATH, mcpClientSnippets, stdioClientSnippets } from "../../mcp/clientConfig.js";
import { t } from "../i18n/index.js";
import { home, print, printJson, UsageError } from "../io.js";

function section(title: string, body: string): void {
  print(title);
  for (const line of body.split("\n")) print(`    ${line}`);
  print();
}

export function register(program: Command): void {
  program
    .command("mcp-config")
    .description(t("mcp.desc"))
    .option("--local", t("opt.local"))
    .option("--name <name>", t("opt.mcpName"), "chatgpt-codex")
    .option("--json", t("opt.json"))
    .addHelpText("after", t("mcp.example"))
    .action((opts: { local?: boolean; name: string; json?: boolean }) => {
      if (!/^[A-Za-z0-9._-]{1,64}$/.test(opts.name)) throw new UsageError(t("usage.mcpName", { value: opts.name }));
      const config = loadConfig(home());
      const localBase = `http://127.0.0.1:${config.server.port}`;
      const usesLocal = opts.local === true || config.public_base_url === null;
      const base = usesLocal ? localBase : config.public_base_url!.replace(/\/+$/, "");
      const snippets = mcpClientSnippets(`${base}${MCP_PATH}`, opts.name);
      // The config folder is pinned: a desktop client's environment may not lead to the same one.
      const stdio = stdioClientSnippets({ ...stdioLaunch(), env: { CHATGPT_CODEX_HOME: resolve(home()) } }, opts.name);

      if (opts.json) return printJson({ ...snippets, local: usesLocal, stdio });

      print(t("mcp.endpoint", { url: snippets.url }));
      if (usesLocal && !opts.local) print(t("mcp.localOnly"));
      if (!usesLocal) print(t("mcp.skipTunnel"));
      print();
      section(t("mcp.tokenSection"), snippets.token_export);
      section(t("mcp.codexSection"), snippets.clients.codex);
      section(t("mcp.claudeSection"), snippets.clients.claude_code);
      section(t("mcp.cursorSection"), snippets.clients.cursor);
      section(t("mcp.otherSection"), snippets.clients.generic);
      print(t("mcp.tokenChanges"));
      print();
      print(t("mcp.stdioIntro"));
      print();
      section(t("mcp.stdioClaudeDesktop"), stdio.clients.claude_desktop);
      section(t("mcp.cursorSection"), stdio.clients.cursor);
      section(t("mcp.codexSection"), stdio.clients.codex);
      section(t("mcp.stdioClaudeCode"), stdio.clients.claude_code);
      section(t("mcp.otherSection"), stdio.clients.generic);
      print(t("mcp.stdioJobs"));
      // npx runs from a cache folder npm may clear; an installed copy keeps its path.
      if (launcherPrefix().startsWith("npx ")) print(t("mcp.stdioNpx"));
    });
}
