import { basename } from "node:path";
import { DECODERS, DOWNLOADERS, DEVICE_READERS, RAW_DISK, WRAPPERS } from "./commandTables.js";
import { expandWord, expandWords, isKnown, UNKNOWN, type Field } from "./expand.js";
import { parseShell } from "./parser.js";
import { Refusal } from "./rules.js";
import { ShellSyntaxError, type Assignment, type Command, type Redirect, type SimpleCommand, type Statement, type Word } from "./shellAst.js";
import { decodeEscapes, echoOutput, printfOutput } from "./printf.js";
import { reachesToolFiles } from "./configReach.js";
import type { ShellState } from "./state.js";
import type { Places } from "./targets.js";
import { forEachSimpleCommand } from "./walk.js";
import { unwrapArguments } from "./unwrap.js";
import { findForkBomb } from "./forkBomb.js";

/** What a command reads on standard input (or another file descriptor), as far as the command line shows it. */
export type Stdin =
  | { kind: "none" }
  /** The earlier stages of a pipeline (or a process substitution's script), and what the first of them reads. */
  | { kind: "pipe"; producers: Statement[]; state: ShellState; input?: Stdin }
  /** A here-document or here-string. */
  | { kind: "text"; word: Word; state: ShellState }
  /** A file named on the command line (its content is not read: a documented limit). */
  | { kind: "file" }
  /** A descriptor the command line does not show being opened. */
  | { kind: "unknown"; what: string };

export const NO_STDIN: Stdin = { kind: "none" };

/** Open file descriptors by number ("0" is standard input). */
export type Descriptors = ReadonlyMap<string, Stdin>;
const NO_FDS: Descriptors = new Map();

export interface CommandCall {
  /** argv[0] without its folder (`/bin/rm` → `rm`). */
  name: string;
  argv: Field[];
  state: ShellState;
  stdin: Stdin;
  /** Descriptors opened for this command (`3<<<'…'`, `exec 3< <(…)`); "0" is stdin. */
  fds: Descriptors;
}

export type Handler = (call: CommandCall, analyzer: Analyzer) => void;

const MAX_DEPTH = 8;
/** Commands inspected per command line; loops over literal items multiply work, so it is capped. */
const MAX_STEPS = 20_000;
const OUTPUT_REDIRECTS = new Set([">", ">>", ">|", "<>", "&>", "&>>", ">&"]);

/** Commands tried for a command name computed at run time: their rules look only at the arguments. */
const ARGUMENT_SHAPED = ["rm", "chmod", "chown", "find", "git", "dd", "sh"];

/**
 * Reads a parsed command line the way bash would run it — statement by
 * statement, tracking `cd` and variables — and hands every simple command
 * (after expansion and unwrapping) to its handler. A handler refuses by
 * throwing a Refusal.
 */
export class Analyzer {
  /** Every simple command seen, expanded, for the user's own deny patterns. */
  readonly seen: string[] = [];
  private depth = 0;
  /** git aliases being followed (they may refer to each other). */
  aliasDepth = 0;
  private steps = 0;

  constructor(
    readonly places: Places,
    private readonly handlerFor: (name: string) => Handler | undefined,
    private readonly configMarkers: readonly string[],
  ) {}

  script(statements: Statement[], state: ShellState, stdin: Stdin = NO_STDIN): void {
    for (const statement of statements) this.statement(statement, state, stdin);
  }

  private statement(statement: Statement, state: ShellState, stdin: Stdin): void {
    // Descriptors opened by an earlier `exec 3<<<…` are still open; a pipe replaces standard input.
    const fds = new Map(state.get<Descriptors>("fds") ?? NO_FDS);
    if (stdin.kind !== "none" || !fds.has("0")) fds.set("0", stdin);
    for (const redirect of statement.redirects) this.redirect(redirect, state, fds);
    const command = statement.command;
    if (command.kind === "simple" && command.words.length === 1 && wordIs(command.words[0]!, "exec") && statement.redirects.length > 0) {
      // `exec 3<<<'…'` / `exec < <(…)`: the descriptors stay open for the rest of the shell.
      state.set("fds", fds);
      return;
    }
    this.command(command, state, fds.get("0") ?? NO_STDIN, fds);
  }

