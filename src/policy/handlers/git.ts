import { resolve } from "node:path";
import type { Analyzer, Descriptors, Handler, Stdin } from "../analyzer.js";
import { isKnown, literalField, type Field } from "../expand.js";
import { operands, parseOptions, type OptionEvent, type OptionSpec } from "../options.js";
import { Refusal } from "../rules.js";
import type { ShellState } from "../state.js";
import { within } from "../targets.js";

/**
 * git commands that throw work away: reset --hard, clean, checkout/restore of
 * everything, push --force, branch -D, stash clear. Options are parsed as
 * git's parse-options does (unique prefixes, `--no-` negations, clusters,
 * last one wins). Configuration given on the command line (`-c`,
 * `--config-env`, GIT_CONFIG_PARAMETERS, GIT_CONFIG_COUNT/KEY/VALUE) and set
 * with `git config` is read too: aliases are followed, values git runs as
 * shell commands are read as code, and forced-push refspecs are refused.
 */

/** Global options before the subcommand that take a separate value. */
const GLOBAL_VALUE_OPTIONS = new Set(["-C", "-c", "--git-dir", "--work-tree", "--namespace", "--super-prefix", "--config-env", "--exec-path", "--attr-source", "--list-cmds"]);

type Rule = [rule: string, reason: string];

/** A pathspec that names the whole tree: `.`, `*`, `:/`, or a folder at or above the workspace root. */
function coversEverything(arg: string, state: ShellState, workspaceRoot: string): boolean {
  const spec = arg.replace(/\/+$/, "") || "/";
  if ([".", "*", "**", ":", ":/", ":/*", ":/.", ":(top)", ":(top).", ":(top)*", "./*", "/"].includes(spec)) return true;
  if (/^:\([^)]*\)(\.|\*|\*\*|\/)?$/.test(spec)) return true;
  if (/^[*?[\]]+$/.test(spec)) return true;
  if (spec.startsWith("-") || spec.startsWith(":")) return false;
  if (state.cwd === null) return true;
  const target = resolve(state.cwd, spec);
  return within(target, workspaceRoot);
}

const spec = (long: Record<string, "none" | "required" | "optional">, shortValues: string, dangerous: string[] = []): OptionSpec => ({
  long,
  shortValues,
  negatable: true,
  dangerous,
});

const CLEAN = spec({ force: "none", "dry-run": "none", quiet: "none", interactive: "none", exclude: "required" }, "e", ["force"]);
const RESET = spec(
  {
    hard: "none", soft: "none", mixed: "none", merge: "none", keep: "none", quiet: "none", patch: "none", "intent-to-add": "none",
    "recurse-submodules": "optional", refresh: "none", "pathspec-from-file": "required", "pathspec-file-nul": "none",
  },
  "",
  ["hard"],
);
const CHECKOUT = spec(
  {
    quiet: "none", force: "none", merge: "none", detach: "none", track: "optional", orphan: "required", ours: "none", theirs: "none",
    conflict: "required", patch: "none", "ignore-skip-worktree-bits": "none", "ignore-other-worktrees": "none", "overwrite-ignore": "none",
    "recurse-submodules": "optional", progress: "none", guess: "none", overlay: "none", "pathspec-from-file": "required",
    "pathspec-file-nul": "none", "auto-advance": "none",
  },
  "bB",
  ["force"],
);
const RESTORE = spec(
  {
    source: "required", patch: "none", worktree: "none", staged: "none", quiet: "none", progress: "none", ours: "none", theirs: "none",
    merge: "none", conflict: "required", "ignore-unmerged": "none", "ignore-skip-worktree-bits": "none", "recurse-submodules": "optional",
    overlay: "none", "pathspec-from-file": "required", "pathspec-file-nul": "none",
  },
  "s",
  ["worktree"],
);
const SWITCH = spec(
  {
    create: "required", "force-create": "required", detach: "none", guess: "none", force: "none", "discard-changes": "none", merge: "none",
    conflict: "required", quiet: "none", progress: "none", track: "optional", orphan: "required", "ignore-other-worktrees": "none",
    "recurse-submodules": "optional",
  },
  "cC",
  ["force", "discard-changes"],
);
const PUSH = spec(
  {
    all: "none", branches: "none", mirror: "none", delete: "none", tags: "none", "follow-tags": "none", "dry-run": "none", porcelain: "none",
    force: "none", "force-with-lease": "optional", "force-if-includes": "none", repo: "required", "set-upstream": "none", thin: "none",
    "receive-pack": "required", exec: "required", quiet: "none", verbose: "none", progress: "none", verify: "none",
    "recurse-submodules": "required", atomic: "none", "push-option": "required", signed: "optional", ipv4: "none", ipv6: "none", prune: "none",
  },
  "o",
  ["force", "force-with-lease", "mirror", "receive-pack", "exec"],
);
const BRANCH = spec(
  {
    delete: "none", force: "none", move: "none", copy: "none", list: "none", all: "none", remotes: "none", verbose: "none", quiet: "none",
    track: "optional", "set-upstream-to": "required", "unset-upstream": "none", color: "optional", column: "optional", sort: "required",
    merged: "optional", "no-merged": "optional", contains: "optional", "no-contains": "optional", "points-at": "required", format: "required",
    "show-current": "none", "edit-description": "none", "create-reflog": "none", "recurse-submodules": "none", "ignore-case": "none",
    "omit-empty": "none", abbrev: "optional",
  },
  "u",
  ["force", "delete"],
);

