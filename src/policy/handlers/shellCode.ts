import type { Analyzer, CommandCall, Handler } from "../analyzer.js";
import { SHELLS, STDIN_INTERPRETERS } from "../commandTables.js";
import { isKnown, literalField, UNKNOWN, type Field } from "../expand.js";
import { Refusal } from "../rules.js";

/**
 * Commands that run text as shell code: `sh -c '…'` (read recursively),
 * `eval`, `source`, `trap`, `script -c`, and shells or interpreters fed
 * through a pipe or here-document (pipe-to-shell).
 */

const STDIN_PATHS = new Set(["-", "/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"]);

interface ShellInvocation {
  code: Field | null;
  /** The script file argument, if any. */
  script: Field | null;
  /** `--rcfile FILE` / `--init-file FILE` (read by an interactive shell). */
  startup: Field | null;
  readsStdin: boolean;
  /** `-n`: read the code without running any of it. */
  noExec: boolean;
}

/** bash-style options: clusters like `-euxo pipefail`, `-lc`; `-o`/`-O` take a value; `-c` takes the code. */
function parseShellArgs(argv: Field[]): ShellInvocation {
  let commandMode = false;
  let stdinMode = false;
  let noExec = false;
  let startup: Field | null = null;
  let i = 1;
  for (; i < argv.length; i++) {
    const field = argv[i]!;
    const v = field.value;
    if (!isKnown(field)) break;
    if (v === "--" || v === "-") {
      if (v === "-") stdinMode = true;
      i++;
      break;
    }
    if (v.startsWith("--")) {
      if (v === "--rcfile" || v === "--init-file") startup = argv[++i] ?? null;
      continue;
    }
    if (/^[-+][A-Za-z]+$/.test(v)) {
      if (v[0] === "-" && v.includes("c")) commandMode = true;
      if (v[0] === "-" && v.includes("s")) stdinMode = true;
      if (v[0] === "-" && v.includes("n")) noExec = true;
      i += (v.slice(1).match(/[oO]/g) ?? []).length;
      continue;
    }
    break;
  }
  if (commandMode) return { code: argv[i] ?? null, script: null, readsStdin: false, startup, noExec };
  const script = stdinMode ? null : (argv[i] ?? null);
  const readsStdin = stdinMode || script === null;
  return { code: null, script, readsStdin, startup, noExec };
}

/**
 * Files a shell reads before its code: `--rcfile`/`--init-file`, and the
 * files named by BASH_ENV (bash running a script or `-c`) and ENV (an
 * interactive sh, ksh, or bash as sh): `BASH_ENV=<(…) bash -c :`.
 */
function checkStartupFiles(invocation: ShellInvocation, call: CommandCall, analyzer: Analyzer): void {
  const origin = `\`${call.name}\``;
  analyzer.checkScriptPath(invocation.startup, call, `${origin} (its startup file)`, { shell: true });
  for (const variable of ["BASH_ENV", "ENV"]) {
    const value = call.state.lookupSet(variable);
    if (value === undefined || value === "") continue;
    const field = value === null ? { ...literalField(UNKNOWN, `$${variable}`), pattern: "*" } : literalField(value, `$${variable}`);
    analyzer.checkScriptPath(field, call, `${origin} (the file in ${variable})`, { shell: true });
  }
}

const shell: Handler = (call, analyzer) => {
  const invocation = parseShellArgs(call.argv);
  // `bash -O cdable_vars -c …`: shell options given on the command line apply to the code.
  const shopt = call.argv.findIndex((f) => f.value === "-O" || f.value === "+O");
  if (shopt > 0 && call.argv[shopt + 1]) {
    const option = call.argv[shopt + 1]!;
    call = { ...call, state: call.state.copy() };
    for (const name of ["cdable_vars", "expand_aliases", "dotglob"]) {
      if (option.value === name || !isKnown(option)) call.state.set(`shopt:${name}`, call.argv[shopt]!.value === "-O");
    }
  }
  // `bash -n`: the code is only checked for syntax.
  if (invocation.noExec) return;
  checkStartupFiles(invocation, call, analyzer);
  if (invocation.code) {
    // `sh -c 'code' NAME ARGS…`: the code sees NAME as $0 and ARGS as $1 … $N.
    const at = call.argv.indexOf(invocation.code);
    const value = (f: Field | undefined) => (f && isKnown(f) && !f.spread ? f.value : null);
    const args = call.argv.slice(at + 2).map(value);
    const state = call.state.copy();
    state.setPositionals(args);
    state.assign("0", at + 1 < call.argv.length ? value(call.argv[at + 1]) : value(call.argv[0]));
    return analyzer.runCodeField(invocation.code, state, `\`${call.name} -c\``, call.fds);
  }
  if (invocation.script && isKnown(invocation.script) && invocation.script.value === "-") return analyzer.checkStdinProgram(call.stdin, `\`${call.name}\``, { shell: true });
  if (invocation.script) return analyzer.checkScriptPath(invocation.script, call, `\`${call.name}\``, { shell: true, searchPath: true });
  if (invocation.readsStdin) analyzer.checkStdinProgram(call.stdin, `\`${call.name}\``, { shell: true });
};