  private redirect(redirect: Redirect, state: ShellState, fds: Map<string, Stdin>): void {
    this.wordScripts(redirect.target, state);
    if (redirect.heredoc) this.wordScripts(redirect.heredoc, state);
    const fd = redirect.fd ?? (redirect.op.startsWith("<") && redirect.op !== "<>" ? "0" : "1");
    if (redirect.op === "<<" || redirect.op === "<<-") {
      fds.set(fd, redirect.heredoc ? { kind: "text", word: redirect.heredoc, state } : NO_STDIN);
      return;
    }
    if (redirect.op === "<<<") {
      fds.set(fd, { kind: "text", word: redirect.target, state });
      return;
    }
    const targets = expandWord(redirect.target, state.copy());
    this.checkConfigMention(targets, state);
    if (OUTPUT_REDIRECTS.has(redirect.op)) {
      for (const target of targets) {
        if (RAW_DISK.test(target.value)) {
          throw new Refusal("disk", `the output is redirected onto the disk device \`${target.value}\``);
        }
      }
    }
    if (redirect.op === "<") fds.set(fd, this.opened(redirect.target, targets, state, fds));
    else if (redirect.op === "<&") {
      const from = targets[0]?.value ?? "";
      fds.set(fd, /^\d+$/.test(from) ? (fds.get(from) ?? { kind: "unknown", what: `file descriptor ${from}` }) : from === "-" ? NO_STDIN : { kind: "unknown", what: redirect.target.source });
    } else if (redirect.op === "<>") fds.set(fd, { kind: "file" });
  }

  /** What `< target` reads: a process substitution's output, another descriptor, or a file. */
  private opened(word: Word, targets: Field[], state: ShellState, fds: Descriptors): Stdin {
    const only = word.parts.length === 1 ? word.parts[0]! : null;
    if (only?.kind === "process") return { kind: "pipe", producers: only.script, state };
    const target = targets.length === 1 ? targets[0]! : null;
    if (!target || !isKnown(target)) return { kind: "unknown", what: word.source };
    return descriptorPath(target.value, fds) ?? { kind: "file" };
  }

  private command(command: Command, state: ShellState, stdin: Stdin, fds: Descriptors = NO_FDS): void {
    switch (command.kind) {
      case "simple":
        return this.simple(command, state, stdin, fds);
      case "pipeline":
        command.stages.forEach((stage, index) => {
          const input: Stdin = index === 0 ? stdin : { kind: "pipe", producers: command.stages.slice(0, index), state, input: stdin };
          const stageState = state.copy();
          this.statement(stage, stageState, input);
          // With `shopt -s lastpipe` the last stage runs in this shell: a `cd` there leaves the folder unknown.
          if (index === command.stages.length - 1 && stageState.cwd !== state.cwd) state.changeDirectory(null);
        });
        return;
      case "list":
        this.statement(command.left, state, stdin);
        this.statement(command.right, state, stdin);
        return;
      case "group":
        return this.script(command.body, command.subshell ? state.copy() : state, stdin);
      case "function": {
        const bomb = findForkBomb(command);
        if (bomb) throw new Refusal("fork-bomb", bomb);
        // Read where it is called, with the call's arguments (it may `cd`); one never called on the line is read at the end with unknown arguments.
        state.set(`function:${command.name}`, command.body);
        this.uncalled.set(command.body, state.copy());
        return;
      }
      case "for":
        return this.loop(command.variable, command.items, command.body, state, stdin);
      case "compound":
        command.words.forEach((w) => this.wordScripts(w, state));
        command.scripts.forEach((s) => this.script(s, state.copy()));
        // A coprocess reads what later commands write to it: its input is not on the command line.
        return this.script(command.body, command.coproc ? state.copy() : state, command.coproc ? { kind: "unknown", what: "a coprocess's input" } : stdin);
      case "declare":
        for (const assign of command.assigns) {
          if (assign.value) this.wordScripts(assign.value, state);
          (assign.array ?? []).forEach((w) => this.wordScripts(w, state));
          this.applyAssignment(assign, state, true);
        }
        return;
    }
  }

