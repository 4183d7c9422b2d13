import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { cliCommand } from "../../ground/launcher.js";
import { TOOL_ROOT } from "../../ground/version.js";
import { lang, t } from "../i18n/index.js";
import { printJson } from "../io.js";

/**
 * Every command by purpose, for coding agents (Codex, Claude Code…) that set the tool up
 * for their user. Commands are written the way this process was launched.
 */
export function commandCatalog(): Record<string, string[]> {
  const c = cliCommand;
  return {
    setup: [c("init --workspace <path>"), c("up --workspace <path>"), c("channel register --workspace <path> --public-base-url <url>")],
    workspace: [c("workspace add --name <name> --path <path> --activate"), c("workspace list --json"), c("workspace switch <name>"), c("workspace remove <name>")],
    inspect: [c("status --json"), c("doctor --json"), c("access status --json"), c("channel status --json"), c("verify --json"), c("api-smoke --json"), c("log --follow"), c("sandbox status --json")],
    routing: [c("route-options --json"), c("tunnel --provider cloudflared"), c("set-public-url <url>")],
    access: [c("channel renew"), c("channel revoke"), c("access grant --ttl-minutes <n>"), c("access revoke"), c("rotate-token")],
    chatgpt_builder: [c("chatgpt-preflight --json"), c("openapi"), c("gpt-instructions"), c("token")],
    connector: [c("connector code"), c("connector list --json"), c("connector revoke <id>"), c("mcp-config --json")],
    undo: [c("history --json"), c("undo --dry-run"), c("undo <id>")],
    dashboard: [c("dashboard"), c("dashboard --print-url")],
    language: [c("--lang zh <command>"), c("--lang en <command>")],
    agents: [c("ai-commands --json"), c("agent-brief")],
    shell: [c("completion bash"), c("completion zsh"), c("completion fish")],
  };
}

/** The bundled skill file (English, or Chinese with --lang zh): one text for agents and for `agent-brief`. */
export function agentBrief(): string {
  const file = join(TOOL_ROOT, "skills", "chatgpt-codex", lang() === "zh" ? "SKILL.zh-CN.md" : "SKILL.md");
  const text = readFileSync(file, "utf8").replace(/^---\n[\s\S]*?\n---\n\n?/, "");
  return cliCommand("") === "chatgpt-codex" ? text : text.replaceAll("`chatgpt-codex ", `\`${cliCommand("")} `);
}

export function register(program: Command): void {
  program
    .command("ai-commands")
    .description(t("ai.desc"))
    .option("--json", t("opt.json"))
    .addHelpText("after", t("ai.example"))
    .action(() => printJson(commandCatalog()));

  program
    .command("agent-brief")
    .description(t("brief.desc"))
    .addHelpText("after", t("brief.example"))
    .action(() => {
      process.stdout.write(agentBrief());
    });
}