const isLong = (e: OptionEvent, name: string) => e.kind === "long" && e.name === name;
const isShort = (e: OptionEvent, name: string) => e.kind === "short" && e.name === name;

function findEverything(events: OptionEvent[], state: ShellState, root: string): string | null {
  const fromFile = events.find((e) => isLong(e, "pathspec-from-file"));
  if (fromFile?.kind === "long") return `--pathspec-from-file=${fromFile.value ?? "…"} (paths read at run time)`;
  const hit = operands(events).find((f) => isKnown(f) && coversEverything(f.value, state, root));
  return hit ? hit.source || hit.value : null;
}

const SUBCOMMANDS: Record<string, (events: OptionEvent[], state: ShellState, root: string) => Rule | null> = {
  reset: (events) => {
    let hard = false;
    for (const e of events) {
      if (isLong(e, "hard")) hard = true;
      else if (e.kind === "long" && ["soft", "mixed", "merge", "keep"].includes(e.name)) hard = false;
    }
    return hard ? ["git-reset-hard", "`git reset --hard` discards every uncommitted change"] : null;
  },
  clean: (events) => {
    // Without -n the outcome depends on clean.requireForce, which can come from any config file or the environment: only a dry run is safe.
    let dryRun = false;
    for (const e of events) {
      if (isShort(e, "n") || isLong(e, "dry-run")) dryRun = true;
      else if (isLong(e, "no-dry-run")) dryRun = false;
    }
    return dryRun ? null : ["git-clean", "`git clean` deletes untracked files, which git cannot bring back (only `git clean -n`, a dry run, is allowed)"];
  },
  checkout: (events, state, root) => {
    let force = false;
    for (const e of events) {
      if (isShort(e, "f") || isLong(e, "force")) force = true;
      else if (isLong(e, "no-force")) force = false;
    }
    if (force) return ["git-discard-changes", "`git checkout --force` discards uncommitted changes"];
    const everything = findEverything(events.filter((e) => !(e.kind === "short" && "bB".includes(e.name))), state, root);
    return everything ? ["git-discard-changes", `\`git checkout ${everything}\` overwrites every uncommitted change`] : null;
  },
  restore: (events, state, root) => {
    let staged = false;
    let worktree = false;
    for (const e of events) {
      if (isShort(e, "S") || isLong(e, "staged")) staged = true;
      else if (isLong(e, "no-staged")) staged = false;
      else if (isShort(e, "W") || isLong(e, "worktree")) worktree = true;
      else if (isLong(e, "no-worktree")) worktree = false;
    }
    if (staged && !worktree) return null;
    const everything = findEverything(events, state, root);
    return everything ? ["git-discard-changes", `\`git restore ${everything}\` overwrites every uncommitted change`] : null;
  },
  switch: (events) => {
    let discard = false;
    for (const e of events) {
      if (isShort(e, "f") || isLong(e, "force") || isLong(e, "discard-changes")) discard = true;
      else if (isLong(e, "no-force") || isLong(e, "no-discard-changes")) discard = false;
    }
    return discard ? ["git-discard-changes", "`git switch --discard-changes` throws away local changes"] : null;
  },
  push: (events) => {
    let force = false;
    for (const e of events) {
      if (isShort(e, "f") || isLong(e, "force") || isLong(e, "force-with-lease") || isLong(e, "mirror")) force = true;
      else if (isLong(e, "no-force")) force = false;
    }
    const plus = operands(events).some((f) => f.value.startsWith("+") && f.value.length > 1);
    return force || plus ? ["git-force-push", "a forced push overwrites the remote branch"] : null;
  },
  branch: (events) => {
    let remove = false;
    let force = false;
    for (const e of events) {
      if (isShort(e, "D")) (remove = true), (force = true);
      else if (isShort(e, "d") || isLong(e, "delete")) remove = true;
      else if (isShort(e, "f") || isLong(e, "force")) force = true;
      else if (isLong(e, "no-force")) force = false;
    }
    return remove && force ? ["git-branch-force-delete", "`git branch -D` deletes a branch even if its commits are not merged anywhere"] : null;
  },
  /** Plumbing that rewrites the working tree: `checkout-index -f -a`, `read-tree -u --reset`. */
  "checkout-index": (events) => {
    const force = events.some((e) => isShort(e, "f") || isLong(e, "force"));
    const all = events.some((e) => isShort(e, "a") || isLong(e, "all"));
    return force && all ? ["git-discard-changes", "`git checkout-index -f -a` overwrites every file with the staged version"] : null;
  },
  "read-tree": (events) => {
    const update = events.some((e) => isShort(e, "u"));
    const reset = events.some((e) => isLong(e, "reset"));
    return update && reset ? ["git-discard-changes", "`git read-tree -u --reset` overwrites the working tree"] : null;
  },
  stash: (events) => {
    const first = operands(events)[0];
    return first?.value === "clear" ? ["git-discard-changes", "`git stash clear` deletes every stash"] : null;
  },
};