  /** `for x in a b c`: the body once per literal item (so `rm -rf "$x"` is judged per item), else once with x unknown. */
  private loop(variable: string, items: Word[] | null, body: Statement[], state: ShellState, stdin: Stdin): void {
    (items ?? []).forEach((w) => this.wordScripts(w, state));
    const values = items ? expandWords(items, state.copy()) : null;
    const literal = values !== null && values.length <= 16 && values.every((v) => isKnown(v) && !v.glob);
    const runs: Array<string | null> = literal ? values.map((v) => v.value) : [null];
    for (const value of runs) {
      const inner = state.copy();
      inner.assign(variable, value);
      this.script(body, inner, stdin);
      if (inner.cwd !== state.cwd) state.changeDirectory(null);
    }
    state.assign(variable, null);
  }

  private simple(command: SimpleCommand, state: ShellState, stdin: Stdin, fds: Descriptors): void {
    for (const assign of command.assigns) {
      if (assign.value) this.wordScripts(assign.value, state);
      (assign.array ?? []).forEach((w) => this.wordScripts(w, state));
    }
    command.words.forEach((w) => this.wordScripts(w, state));
    const argv = expandWords(command.words, state);
    if (argv.length === 0) {
      for (const assign of command.assigns) this.applyAssignment(assign, state);
      return;
    }
    let runState = state;
    if (command.assigns.length > 0) {
      // `VAR=x cmd` sets VAR for that command only.
      runState = state.copy();
      for (const assign of command.assigns) this.applyAssignment(assign, runState);
    }
    this.run(argv, runState, stdin, fds);
    // `CDPATH=/x cd y`: the assignment is temporary, the move is not.
    if (runState !== state && runState.cwd !== state.cwd) state.cwd = runState.cwd;
  }

  /** `x=…`, `a=(…)`, `a+=(…)`, `a[i]=…`: what later words see. */
  private applyAssignment(assign: Assignment, state: ShellState, declared = false): void {
    if (!assign.name) return;
    if (assign.indexed) return state.assignArray(assign.name, null);
    if (assign.array && !assign.value) {
      const fields = expandWords(assign.array, state.copy());
      const known = fields.every((f) => isKnown(f) && !f.glob) && fields.length <= 256;
      const before = assign.append ? state.lookupArray(assign.name) : [];
      return state.assignArray(assign.name, known && before !== null ? [...before, ...fields.map((f) => f.value)] : null);
    }
    // `X=` is empty; `export X` / `local X` (in a declare) keep a value the policy does not track.
    if (!assign.value) return state.assign(assign.name, declared || assign.array ? null : "");
    const value = this.assignedValue(assign.value, state);
    this.checkStoredCode(assign.name, value, state);
    if (assign.append) {
      const before = state.lookup(assign.name);
      return state.assign(assign.name, before === null || value === null ? null : before + value);
    }
    state.assign(assign.name, value);
  }

  private assignedValue(word: Word, state: ShellState): string | null {
    const fields = expandWord(word, state, { assignment: true });
    if (fields.length === 0) return "";
    return fields.length === 1 && isKnown(fields[0]!) ? fields[0]!.value : null;
  }

  /** Substitutions inside a word run before the command: inspect them (in a subshell's copy of the state). */
  private wordScripts(word: Word, state: ShellState): void {
    for (const script of scriptsInWord(word)) this.script(script, state.copy());
  }

