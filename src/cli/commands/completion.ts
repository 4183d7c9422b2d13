import { Command } from "commander";
import { orList, t } from "../i18n/index.js";
import { UsageError } from "../io.js";
import { COMMAND_GROUPS } from "./groups.js";

interface Node {
  name: string;
  description: string;
  options: string[];
  children: Node[];
}

function describe(command: Command): Node {
  return {
    name: command.name(),
    description: command.description().split("\n")[0]!.replace(/['"\\$`]/g, ""),
    options: command.options.map((option) => option.long).filter((flag): flag is string => Boolean(flag)),
    children: command.commands.map(describe),
  };
}

/** The whole command tree, read from the same registrations the CLI uses (this command's own included). */
async function commandTree(): Promise<Node> {
  const program = new Command("chatgpt-codex").option("--lang <lang>").option("--version").option("--help");
  for (const group of COMMAND_GROUPS) (await group.load()).register(program);
  register(program);
  return describe(program);
}

function bash(tree: Node): string {
  const cases = tree.children.flatMap((child) => [
    `        ${child.name}:) opts="${[...child.children.map((c) => c.name), ...child.options, "--help"].join(" ")}" ;;`,
    ...child.children.map((sub) => `        ${child.name}:${sub.name}) opts="${[...sub.options, "--help"].join(" ")}" ;;`),
  ]);
  return `# chatgpt-codex completion for bash. Install: chatgpt-codex completion bash >> ~/.bashrc
_chatgpt_codex() {
    local cur="\${COMP_WORDS[COMP_CWORD]}" cmd="" sub="" opts=""
    local i
    for ((i = 1; i < COMP_CWORD; i++)); do
        case "\${COMP_WORDS[i]}" in
            --lang) ((i++)) ;;
            -*) ;;
            *) if [ -z "$cmd" ]; then cmd="\${COMP_WORDS[i]}"; elif [ -z "$sub" ]; then sub="\${COMP_WORDS[i]}"; fi ;;
        esac
    done
    if [ "\${COMP_WORDS[COMP_CWORD-1]}" = "--lang" ]; then COMPREPLY=($(compgen -W "en zh" -- "$cur")); return; fi
    case "$cmd:$sub" in
${cases.join("\n")}
        :) opts="${[...tree.children.map((c) => c.name), "--lang", "--version", "--help"].join(" ")}" ;;
    esac
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}
complete -o default -F _chatgpt_codex chatgpt-codex
`;
}

function zsh(tree: Node): string {
  return `#compdef chatgpt-codex
# chatgpt-codex completion for zsh. Install: chatgpt-codex completion zsh > "\${fpath[1]}/_chatgpt-codex"
autoload -U +X bashcompinit && bashcompinit
${bash(tree).replace(/^# .*\n/, "")}`;
}

function fish(tree: Node): string {
  const lines = ["# chatgpt-codex completion for fish. Install: chatgpt-codex completion fish > ~/.config/fish/completions/chatgpt-codex.fish"];
  lines.push("complete -c chatgpt-codex -f");
  lines.push("complete -c chatgpt-codex -l lang -x -a 'en zh'");
  for (const child of tree.children) {
    lines.push(`complete -c chatgpt-codex -n '__fish_use_subcommand' -a '${child.name}' -d '${child.description}'`);
    for (const sub of child.children) {
      lines.push(`complete -c chatgpt-codex -n '__fish_seen_subcommand_from ${child.name}' -a '${sub.name}' -d '${sub.description}'`);
    }
    for (const option of [...child.options, ...child.children.flatMap((sub) => sub.options)]) {
      lines.push(`complete -c chatgpt-codex -n '__fish_seen_subcommand_from ${child.name}' -l '${option.replace(/^--/, "")}'`);
    }
  }
  return `${[...new Set(lines)].join("\n")}\n`;
}

export function register(program: Command): void {
  program
    .command("completion")
    .description(t("completion.desc"))
    .argument("<shell>", "bash | zsh | fish")
    .addHelpText("after", t("completion.example"))
    .action(async (shell: string) => {
      const make = { bash, zsh, fish }[shell];
      if (!make) throw new UsageError(t("usage.oneOf", { flag: "<shell>", allowed: orList(["bash", "zsh", "fish"]), value: shell }));
      process.stdout.write(make(await commandTree()));
    });
}