const CHECKOUT_INDEX = spec({ all: "none", force: "none", index: "none", quiet: "none", "no-create": "none", prefix: "required", stage: "required", temp: "none", stdin: "none", "ignore-skip-worktree-bits": "none" }, "", ["force", "all"]);
const READ_TREE = spec({ reset: "none", prefix: "required", "index-output": "required", "exclude-per-directory": "required", trivial: "none", aggressive: "none", "dry-run": "none", quiet: "none", empty: "none", "recurse-submodules": "none", "no-sparse-checkout": "none" }, "", ["reset"]);
const SPECS: Record<string, OptionSpec> = {
  clean: CLEAN, reset: RESET, checkout: CHECKOUT, restore: RESTORE, switch: SWITCH, push: PUSH, branch: BRANCH,
  "checkout-index": CHECKOUT_INDEX, "read-tree": READ_TREE,
};
const NO_OPTIONS: OptionSpec = { long: {}, negatable: true };

/** Config keys whose value git runs as a shell command (or hands to one). */
const PROGRAM_KEYS = [
  /^core\.(sshcommand|editor|pager|askpass|fsmonitor|gitproxy|hookspath)$/,
  /^(sequence\.editor|gpg\.program|gpg\.[^.]+\.program|diff\.external|web\.browser)$/,
  /^diff\.[^.]+\.(command|textconv)$/,
  /^filter\.[^.]+\.(clean|smudge|process)$/,
  /^merge\.[^.]+\.driver$/,
  /^(credential(\.[^.]+)*\.helper)$/,
  /^pager\.[^.]+$/,
  /^remote\.[^.]+\.(receivepack|uploadpack|proxy)$/,
  /^(difftool|mergetool|man|browser)\.[^.]+\.(cmd|path)$/,
  /^sendemail\.[^.]*(cmd|command)$/,
  /^(ssh\.variant|protocol\.[^.]+\.allow|uploadpack\.packobjectshook)$/,
];