  /** Run one command given as expanded arguments (also used by wrappers for the command they wrap). */
  run(argv: Field[], state: ShellState, stdin: Stdin, fds: Descriptors = NO_FDS): void {
    if (argv.length === 0) return;
    if (++this.steps > MAX_STEPS) throw new Refusal("nesting-limit", `the command line expands to more than ${MAX_STEPS} commands to inspect`);
    this.seen.push(argv.map((f) => f.value.replaceAll(UNKNOWN, "…")).join(" "));
    this.checkConfigMention(argv, state);
    const first = argv[0]!;
    if (!isKnown(first) && first.spread) {
      throw new Refusal("eval-dynamic", `the whole command \`${first.source}\` is a list computed at run time (its name and arguments cannot be checked)`);
    }
    if (!isKnown(first)) return this.computedName(argv, state, stdin);
    const alias = state.get<string>(`alias:${first.value}`);
    if (alias !== undefined && !this.expanding.has(`alias:${first.value}`)) {
      const code = [alias, ...argv.slice(1).map(quoteField)].join(" ");
      return this.withGuard(`alias:${first.value}`, () => this.runCode(code, state, `the alias \`${first.value}\``, stdin, fds, true));
    }
    const body = state.get<Statement>(`function:${first.value}`);
    if (body !== undefined && !this.expanding.has(`function:${first.value}`)) {
      // A function runs in this shell with the call's arguments as $1 … $N: a `cd` inside it moves the commands after it.
      const args = argv.slice(1).map((f) => (isKnown(f) && !f.spread ? f.value : null));
      this.uncalled.delete(body);
      return this.withGuard(`function:${first.value}`, () => state.withPositionals(args, () => this.statement(body, state, stdin)));
    }
    if (first.glob) {
      // `/???/r? -rf /`: a glob in command position may match any program.
      return this.computedName(argv, state, stdin);
    }
    const hashed = state.get<string>(`hash:${first.value}`);
    if (hashed !== undefined) return this.run([{ ...first, value: hashed }, ...argv.slice(1)], state, stdin, fds);
    const name = commandName(first.value);
    if (this.builtin(name, argv, state)) return;
    this.handlerFor(name)?.({ name, argv, state, stdin, fds }, this);
    if (!DEVICE_READERS.has(name)) {
      const device = argv.slice(1).find((f) => RAW_DISK.test(f.value.replace(/^of=/, "")));
      if (device) throw new Refusal("disk", `\`${name}\` is given the disk device \`${device.value}\``);
    }
  }

  /** Functions defined but not (yet) called, with the state where they were defined. */
  private readonly uncalled = new Map<Statement, ShellState>();

  /** After the whole line: functions nobody called visibly (a computed name, a later call) are read with unknown arguments. */
  finish(): void {
    for (let round = 0; round < 64 && this.uncalled.size > 0; round++) {
      const [body, state] = this.uncalled.entries().next().value as [Statement, ShellState];
      this.uncalled.delete(body);
      this.statement(body, state, NO_STDIN);
    }
  }

  /** Aliases and functions being expanded (so a recursive one is read once). */
  private readonly expanding = new Set<string>();

  private withGuard(key: string, body: () => void): void {
    this.expanding.add(key);
    try {
      body();
    } finally {
      this.expanding.delete(key);
    }
  }