const evaluate: Handler = ({ argv, state, fds }, analyzer) => {
  const args = argv.slice(1);
  if (args.length === 0) return;
  const joined: Field = {
    value: args.map((f) => f.value).join(" "),
    pattern: "",
    glob: false,
    source: args.map((f) => f.source).join(" "),
    scripts: args.flatMap((f) => f.scripts),
  };
  analyzer.runCodeField(joined, state, "`eval`", fds, "here");
};

const source: Handler = (call, analyzer) => {
  const file = call.argv.slice(1).find((f) => f.value !== "--") ?? null;
  analyzer.checkScriptPath(file, call, `\`${call.name}\``, { shell: true, here: call.state, searchPath: true });
};

/** `at`/`batch` run the shell code on their standard input later (unless -f names a file, or they only list jobs). */
const atJob: Handler = (call, analyzer) => {
  const args = call.argv.slice(1);
  const file = args.findIndex((f) => /^-[a-zA-Z]*f/.test(f.value));
  if (file >= 0) {
    // `at -f FILE`: the job is read from the file (which may be /dev/stdin or a descriptor).
    const attached = args[file]!.value.replace(/^-[a-zA-Z]*?f/, "");
    const path = attached ? { ...args[file]!, value: attached } : (args[file + 1] ?? null);
    return analyzer.checkScriptPath(path, call, `\`${call.name} -f\``, { shell: true });
  }
  if (args.some((f) => /^-[a-zA-Z]*[lrdcV]/.test(f.value))) return;
  analyzer.checkStdinProgram(call.stdin, `\`${call.name}\``, { shell: true });
};

/** `trap 'code' EXIT`: the code runs later, in this shell. */
const trap: Handler = ({ argv, state }, analyzer) => {
  const args = argv.slice(1).filter((f) => f.value !== "--");
  if (args.length < 2 || /^-[lp]$/.test(args[0]!.value) || args[0]!.value === "-" || args[0]!.value === "") return;
  analyzer.runCodeField(args[0]!, state, "`trap`", undefined, "later");
};

const script: Handler = ({ argv, state, fds }, analyzer) => {
  const index = argv.findIndex((f) => /^-[a-zA-Z]*c$/.test(f.value) || f.value === "--command");
  if (index > 0 && argv[index + 1]) analyzer.runCodeField(argv[index + 1]!, state, "`script -c`", fds);
};

/** python, node, perl … with no script read their program from stdin: refuse downloaded or decoded input. */
const interpreter: Handler = (call, analyzer) => {
  const args = call.argv.slice(1);
  if (args.some((f) => /^(-c|-e|-E|-m|-r|-p|-x|--eval|--print|--check)$/.test(f.value))) return;
  const script = args.find((f) => !f.value.startsWith("-"));
  analyzer.checkScriptPath(script ?? null, call, `\`${call.name}\``, { shell: false });
  if (script && !STDIN_PATHS.has(script.value)) return;
  analyzer.checkStdinProgram(call.stdin, `\`${call.name}\``, { shell: false });
};

/** Re-running a command from the shell's history (`set -o history; history -s …; fc -s`) runs text the policy never saw in that form. */
export const historyRerun: Handler = ({ name, argv }) => {
  if (name === "fc" && argv.slice(1).some((f) => isKnown(f) && /^-[a-zA-Z]*l/.test(f.value))) return;
  throw new Refusal("eval-dynamic", `\`${name}\` runs a command from the shell's history again, which cannot be inspected`);
};

export const SHELL_CODE_HANDLERS: Array<[string, Handler]> = [
  ...[...SHELLS].map((n): [string, Handler] => [n, shell]),
  ["fc", historyRerun],
  ["eval", evaluate],
  ["source", source],
  [".", source],
  ["trap", trap],
  ["script", script],
  ["at", atJob],
  ["batch", atJob],
];

export function interpreterHandler(name: string): Handler | undefined {
  return STDIN_INTERPRETERS.test(name) ? interpreter : undefined;
}