/** What such a program reads: git hands it its output, file contents or protocol data (`core.pager=sh` would run the log as code). */
const GIT_WRITES: Descriptors = new Map([["0", { kind: "unknown", what: "what git writes to it" }]]);

/** Environment variables whose value git runs as a shell command. */
const PROGRAM_VARIABLES = [
  "GIT_SSH_COMMAND", "GIT_SSH", "GIT_EDITOR", "GIT_SEQUENCE_EDITOR", "GIT_PAGER", "GIT_ASKPASS", "SSH_ASKPASS", "GIT_EXTERNAL_DIFF",
  "GIT_PROXY_COMMAND", "EDITOR", "VISUAL", "PAGER",
];

type ConfigPair = { key: string; value: string | null; field?: Field };

/** Whether a config value is "true" as git reads booleans. */
const truthy = (value: string | null) => value === null || /^(true|yes|on|1|)$/i.test(value.trim());

/**
 * A config setting made on this command line: aliases and shell commands are
 * checked when they are set, so that a later `git x` (in this call or the
 * next one) cannot run something the policy never saw.
 */
function checkConfig(pair: ConfigPair, state: ShellState, analyzer: Analyzer, origin: string): void {
  const key = pair.key.toLowerCase();
  if (key.startsWith("alias.")) {
    if (pair.value === null) throw new Refusal("eval-dynamic", `${origin} sets the git alias \`${pair.key}\` to a value computed at run time`);
    checkAlias(pair.key.slice(6), pair.value, [], state, analyzer);
    return;
  }
  if (PROGRAM_KEYS.some((pattern) => pattern.test(key))) {
    if (key === "core.fsmonitor" && pair.value !== null && /^(true|false|yes|no|on|off|0|1|)$/i.test(pair.value)) return;
    if (key === "core.hookspath") return; // a folder of hook files: files are not read (a documented limitation)
    const code = pair.value === null ? null : pair.value.replace(/^!/, "");
    analyzer.runCodeField(code === null ? (pair.field ?? unknownField(pair.key)) : literalField(code), state, `the git setting \`${pair.key}\``, GIT_WRITES);
    return;
  }
  if (/^remote\.[^.]+\.push$/.test(key) && (pair.value === null || pair.value.trim().startsWith("+"))) {
    throw new Refusal("git-force-push", `${origin} configures a forced push (\`${pair.key}=${pair.value ?? "…"}\`)`);
  }
  if (/^remote\.[^.]+\.mirror$/.test(key) && truthy(pair.value)) {
    throw new Refusal("git-force-push", `${origin} makes pushes mirror (and overwrite) the remote (\`${pair.key}\`)`);
  }
}

function unknownField(source: string): Field {
  return { value: "\u0000", pattern: "*", glob: true, source, scripts: [] };
}