  /** Built-ins that change what later commands see. */
  private builtin(name: string, argv: Field[], state: ShellState): boolean {
    const args = argv.slice(1);
    switch (name) {
      case "cd":
      case "pushd":
        state.changeDirectory(this.cdTarget(name, args, state));
        return true;
      case "popd":
        state.changeDirectory(null);
        return true;
      case "shopt": {
        const set = args.some((f) => f.value === "-s");
        const unset = args.some((f) => f.value === "-u");
        if (!set && !unset) return true;
        const names = args.filter((f) => !f.value.startsWith("-"));
        for (const option of ["cdable_vars", "expand_aliases", "dotglob"]) {
          if (names.some((f) => f.value === option || !isKnown(f))) state.set(`shopt:${option}`, set);
        }
        return true;
      }
      case "alias":
        for (const f of args) {
          const eq = f.value.indexOf("=");
          if (eq <= 0) continue;
          const aliasName = f.value.slice(0, eq);
          if (!isKnown(f)) throw new Refusal("eval-dynamic", `the alias \`${aliasName.replaceAll(UNKNOWN, "…")}\` is set to text computed at run time`);
          state.set(`alias:${aliasName}`, f.value.slice(eq + 1));
        }
        return true;
      case "hash": {
        // `hash -p /bin/rm ls` makes `ls` run /bin/rm.
        const p = args.findIndex((f) => f.value === "-p");
        if (p >= 0 && args[p + 1]) {
          const path = args[p + 1]!;
          for (const f of args.slice(p + 2)) state.set(`hash:${f.value}`, isKnown(path) ? path.value : UNKNOWN);
        }
        return true;
      }
      case "set": {
        // `set -- a b c` (or `set a b c`) replaces the positional parameters.
        const dashes = args.findIndex((f) => f.value === "--");
        const rest = dashes >= 0 ? args.slice(dashes + 1) : args[0] && !/^[-+]/.test(args[0].value) ? args : null;
        if (rest) state.setPositionals(rest.map((f) => (isKnown(f) && !f.spread ? f.value : null)));
        return false;
      }
      case "unalias":
        for (const f of args) state.set(`alias:${f.value}`, undefined);
        return true;
      case "printf": {
        // `printf -v NAME FORMAT …` assigns instead of printing.
        if (args[0]?.value !== "-v" || !args[1]) return false;
        const target = args[1].value;
        const values = args.slice(2);
        const text = values.every(isKnown) ? printfOutput(values.map((f) => f.value)) : null;
        if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(target)) state.assign(target, text);
        return true;
      }
      case "read":
      case "unset":
      case "mapfile":
      case "readarray":
        for (const f of args) if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(f.value)) state.assignArray(f.value, null);
        return true;
    }
    return false;
  }

  /**
   * Where `cd`/`pushd` go, or null when that is only known at run time: a
   * computed target, `cd -`, `pushd` rotating its stack, and a plain name
   * while CDPATH is set or `shopt -s cdable_vars` is on (either may send it
   * elsewhere).
   */
  private cdTarget(name: string, args: Field[], state: ShellState): string | null {
    const operands: Field[] = [];
    let optionsDone = false;
    for (const f of args) {
      if (!optionsDone && f.value === "--") optionsDone = true;
      else if (!optionsDone && isKnown(f) && /^-[LPe@n]+$/.test(f.value)) continue;
      else operands.push(f);
    }
    const target = operands[0];
    if (!target) return name === "pushd" ? null : state.lookup("HOME");
    if (!isKnown(target) || target.glob || target.value === "-") return null;
    if (name === "pushd" && /^[+-]\d+$/.test(target.value)) return null;
    const value = target.value;
    if (value.startsWith("/") || /^\.\.?(\/|$)/.test(value)) return value;
    const cdpath = state.lookupSet("CDPATH");
    if (cdpath === null || (cdpath !== undefined && cdpath !== "")) return null;
    if (state.get<boolean>("shopt:cdable_vars") || /(^|:)cdable_vars(:|$)/.test(state.lookupSet("BASHOPTS") ?? "")) return null;
    return value;
  }

  /**
   * `$cmd -rf /`: the name is only known at run time. It may expand to
   * nothing or to a wrapper (so the rest is checked as a command), or to a
   * command whose rules look at arguments (so those rules are tried).
   */
  private computedName(argv: Field[], state: ShellState, stdin: Stdin): void {
    const shown = argv[0]!.source || "the command name";
    if (argv.length > 1) this.run(argv.slice(1), state.copy(), stdin);
    for (const candidate of ARGUMENT_SHAPED) {
      try {
        this.handlerFor(candidate)?.({ name: candidate, argv, state: state.copy(), stdin, fds: NO_FDS }, this);
      } catch (error) {
        if (!(error instanceof Refusal)) throw error;
        throw new Refusal(error.rule, `the command name \`${shown}\` is computed at run time; if it is \`${candidate}\`, ${error.reason}`);
      }
    }
    // Unquoted, a run-time value splits into a whole command with its own arguments (`while read l; do $l; done`).
    if (argv[0]!.glob && argv[0]!.value === UNKNOWN) {
      throw new Refusal("eval-dynamic", `the command \`${shown}\` is text computed at run time, split into a command and its arguments that cannot be checked (quote it if it is only a program name)`);
    }
  }

  /**
   * Text assigned to a variable that bash may later evaluate as code: PS4
   * (with `set -x`), PROMPT_COMMAND, `${x@P}`, arithmetic on a variable
   * (`a[$(cmd)]`). Literal text holding a command substitution is read as
   * code; text that does not parse is left alone (it is then only text).
   */
  checkStoredCode(name: string, value: string | null, state: ShellState): void {
    if (value === null) return;
    if (name === "PROMPT_COMMAND") return this.runCode(value, state, `\`${name}\``);
    if (!value.includes("$(") && !value.includes("`") && !value.includes("<(")) return;
    let statements: Statement[];
    try {
      statements = parseShell(`: ${value}`);
    } catch {
      try {
        statements = parseShell(`: "${value.replace(/(["\\])/g, "\\$1")}"`);
      } catch {
        return;
      }
    }
    this.depth++;
    try {
      if (this.depth > MAX_DEPTH) throw new Refusal("nesting-limit", `shell code nested more than ${MAX_DEPTH} levels deep`);
      this.script(statements, state.copy());
    } finally {
      this.depth--;
    }
  }

  /** Shell code given as text (`sh -c`, `eval`, `trap`, here-documents): parsed and read like the top level. */
  runCode(code: string, state: ShellState, origin: string, stdin: Stdin = NO_STDIN, fds: Descriptors = NO_FDS, inPlace = false): void {
    if (this.depth >= MAX_DEPTH) throw new Refusal("nesting-limit", `shell code nested more than ${MAX_DEPTH} levels deep`);
    let statements: Statement[];
    try {
      statements = parseShell(code);
    } catch (error) {
      if (error instanceof ShellSyntaxError) throw new Refusal("parse-error", `the code given to ${origin} does not parse: ${error.message}`);
      throw error;
    }
    this.depth++;
    try {
      const inner = inPlace ? state : state.copy();
      if (!inPlace && fds.size > 0) inner.set("fds", new Map([...fds].filter(([fd]) => fd !== "0")));
      this.script(statements, inner, stdin);
    } finally {
      this.depth--;
    }
  }

  /**
   * Shell code in one argument (`sh -c "$x"`): read it when its text is
   * known; refuse it when it is computed, naming a download or decoder when
   * that is where it comes from.
   */
  runCodeField(field: Field, state: ShellState, origin: string, fds: Descriptors = NO_FDS, where: "subshell" | "here" | "later" = "subshell"): void {
    if (isKnown(field)) {
      if (where === "subshell") return this.runCode(field.value, state, origin, fds.get("0") ?? NO_STDIN, fds);
      if (where === "here") return this.runCode(field.value, state, origin, fds.get("0") ?? NO_STDIN, fds, true);
      // Runs later in this shell (a trap): a `cd` in it makes the folder of everything after it unknown.
      const later = state.copy();
      this.runCode(field.value, later, origin, NO_STDIN, NO_FDS, true);
      if (later.cwd !== state.cwd) state.changeDirectory(null);
      return;
    }
    this.refuseFetched(field.scripts, state, origin);
    throw new Refusal("eval-dynamic", `${origin} is given shell code computed at run time (\`${field.source}\`), which cannot be inspected`);
  }

  /** Refuse when any of these scripts downloads or decodes text (it is about to be run as code). */
  refuseFetched(scripts: Statement[][], state: ShellState, origin: string): void {
    for (const script of scripts) {
      const source = fetchingCommand(script, state);
      if (source) throw new Refusal("pipe-to-shell", `${origin} runs text that comes from \`${source.name}\` (${source.what})`);
    }
  }

  /**
   * A shell (or `source /dev/stdin`) is about to run what arrives on its
   * standard input or a descriptor. Downloaded or decoded text is refused;
   * text the command line spells out (`echo`, `printf`, here-documents, `cat`
   * and `tee` passing them on, groups of them) is read as code; a named file
   * is not seen (a documented limit); anything else is computed at run time
   * and refused.
   */
  checkStdinProgram(stdin: Stdin, origin: string, options: { shell: boolean; here?: ShellState }): void {
    if (stdin.kind === "none" || stdin.kind === "file") return;
    if (stdin.kind === "text") this.refuseFetched(scriptsInWord(stdin.word), stdin.state, origin);
    if (stdin.kind === "pipe") {
      const source = fetchingCommand(stdin.producers, stdin.state);
      if (source) throw new Refusal("pipe-to-shell", `${source.what} text from \`${source.name}\` is piped into ${origin}`);
    }
    if (!options.shell) return;
    const produced = producedBy(stdin, 0);
    if (produced.computed !== null) {
      throw new Refusal("eval-dynamic", `${origin} reads shell code computed at run time (${produced.computed}), which cannot be inspected`);
    }
    const code = produced.texts.join("\n");
    if (!code.trim()) return;
    const state = stdin.kind === "pipe" || stdin.kind === "text" ? stdin.state : null;
    if (!state) return;
    // `source` runs it in this shell (a `cd` in it moves what comes after); a new shell runs it in a copy.
    const target = options.here ?? state;
    this.runCode(code, target, `${origin} (its input)`, NO_STDIN, NO_FDS, options.here !== undefined);
    // The same text through a shell whose echo decodes escapes (dash, `sh`).
    if (code.includes("\\")) this.runCode(decodeEscapes(code, "echo").text, state, `${origin} (its input)`);
  }

  private checkConfigMention(fields: Field[], state: ShellState): void {
    for (const field of fields) {
      if (this.configMarkers.some((marker) => marker && field.value.includes(marker))) {
        throw new Refusal("tool-config", `\`${field.source || field.value}\` names this tool's config folder`);
      }
      const dotglob = state.get<boolean>("shopt:dotglob") === true || state.lookupSet("GLOBIGNORE") !== undefined;
      const reach = reachesToolFiles(field, state.cwd, this.places.configHome, dotglob);
      if (reach) throw new Refusal("tool-config", `\`${field.source || field.value}\` ${reach}`);
    }
  }
}

/** `/dev/stdin`, `/dev/fd/N`, `/proc/self/fd/N`: the descriptor a path opens, or null for an ordinary path. */
export function descriptorPath(path: string, fds: Descriptors): Stdin | null {
  if (path === "/dev/stdin") return fds.get("0") ?? NO_STDIN;
  const match = /^\/(?:dev\/fd|proc\/(?:self|thread-self)\/fd)\/(\d+)$/.exec(path);
  if (!match) return null;
  const fd = String(Number(match[1]));
  return fds.get(fd) ?? (fd === "0" ? NO_STDIN : { kind: "unknown", what: `file descriptor ${fd}, which this command line does not open` });
}

function wordIs(word: Word, text: string): boolean {
  return word.parts.length === 1 && word.parts[0]!.kind === "literal" && word.parts[0]!.value === text;
}

/** A field as shell text that reads back as the same single argument (computed ones as an unknown variable). */
function quoteField(field: Field): string {
  return isKnown(field) ? `'${field.value.replace(/'/g, `'\\''`)}'` : '"$__computed_at_run_time"';
}

/** What a producer writes: spelled-out texts, or why it is computed. */
interface Produced {
  texts: string[];
  computed: string | null;
}

const NOTHING: Produced = { texts: [], computed: null };
const MAX_PRODUCER_DEPTH = 16;
/** Pass their standard input through unchanged. */
const PASS_THROUGH = new Set(["cat", "tee"]);
/** Write nothing a shell would run. */
const SILENT = new Set(["true", "false", ":"]);

function producedBy(stdin: Stdin, depth: number): Produced {
  if (depth > MAX_PRODUCER_DEPTH) return { texts: [], computed: "input nested too deeply" };
  switch (stdin.kind) {
    case "none":
    case "file":
      return NOTHING;
    case "unknown":
      return { texts: [], computed: stdin.what };
    case "text": {
      const text = expandWord(stdin.word, stdin.state.copy()).map((f) => f.value).join(" ");
      return text.includes(UNKNOWN) ? { texts: [], computed: "a here-document or here-string with run-time values" } : { texts: [text], computed: null };
    }
    case "pipe": {
      const producers = stdin.producers;
      if (producers.length === 0) return NOTHING;
      const first = stdin.input ?? NO_STDIN;
      const before: Stdin = producers.length > 1 ? { kind: "pipe", producers: producers.slice(0, -1), state: stdin.state, input: first } : first;
      return statementOutput(producers[producers.length - 1]!, before, stdin.state, depth + 1);
    }
  }
}

function merge(outputs: Produced[]): Produced {
  const computed = outputs.find((o) => o.computed !== null)?.computed ?? null;
  return { texts: outputs.flatMap((o) => o.texts), computed };
}

/** The output of one statement given its input. */
function statementOutput(statement: Statement, stdin: Stdin, state: ShellState, depth: number): Produced {
  let input = stdin;
  for (const redirect of statement.redirects) {
    if (redirect.fd && redirect.fd !== "0") continue;
    if ((redirect.op === "<<" || redirect.op === "<<-") && redirect.heredoc) input = { kind: "text", word: redirect.heredoc, state };
    else if (redirect.op === "<<<") input = { kind: "text", word: redirect.target, state };
    else if (redirect.op === "<") {
      const only = redirect.target.parts.length === 1 ? redirect.target.parts[0]! : null;
      input = only?.kind === "process" ? { kind: "pipe", producers: only.script, state } : { kind: "file" };
    }
  }
  const command = statement.command;
  switch (command.kind) {
    case "simple":
      return simpleOutput(expandWords(command.words, state.copy()), input, depth);
    case "pipeline": {
      const stages = command.stages;
      const before: Stdin = stages.length > 1 ? { kind: "pipe", producers: stages.slice(0, -1), state } : input;
      return statementOutput(stages[stages.length - 1]!, before, state, depth + 1);
    }
    case "group":
      return merge(command.body.map((s) => statementOutput(s, input, state, depth + 1)));
    case "list":
      return merge([statementOutput(command.left, input, state, depth + 1), statementOutput(command.right, input, state, depth + 1)]);
    case "function":
    case "declare":
      return NOTHING;
    default:
      return { texts: [], computed: "the output of a loop or condition" };
  }
}

function simpleOutput(argv: Field[], input: Stdin, depth: number): Produced {
  let args = argv;
  for (let hops = 0; hops < 8 && args.length > 0 && isKnown(args[0]!); hops++) {
    const spec = WRAPPERS[commandName(args[0]!.value)];
    if (!spec || spec.joinsAsCode) break;
    args = unwrapArguments(args, spec).inner;
  }
  if (args.length === 0) return NOTHING;
  const first = args[0]!;
  if (!isKnown(first)) return { texts: [], computed: `the output of \`${first.source}\`` };
  const name = commandName(first.value);
  if (SILENT.has(name)) return NOTHING;
  const rest = args.slice(1);
  if (name === "echo" || name === "printf") {
    if (name === "printf" && rest[0]?.value === "-v") return NOTHING;
    if (!rest.every(isKnown)) return { texts: [], computed: `\`${name}\` of a run-time value` };
    const values = rest.map((f) => f.value);
    const text = name === "echo" ? echoOutput(values) : printfOutput(values);
    return text === null ? { texts: [], computed: `a \`printf\` format it cannot compute` } : { texts: [text], computed: null };
  }
  if (PASS_THROUGH.has(name)) {
    const files = rest.filter((f) => !(isKnown(f) && f.value.startsWith("-") && f.value !== "-"));
    const readsInput = name === "tee" || files.length === 0 || files.some((f) => f.value === "-");
    return readsInput ? producedBy(input, depth + 1) : NOTHING;
  }
  return { texts: [], computed: `the output of \`${name}\`` };
}