/** `alias.x=…`: `!code` is shell code; anything else is more git arguments, checked like a git command. */
function checkAlias(name: string, value: string, rest: Field[], state: ShellState, analyzer: Analyzer, input: Input = NO_INPUT, aliases = new Map<string, string>()): void {
  if (value.startsWith("!")) {
    const code = [value.slice(1), ...rest.map((f) => (isKnown(f) ? shellQuote(f.value) : '"$UNKNOWN_ARGUMENT"'))].join(" ");
    analyzer.runCode(code, state, `the git alias \`${name}\``, input.stdin, input.fds);
    return;
  }
  const words = value.split(/\s+/).filter(Boolean).map((w) => literalField(w));
  if (words.length === 0) return;
  analyzer.aliasDepth++;
  try {
    if (analyzer.aliasDepth > 8) throw new Refusal("nesting-limit", "git aliases nested more than 8 levels deep");
    gitArguments([...words, ...rest], state, analyzer, aliases, input);
  } finally {
    analyzer.aliasDepth--;
  }
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** GIT_CONFIG_PARAMETERS (`'key=value' 'key'='value'`) and GIT_CONFIG_COUNT/KEY_n/VALUE_n from the environment. */
function environmentConfig(state: ShellState): ConfigPair[] | "computed" {
  const pairs: ConfigPair[] = [];
  const parameters = state.lookupSet("GIT_CONFIG_PARAMETERS");
  if (parameters === null) return "computed";
  if (parameters !== undefined) {
    const tokens = [...parameters.matchAll(/'((?:[^']|'\\'')*)'(=)?/g)];
    for (let t = 0; t < tokens.length; t++) {
      const text = tokens[t]![1]!.replace(/'\\''/g, "'");
      if (tokens[t]![2] === "=" && t + 1 < tokens.length) {
        pairs.push({ key: text, value: tokens[++t]![1]!.replace(/'\\''/g, "'") });
      } else {
        const eq = text.indexOf("=");
        pairs.push(eq < 0 ? { key: text, value: null } : { key: text.slice(0, eq), value: text.slice(eq + 1) });
      }
    }
  }
  const count = state.lookupSet("GIT_CONFIG_COUNT");
  if (count === null) return "computed";
  if (count !== undefined) {
    const n = Number.parseInt(count, 10);
    if (!Number.isFinite(n) || n > 64) return "computed";
    for (let i = 0; i < n; i++) {
      const key = state.lookupSet(`GIT_CONFIG_KEY_${i}`);
      if (key === null) return "computed";
      if (key === undefined) continue;
      pairs.push({ key, value: state.lookupSet(`GIT_CONFIG_VALUE_${i}`) ?? null });
    }
  }
  return pairs;
}

/** `git config [scope options] [--add|set] KEY VALUE`: the setting being made, if any. */
function configSetting(events: OptionEvent[]): ConfigPair | null {
  const readOnly = events.some(
    (e) => e.kind === "long" && /^(get|get-all|get-regexp|get-urlmatch|list|unset|unset-all|remove-section|rename-section|edit|show-origin|show-scope|name-only)$/.test(e.name),
  ) || events.some((e) => e.kind === "short" && "le".includes(e.name));
  let args = operands(events);
  if (args[0] && isKnown(args[0]) && args[0].value === "set") args = args.slice(1);
  else if (args[0] && isKnown(args[0]) && /^(get|list|unset|rename-section|remove-section|edit)$/.test(args[0].value)) return null;
  if (readOnly || args.length < 2) return null;
  return { key: isKnown(args[0]!) ? args[0]!.value : "\u0000", value: isKnown(args[1]!) ? args[1]!.value : null, field: args[1]! };
}

const CONFIG_OPTIONS: OptionSpec = {
  long: {
    global: "none", system: "none", local: "none", worktree: "none", file: "required", blob: "required", add: "none", "replace-all": "none",
    type: "required", bool: "none", int: "none", path: "none", "null": "none", get: "none", "get-all": "none", "get-regexp": "none",
    "get-urlmatch": "none", list: "none", unset: "none", "unset-all": "none", "remove-section": "none", "rename-section": "none", edit: "none",
    "show-origin": "none", "show-scope": "none", "name-only": "none", includes: "none", default: "required", value: "required", all: "none",
    comment: "required", "fixed-value": "none",
  },
  shortValues: "f",
  negatable: true,
};

/** What the git command reads (a `!` alias runs a shell with it). */
interface Input {
  stdin: Stdin;
  fds: Descriptors;
}
const NO_INPUT: Input = { stdin: { kind: "none" }, fds: new Map() };

function gitArguments(args: Field[], state: ShellState, analyzer: Analyzer, aliases: Map<string, string>, input: Input = NO_INPUT): void {
  let runState = state;
  let i = 0;
  const config: ConfigPair[] = [];
  while (i < args.length) {
    const field = args[i]!;
    const v = field.value;
    if (!isKnown(field) || !v.startsWith("-")) break;
    const eq = v.startsWith("--") ? v.indexOf("=") : -1;
    const name = eq < 0 ? v : v.slice(0, eq);
    const inlineValue = eq < 0 ? undefined : v.slice(eq + 1);
    const next = args[i + 1];
    const value = inlineValue ?? (GLOBAL_VALUE_OPTIONS.has(name) && next && isKnown(next) ? next.value : undefined);
    if (name === "-C") {
      runState = runState.copy();
      runState.changeDirectory(value ?? null);
    }
    if (name === "-c") {
      if (value === undefined) throw new Refusal("eval-dynamic", "`git -c` is given a setting computed at run time");
      const at = value.indexOf("=");
      config.push(at < 0 ? { key: value, value: null } : { key: value.slice(0, at), value: value.slice(at + 1) });
    }
    if (name === "--config-env" && value !== undefined) {
      const at = value.indexOf("=");
      if (at > 0) config.push({ key: value.slice(0, at), value: runState.lookup(value.slice(at + 1)) });
    }
    i += GLOBAL_VALUE_OPTIONS.has(name) && inlineValue === undefined ? 2 : 1;
  }
  for (const name of PROGRAM_VARIABLES) {
    const value = runState.lookupSet(name);
    if (value === undefined) continue;
    analyzer.runCodeField(value === null ? unknownField(`$${name}`) : literalField(value), runState, `\`${name}\` (git runs it as a command)`, GIT_WRITES);
  }
  const fromEnvironment = environmentConfig(runState);
  if (fromEnvironment === "computed") {
    throw new Refusal("eval-dynamic", "git is given settings through GIT_CONFIG_* variables computed at run time");
  }
  for (const pair of [...fromEnvironment, ...config]) {
    const alias = /^alias\.(.+)$/is.exec(pair.key);
    if (alias && pair.value !== null) aliases.set(alias[1]!, pair.value);
    else checkConfig(pair, runState, analyzer, "the git setting");
  }
  const sub = args[i];
  if (!sub) return;
  if (!isKnown(sub)) {
    // `git $SUB …`: try the subcommands whose rules read only their arguments.
    for (const name of Object.keys(SUBCOMMANDS)) {
      const rule = SUBCOMMANDS[name]!(parseOptions(args.slice(i + 1), SPECS[name] ?? NO_OPTIONS), runState, analyzer.places.workspaceRoot);
      if (rule) throw new Refusal(rule[0], `the git subcommand \`${sub.source}\` is computed at run time; if it is \`${name}\`, ${rule[1]}`);
    }
    return;
  }
  const rest = args.slice(i + 1);
  const alias = aliases.get(sub.value);
  if (alias !== undefined && !(sub.value in SUBCOMMANDS) && sub.value !== "config") {
    return checkAlias(sub.value, alias, rest, runState, analyzer, input, aliases);
  }
  // fetch, pull, clone, ls-remote, push, archive: options whose value git runs as a shell command.
  const commandOption = rest.findIndex((f) => /^--(upl|upload-|rece|receive-|exec$|exec=)/.test(f.value) || (sub.value === "clone" && f.value === "-u"));
  if (commandOption >= 0) {
    const option = rest[commandOption]!;
    const eq = option.value.indexOf("=");
    const code = eq >= 0 ? { ...option, value: option.value.slice(eq + 1) } : rest[commandOption + 1];
    if (code) analyzer.runCodeField(code, runState, `\`git ${sub.value} ${option.value.split("=")[0]}\``);
  }
  if (sub.value === "config") {
    const setting = configSetting(parseOptions(rest, CONFIG_OPTIONS));
    if (setting) checkConfig(setting, runState, analyzer, "`git config`");
    return;
  }
  const events = parseOptions(rest, SPECS[sub.value] ?? NO_OPTIONS);
  const rule = SUBCOMMANDS[sub.value]?.(events, runState, analyzer.places.workspaceRoot);
  if (rule) throw new Refusal(rule[0], rule[1]);
}

const git: Handler = ({ argv, state, stdin, fds }, analyzer) => gitArguments(argv.slice(1), state, analyzer, new Map(), { stdin, fds });

export const GIT_HANDLERS: Array<[string, Handler]> = [["git", git]];