/** `/usr/bin/rm` → `rm`. */
export function commandName(value: string): string {
  return basename(value);
}

export function scriptsInWord(word: Word): Statement[][] {
  const out: Statement[][] = [];
  for (const part of word.parts) {
    if (part.kind === "command" || part.kind === "process") out.push(part.script);
    else if (part.kind === "param" || part.kind === "arith") out.push(...part.scripts);
    else if (part.kind === "brace") for (const alt of part.alternatives) out.push(...scriptsInWord(alt));
  }
  return out;
}

/** The names a command runs under, through wrappers: `timeout 5 env curl` → timeout, env, curl. */
export function commandChain(argv: Field[]): string[] {
  const names: string[] = [];
  let current = argv;
  for (let hops = 0; current.length > 0 && hops < 8; hops++) {
    const first = current[0]!;
    if (!isKnown(first)) break;
    const name = commandName(first.value);
    names.push(name);
    const spec = WRAPPERS[name];
    if (!spec) break;
    current = unwrapArguments(current, spec).inner;
  }
  return names;
}

/** The first downloader or decoder anywhere in these statements (substitutions included). */
export function fetchingCommand(statements: Statement[], state: ShellState): { name: string; what: "downloaded" | "decoded" } | null {
  let found: { name: string; what: "downloaded" | "decoded" } | null = null;
  forEachSimpleCommand(statements, (command) => {
    if (found) return;
    for (const name of commandChain(expandWords(command.words, state.copy()))) {
      if (DOWNLOADERS.has(name)) found = { name, what: "downloaded" };
      else if (DECODERS.has(name)) found = { name, what: "decoded" };
      if (found) return;
    }
  });
  return found;
}
