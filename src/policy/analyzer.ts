import { basename, isAbsolute, posix } from "node:path";
import { DECODERS, DOWNLOADERS, DEVICE_READERS, RAW_DISK, WRAPPERS } from "./commandTables.js";
import { expandWord, expandWords, isKnown, literalField, UNKNOWN, type Field } from "./expand.js";
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
  /** The earlier stages of a pipeline (a process substitution's script is one stage, see scriptOutput), and what the first of them reads. */
  | { kind: "pipe"; producers: Statement[]; state: ShellState; input?: Stdin }
  /** A here-document or here-string (bash ends a here-string with a newline). */
  | { kind: "text"; word: Word; state: ShellState; herestring?: boolean }
  /** A file named on the command line (its content is not read: a documented limit). */
  | { kind: "file" }
  /** A descriptor the command line does not show being opened. */
  | { kind: "unknown"; what: string };

export const NO_STDIN: Stdin = { kind: "none" };
/** What a `>(…)` reads when the command line does not show who writes into it. */
const UNKNOWN_WRITER: Stdin = { kind: "unknown", what: "what a command writes into `>(…)`" };

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

/**
 * Where a word's substitutions run: `$(…)` and `<(…)` read the shell's
 * input (before the statement's own redirections); a `>(…)` reads what the
 * command writes into it.
 */
interface WordContext {
  incoming: Stdin;
  writes: Stdin;
}

const MAX_DEPTH = 8;
/** Commands inspected per command line; loops over literal items multiply work, so it is capped. */
const MAX_STEPS = 20_000;
const OUTPUT_REDIRECTS = new Set([">", ">>", ">|", "<>", "&>", "&>>", ">&"]);

/** Commands tried for a command name computed at run time: their rules look only at the arguments. */
const ARGUMENT_SHAPED = ["rm", "chmod", "chown", "find", "git", "dd", "sh", "source", "systemctl"];

/**
 * Reads a parsed command line the way bash would run it — statement by
 * statement, tracking `cd` and variables — and hands every simple command
 * (after expansion and unwrapping) to its handler. A handler refuses by
 * throwing a Refusal.
 */
/** Numbers the shell processes a line starts (`bash -c`), so a function is known to be its parent's. */
let shellProcesses = 0;

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
    const incoming = fds.get("0") ?? NO_STDIN;
    const command = statement.command;
    const exec = command.kind === "simple" && command.words.length === 1 && wordIs(command.words[0]!, "exec") && statement.redirects.length > 0;
    for (const redirect of statement.redirects) this.redirect(redirect, state, fds, { incoming, writes: this.written(redirect, statement, state, incoming, exec) });
    if (exec) {
      // `exec 3<<<'…'` / `exec < <(…)`: the descriptors stay open for the rest of the shell.
      state.set("fds", fds);
      return;
    }
    const input = fds.get("0") ?? NO_STDIN;
    // Input given by this statement's own redirection is read from its start (what `read` sees is then known).
    const previous = this.ownInput;
    this.ownInput = input !== incoming ? input : null;
    try {
      this.command(command, state, input, fds, { incoming, writes: { kind: "pipe", producers: [statement], state, input: incoming } });
    } finally {
      this.ownInput = previous;
    }
  }

  /** Standard input set by the redirection of the statement being read (null when it comes from outside it). */
  private ownInput: Stdin | null = null;

  /** What a `>(…)` as this redirection's target reads: the statement's output, or something the line does not show. */
  private written(redirect: Redirect, statement: Statement, state: ShellState, incoming: Stdin, exec: boolean): Stdin {
    const shown = statement.source.trim() || "the command";
    if (exec) return { kind: "unknown", what: "what later commands write into `>(…)`" };
    const fd = redirect.fd ?? "1";
    if ((redirect.op === ">" || redirect.op === ">>" || redirect.op === ">|") && fd === "1") {
      return { kind: "pipe", producers: [statement], state, input: incoming };
    }
    if (fd === "2" || redirect.op === "&>" || redirect.op === "&>>" || redirect.op === ">&") return { kind: "unknown", what: `what \`${shown}\` writes to its error output` };
    return { kind: "unknown", what: `what \`${shown}\` writes to descriptor ${fd}` };
  }

  private redirect(redirect: Redirect, state: ShellState, fds: Map<string, Stdin>, context: WordContext): void {
    this.wordScripts(redirect.target, state, context);
    if (redirect.heredoc) this.wordScripts(redirect.heredoc, state, context);
    const fd = redirect.fd ?? (redirect.op.startsWith("<") && redirect.op !== "<>" ? "0" : "1");
    if (redirect.op === "<<" || redirect.op === "<<-") {
      fds.set(fd, redirect.heredoc ? { kind: "text", word: redirect.heredoc, state } : NO_STDIN);
      return;
    }
    if (redirect.op === "<<<") {
      fds.set(fd, { kind: "text", word: redirect.target, state, herestring: true });
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
    if (redirect.op === "<") fds.set(fd, this.opened(redirect.target, targets, state, fds, context.incoming));
    else if (redirect.op === "<&") {
      const from = targets[0]?.value ?? "";
      fds.set(fd, /^\d+$/.test(from) ? (fds.get(from) ?? { kind: "unknown", what: `file descriptor ${from}` }) : from === "-" ? NO_STDIN : { kind: "unknown", what: redirect.target.source });
    } else if (redirect.op === "<>") fds.set(fd, { kind: "file" });
  }

  /** What `< target` reads: a process substitution's output, another descriptor, or a file. */
  private opened(word: Word, targets: Field[], state: ShellState, fds: Descriptors, incoming: Stdin): Stdin {
    const only = word.parts.length === 1 ? word.parts[0]! : null;
    if (only?.kind === "process") return only.direction === "<" ? scriptOutput(only.script, state, incoming) : { kind: "file" };
    const target = targets.length === 1 ? targets[0]! : null;
    if (!target || !isKnown(target)) return { kind: "unknown", what: word.source };
    const input = pathInput(target, state, fds);
    return input === "file" ? { kind: "file" } : input === "maybe" ? { kind: "unknown", what: word.source } : input;
  }

  private command(command: Command, state: ShellState, stdin: Stdin, fds: Descriptors = NO_FDS, context?: WordContext): void {
    const words: WordContext = { incoming: context?.incoming ?? stdin, writes: UNKNOWN_WRITER };
    switch (command.kind) {
      case "simple":
        return this.simple(command, state, stdin, fds, context ?? words);
      case "pipeline":
        command.stages.forEach((stage, index) => {
          const input: Stdin = index === 0 ? stdin : { kind: "pipe", producers: command.stages.slice(0, index), state, input: stdin };
          const stageState = state.copy();
          this.statement(stage, stageState, input);
          // With `shopt -s lastpipe` the last stage runs in this shell: a `cd` there leaves the folder unknown.
          if (index === command.stages.length - 1 && stageState.cwd !== state.cwd) state.changeDirectory(null);
          // … and what it assigns (`echo x | read v`) may or may not reach this shell.
          if (index === command.stages.length - 1) for (const name of stageState.ownNames()) state.assign(name, null);
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
        state.set(`function-shell:${command.name}`, state.get<number>("shell-id") ?? 0);
        if (command.name.includes("/")) state.set("function-with-slash", true);
        this.uncalled.set(command.body, state.copy());
        return;
      }
      case "for":
        return this.loop(command.variable, command.items, command.body, state, stdin, words);
      case "compound":
        command.words.forEach((w) => this.wordScripts(w, state, words));
        command.scripts.forEach((s) => this.script(s, state.copy(), words.incoming));
        // A coprocess reads what later commands write to it, a nested `>(…)` what some command writes: not on the command line.
        if (command.coproc) return this.script(command.body, state.copy(), { kind: "unknown", what: "a coprocess's input" });
        if (command.writtenTo) return this.script(command.body, state.copy(), UNKNOWN_WRITER);
        return this.script(command.body, state, stdin);
      case "declare":
        return this.declare(command, state, words);
    }
  }

  /** `for x in a b c`: the body once per literal item (so `rm -rf "$x"` is judged per item), else once with x unknown. */
  private loop(variable: string, items: Word[] | null, body: Statement[], state: ShellState, stdin: Stdin, context: WordContext): void {
    (items ?? []).forEach((w) => this.wordScripts(w, state, context));
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

  private simple(command: SimpleCommand, state: ShellState, stdin: Stdin, fds: Descriptors, context: WordContext): void {
    const assignmentContext: WordContext = { incoming: context.incoming, writes: UNKNOWN_WRITER };
    for (const assign of command.assigns) {
      if (assign.value) this.wordScripts(assign.value, state, assignmentContext);
      (assign.array ?? []).forEach((w) => this.wordScripts(w, state, assignmentContext));
    }
    command.words.forEach((w) => this.wordScripts(w, state, context));
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
    this.run(argv, runState, stdin, withProcessInputs(command, fds, state, context.incoming));
    if (runState !== state) {
      // `CDPATH=/x cd y`, `IFS= read -r line`: the assignment is temporary, the move and what the command assigns are not.
      if (runState.cwd !== state.cwd) state.cwd = runState.cwd;
      const temporary = new Set(command.assigns.map((a) => a.name));
      for (const name of runState.ownNames()) if (!temporary.has(name)) state.copyVariable(runState, name);
    }
  }

  /** `x=…`, `a=(…)`, `a+=(…)`, `a[i]=…`: what later words see. */
  private applyAssignment(assign: Assignment, state: ShellState, declared = false): void {
    if (!assign.name) return;
    if (assign.indexed || assign.keyed) return state.assignArray(assign.name, null);
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

  /** Substitutions inside a word run before the command: inspect them (in a subshell's copy of the state), each with what it reads. */
  private wordScripts(word: Word, state: ShellState, context?: WordContext): void {
    const incoming = context?.incoming ?? state.get<Descriptors>("fds")?.get("0") ?? NO_STDIN;
    const writes = context?.writes ?? UNKNOWN_WRITER;
    for (const part of word.parts) {
      if (part.kind === "command") this.script(part.script, state.copy(), incoming);
      else if (part.kind === "process") this.script(part.script, state.copy(), part.direction === ">" ? writes : incoming);
      else if (part.kind === "param" || part.kind === "arith") part.scripts.forEach((s) => this.script(s, state.copy(), incoming));
      else if (part.kind === "brace") part.alternatives.forEach((alternative) => this.wordScripts(alternative, state, context));
    }
  }

  /** Run one command given as expanded arguments (also used by wrappers for the command they wrap). */
  run(argv: Field[], state: ShellState, stdin: Stdin, fds: Descriptors = NO_FDS): void {
    if (argv.length === 0) return;
    if (++this.steps > MAX_STEPS) throw new Refusal("nesting-limit", `the command line expands to more than ${MAX_STEPS} commands to inspect`);
    this.seen.push(argv.map((f) => f.value.replaceAll(UNKNOWN, "…")).join(" "));
    this.checkConfigMention(argv, state);
    const rebound = state.commandsRebound();
    if (rebound) throw new Refusal("eval-dynamic", `${rebound === "BASH_CMDS" || rebound === "BASH_ALIASES" ? `\`${rebound}\`` : rebound} was assigned earlier on the line, so any command name may run another program`);
    const first = argv[0]!;
    if (!isKnown(first) && first.spread) {
      throw new Refusal("eval-dynamic", `the whole command \`${first.source}\` is a list computed at run time (its name and arguments cannot be checked)`);
    }
    if (!isKnown(first) && !knownProgram(first, state)) return this.computedName(argv, state, stdin, fds);
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
      // Defined by a parent shell process (`f() {…}; bash -c f`): the new shell has it only when it was
      // exported (`export -f`), so both the function and the real program are read.
      const inherited = (state.get<number>(`function-shell:${first.value}`) ?? 0) !== (state.get<number>("shell-id") ?? 0);
      const scope = inherited ? state.copy() : state;
      this.withGuard(`function:${first.value}`, () => scope.withPositionals(args, () => this.callFunction(body, scope, stdin, fds)));
      if (!inherited) return;
    }
    if (first.glob) {
      // `/???/r? -rf /`: a glob in command position may match any program.
      return this.computedName(argv, state, stdin, fds);
    }
    const hashed = state.get<string>(`hash:${first.value}`);
    if (hashed !== undefined) return this.run([{ ...first, value: hashed }, ...argv.slice(1)], state, stdin, fds);
    const name = commandName(first.value);
    if (this.builtin(name, argv, state, stdin)) return;
    this.handlerFor(name)?.({ name, argv, state, stdin, fds }, this);
    if (!DEVICE_READERS.has(name)) {
      const device = argv.slice(1).find((f) => RAW_DISK.test(f.value.replace(/^of=/, "")));
      if (device) throw new Refusal("disk", `\`${name}\` is given the disk device \`${device.value}\``);
    }
  }

  /** Function calls being read, innermost last, with the caller's variables their `local`s hide. */
  private readonly frames: Array<{ state: ShellState; restore: Map<string, () => void> }> = [];

  /**
   * A function body runs in this shell: descriptors the call opened
   * (`f 3<<<…`, `f <(…)`) are open in it, and its `local` variables are put
   * back when it returns.
   */
  private callFunction(body: Statement, state: ShellState, stdin: Stdin, fds: Descriptors): void {
    const before = state.get<Descriptors>("fds");
    const open = new Map([...(before ?? NO_FDS), ...[...fds].filter(([fd]) => fd !== "0")]);
    if (open.size > 0) state.set("fds", open);
    const frame = { state, restore: new Map<string, () => void>() };
    this.frames.push(frame);
    try {
      this.statement(body, state, stdin);
    } finally {
      this.frames.pop();
      for (const restore of [...frame.restore.values()].reverse()) restore();
      if (open.size > 0) state.set("fds", before);
    }
  }

  /** `declare`, `local`, `typeset`, `export`, `readonly`: assignments, namerefs (`-n`), and a function's locals. */
  private declare(command: Extract<Command, { kind: "declare" }>, state: ShellState, context: WordContext): void {
    let nameref = false;
    let global = false;
    let unknownFlags = false;
    let transformed = false;
    for (const assign of command.assigns) {
      if (assign.name || !assign.value) continue;
      for (const flag of expandWord(assign.value, state.copy())) {
        if (!isKnown(flag)) unknownFlags = true;
        else if (/^-[A-Za-z]+$/.test(flag.value)) {
          if (flag.value.includes("n")) nameref = true;
          if (flag.value.includes("g")) global = true;
          if (/[luci]/.test(flag.value)) transformed = true;
        } else if (/^\+[A-Za-z]+$/.test(flag.value) && flag.value.includes("n")) unknownFlags = true;
      }
    }
    const frame = this.frames[this.frames.length - 1];
    const local = frame !== undefined && frame.state === state && !global && ["local", "declare", "typeset"].includes(command.variant);
    for (const assign of command.assigns) {
      if (assign.value) this.wordScripts(assign.value, state, context);
      (assign.array ?? []).forEach((w) => this.wordScripts(w, state, context));
      if (!assign.name) continue;
      if (local && !frame.restore.has(assign.name)) frame.restore.set(assign.name, state.saveVariable(assign.name));
      if (transformed || unknownFlags) state.markTransformed(assign.name);
      if (nameref || unknownFlags) {
        // `declare -n ref=target`; with flags computed at run time it may or may not be a reference.
        const target = assign.value ? this.assignedValue(assign.value, state) : "";
        state.declareNameref(assign.name, unknownFlags ? null : target);
        continue;
      }
      this.applyAssignment(assign, state, true);
    }
  }

  /** Computed command names being read inside one another (`"$a" "$b" "$c" …`). */
  private computedChain = 0;

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
  private builtin(name: string, argv: Field[], state: ShellState, stdin: Stdin): boolean {
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
        else forget([args[1]], state);
        return true;
      }
      case "read":
        this.read(args, state, stdin);
        return true;
      case "mapfile":
      case "readarray":
        this.mapfile(name, args, state, stdin);
        return true;
      case "unset":
      case "declare":
      case "typeset":
      case "local":
      case "export":
      case "readonly":
      case "getopts":
      case "wait": {
        // Reached through `builtin`/`command` (a plain `declare x=…` is read as a declaration): each variable named becomes computed.
        const operands = args.filter((f) => !(isKnown(f) && /^[-+][A-Za-z]+$/.test(f.value)));
        if (name === "declare" || name === "typeset" || name === "local") {
          if (args.some((f) => !isKnown(f) || /^-[A-Za-z]*n/.test(f.value))) for (const f of operands) if (isKnown(f)) state.declareNameref(f.value.split("=")[0]!, null);
          if (args.some((f) => !isKnown(f) || /^-[A-Za-z]*[luci]/.test(f.value))) for (const f of operands) if (isKnown(f)) state.markTransformed(f.value.split("=")[0]!);
        }
        forget(name === "getopts" ? [...operands.slice(1, 2), literalField("OPTARG"), literalField("OPTIND")] : name === "wait" ? args.filter((_f, i) => args[i - 1]?.value === "-p") : operands, state, name === "unset");
        return true;
      }
      case "shift": {
        const list = state.get<string[] | null>("array:@");
        const count = args[0] === undefined ? 1 : isKnown(args[0]) && /^\d+$/.test(args[0].value) ? Number(args[0].value) : null;
        if (list && count !== null) {
          if (count <= list.length) state.setPositionals(list.slice(count));
        } else state.setPositionals([null]);
        return true;
      }
    }
    return false;
  }

  /**
   * `read`: the variables get the first line of input this statement itself
   * supplies (`read -r a b <<< 'x y'`), split as bash splits it; from any
   * other input (a pipe, a file, a loop's input) they are computed.
   */
  private read(args: Field[], state: ShellState, stdin: Stdin): void {
    let raw = false;
    let exact = true;
    let array: Field | null = null;
    let i = 0;
    for (; i < args.length; i++) {
      const f = args[i]!;
      if (!isKnown(f)) return forget(args.slice(i), state);
      if (f.value === "--") {
        i++;
        break;
      }
      if (!/^-[A-Za-z]/.test(f.value)) break;
      for (let c = 1; c < f.value.length; c++) {
        const option = f.value[c]!;
        if (option === "r") raw = true;
        else if (option === "s" || option === "e" || option === "E") continue;
        else if ("adinNptu".includes(option)) {
          const attached = f.value.slice(c + 1);
          const value = attached ? { ...f, value: attached } : args[++i];
          if (option === "a") array = value ?? null;
          // -d, -i, -n, -N, -u change what is read.
          else if (option !== "p" && option !== "t") exact = false;
          break;
        } else exact = false;
      }
    }
    const names = args.slice(i);
    const targets = array ? [array] : names.length > 0 ? names : [literalField("REPLY")];
    if (!targets.every((f) => isKnown(f) && /^[A-Za-z_][A-Za-z0-9_]*$/.test(f.value))) return forget(targets, state);
    const line = exact && stdin === this.ownInput ? firstLine(stdin, raw) : null;
    const ifs = state.lookup("IFS");
    if (line === null || ifs === null || !/^[ \t\n]*$/.test(ifs)) return forget(targets, state);
    if (array) return state.assignArray(array.value, ifs === "" ? [line] : splitOnWhitespace(line, ifs));
    if (names.length === 0) return state.assign("REPLY", line);
    if (ifs === "") return names.forEach((f, k) => state.assign(f.value, k === 0 ? line : ""));
    // Each name but the last takes one field; the last takes the rest of the line, trimmed.
    let rest = trimChars(line, ifs);
    const field = new RegExp(`^([^${escapeClass(ifs)}]*)[${escapeClass(ifs)}]*`);
    names.forEach((f, k) => {
      if (k === names.length - 1) return state.assign(f.value, rest);
      const match = field.exec(rest)!;
      state.assign(f.value, match[1]!);
      rest = rest.slice(match[0].length);
    });
  }

  /**
   * `mapfile -t a <<< …`: the lines of input this statement supplies; a
   * `-C` callback is shell code run every few lines.
   */
  private mapfile(name: string, args: Field[], state: ShellState, stdin: Stdin): void {
    let strip = false;
    let exact = true;
    let i = 0;
    for (; i < args.length; i++) {
      const f = args[i]!;
      if (!isKnown(f)) return forget(args.slice(i), state);
      if (f.value === "--") {
        i++;
        break;
      }
      if (!/^-[A-Za-z]/.test(f.value)) break;
      for (let c = 1; c < f.value.length; c++) {
        const option = f.value[c]!;
        if (option === "t") strip = true;
        else if ("dnOsuCc".includes(option)) {
          const attached = f.value.slice(c + 1);
          const value = attached ? { ...f, value: attached } : args[++i];
          if (option === "C" && value) this.runCodeField(value, state, `\`${name} -C\``, undefined, "here");
          exact = false;
          break;
        } else exact = false;
      }
    }
    const target = args[i] ?? literalField("MAPFILE");
    if (!isKnown(target) || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(target.value)) return forget([target], state);
    const text = exact && strip && stdin === this.ownInput ? inputText(stdin) : null;
    if (text === null) return state.assignArray(target.value, null);
    const lines = text.split("\n");
    // A last line without a newline still counts.
    if (lines[lines.length - 1] === "") lines.pop();
    state.assignArray(target.value, lines);
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
  private computedName(argv: Field[], state: ShellState, stdin: Stdin, fds: Descriptors): void {
    const shown = argv[0]!.source || "the command name";
    if (argv.length > 1) {
      // It may be a wrapper of the rest, which may start with a computed name again: each more word is one more level.
      if (this.computedChain >= MAX_DEPTH) throw new Refusal("nesting-limit", `more than ${MAX_DEPTH} words in a row in command position are computed at run time`);
      this.computedChain++;
      try {
        this.run(argv.slice(1), state.copy(), stdin, fds);
      } finally {
        this.computedChain--;
      }
    }
    const candidate = (name: string, check: () => void) => {
      try {
        check();
      } catch (error) {
        if (!(error instanceof Refusal)) throw error;
        throw new Refusal(error.rule, `the command name \`${shown}\` is computed at run time; if it is \`${name}\`, ${error.reason}`);
      }
    };
    for (const name of ARGUMENT_SHAPED) {
      candidate(name, () => this.handlerFor(name)?.({ name, argv, state: state.copy(), stdin, fds }, this));
    }
    // `"$e" 'rm -rf ~'` with e=eval: the arguments are code (text that does not parse makes eval run nothing).
    const args = argv.slice(1);
    if (args.length > 0) {
      candidate("eval", () => {
        if (!args.every((f) => isKnown(f) && !f.spread)) {
          throw new Refusal("eval-dynamic", `\`eval\` is given shell code computed at run time (\`${args.map((f) => f.source).join(" ")}\`), which cannot be inspected`);
        }
        const code = args.map((f) => f.value).join(" ");
        let parses = true;
        try {
          parseShell(code);
        } catch {
          parses = false;
        }
        if (parses) this.runCode(code, state.copy(), "`eval`", stdin, fds);
      });
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
      if (!inPlace) inner.set("shell-id", ++shellProcesses);
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

  /**
   * A shell or `source` runs the file at this path. A process substitution
   * or a descriptor path (`/dev/fd/3`, `/dev/stdin`, a name found through a
   * PATH holding /dev/fd) is read as code; a path computed at run time that
   * may name a descriptor has every descriptor the line opened with text read
   * as code; an ordinary file is not read (a documented limit).
   */
  checkScriptPath(field: Field | null, call: CommandCall, origin: string, options: { shell: boolean; here?: ShellState; searchPath?: boolean }): void {
    if (!field) return;
    if (field.scripts.length > 0) this.refuseFetched(field.scripts, call.state, origin);
    const input = pathInput(field, call.state, call.fds, options.searchPath === true);
    if (input === "file") return;
    if (input !== "maybe") return this.checkStdinProgram(input, origin, options);
    for (const [fd, open] of call.fds) {
      if (open.kind === "none" || open.kind === "file") continue;
      const which = fd.startsWith("<(") ? "a process substitution's output" : fd === "0" ? "its standard input" : `descriptor ${fd}`;
      this.checkStdinProgram(open, `${origin} (the file \`${field.source || field.value}\` is named at run time and may be ${which})`, options);
    }
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
    // What the producers themselves read counts too (`curl … | tee >(bash)`: tee passes curl's output on).
    for (let input: Stdin | undefined = stdin, hops = 0; input && hops < MAX_PRODUCER_DEPTH; input = input.kind === "pipe" ? input.input : undefined, hops++) {
      if (input.kind === "text") this.refuseFetched(scriptsInWord(input.word), input.state, origin);
      if (input.kind === "pipe") {
        const source = fetchingCommand(input.producers, input.state);
        if (source) throw new Refusal("pipe-to-shell", `${source.what} text from \`${source.name}\` is piped into ${origin}`);
      }
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

/**
 * `"$(npm bin)/tsc"`, `"$DIR/rm"`: a computed folder with a known program
 * name after the last slash runs that program (unless a function whose name
 * holds a slash could be meant).
 */
function knownProgram(field: Field, state: ShellState): boolean {
  if (field.glob || field.spread) return false;
  const slash = field.value.lastIndexOf("/");
  return slash > field.value.lastIndexOf(UNKNOWN) && slash < field.value.length - 1 && state.get<boolean>("function-with-slash") !== true;
}

/**
 * `cmd <(…)`: the command and whatever it starts can open each process
 * substitution's output through a /dev/fd path (`bash -c '. "$1"' _ <(…)`):
 * they are descriptors of the call, named `<(1)`, `<(2)` ….
 */
function withProcessInputs(command: SimpleCommand, fds: Descriptors, state: ShellState, incoming: Stdin): Descriptors {
  const scripts: Statement[][] = [];
  const nested = (list: Statement[][]) => {
    for (const script of list) {
      const only = script.length === 1 ? script[0]!.command : null;
      if (only?.kind === "compound" && only.readFrom) scripts.push(only.body);
    }
  };
  const collect = (word: Word) => {
    for (const part of word.parts) {
      if (part.kind === "process" && part.direction === "<") scripts.push(part.script);
      else if (part.kind === "param" || part.kind === "arith") nested(part.scripts);
      else if (part.kind === "brace") part.alternatives.forEach(collect);
    }
  };
  command.words.forEach(collect);
  for (const assign of command.assigns) {
    if (assign.value) collect(assign.value);
    (assign.array ?? []).forEach(collect);
  }
  if (scripts.length === 0) return fds;
  const out = new Map(fds);
  scripts.forEach((script, i) => out.set(`<(${i + 1})`, scriptOutput(script, state, incoming)));
  return out;
}

/** Variables named by these arguments (`x`, `x=…`, `a[1]`) become computed; a computed name may be any variable. */
function forget(fields: Field[], state: ShellState, unset = false): void {
  for (const field of fields) {
    if (!isKnown(field)) return state.forgetAll(!unset);
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(field.value)?.[0];
    if (name) state.assignArray(name, null);
  }
}

/** The whole text of input spelled out on the command line, or null. */
function inputText(stdin: Stdin): string | null {
  if (stdin.kind !== "text" && stdin.kind !== "pipe") return null;
  const produced = producedBy(stdin, 0);
  return produced.computed === null ? produced.texts.join("") : null;
}

/** The line `read` takes: up to the first newline. Without -r a backslash quotes what follows it (and keeps it from splitting): left uncomputed. */
function firstLine(stdin: Stdin, raw: boolean): string | null {
  const text = inputText(stdin);
  if (text === null) return null;
  const line = text.slice(0, text.indexOf("\n") >= 0 ? text.indexOf("\n") : text.length);
  return !raw && line.includes("\\") ? null : line;
}

function escapeClass(chars: string): string {
  return chars.replace(/[\\\]^-]/g, "\\$&").replace(/\t/g, "\\t").replace(/\n/g, "\\n");
}

function trimChars(text: string, chars: string): string {
  const set = escapeClass(chars);
  return chars ? text.replace(new RegExp(`^[${set}]+|[${set}]+$`, "g"), "") : text;
}

function splitOnWhitespace(text: string, chars: string): string[] {
  const trimmed = trimChars(text, chars);
  return trimmed === "" ? [] : trimmed.split(new RegExp(`[${escapeClass(chars)}]+`));
}

const stages = new WeakMap<Statement[], Statement>();

/** A script (`<(a; b)`) as one pipeline stage: its statements run one after another and their outputs follow each other. */
function asStage(script: Statement[]): Statement {
  let stage = stages.get(script);
  if (!stage) {
    stage = { command: { kind: "group", subshell: true, body: script }, background: false, redirects: [], source: script.map((s) => s.source).join("; ") };
    stages.set(script, stage);
  }
  return stage;
}

/** What a process substitution's script writes, as input for whatever reads it. */
function scriptOutput(script: Statement[], state: ShellState, input?: Stdin): Stdin {
  return input ? { kind: "pipe", producers: [asStage(script)], state, input } : { kind: "pipe", producers: [asStage(script)], state };
}

/** `/dev/stdin`, `/dev/fd/N`, `/proc/self/fd/N`: the descriptor a path opens, or null for an ordinary path. */
export function descriptorPath(path: string, fds: Descriptors): Stdin | null {
  const normal = posix.normalize(path);
  const named = ({ "/dev/stdin": "0", "/dev/stdout": "1", "/dev/stderr": "2" } as Record<string, string>)[normal];
  const match = named ? null : /^\/(?:dev\/fd|proc\/(?:self|thread-self)\/fd)\/(\d+)$/.exec(normal);
  if (!named && !match) return null;
  const fd = named ?? String(Number(match![1]));
  return fds.get(fd) ?? (fd === "0" ? NO_STDIN : { kind: "unknown", what: `file descriptor ${fd}, which this command line does not open` });
}

/** Paths that open a descriptor, to test a computed path against. */
const DESCRIPTOR_SAMPLES = [
  "/dev/stdin",
  "/dev/stdout",
  "/dev/stderr",
  ...["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "62", "63", "255"].flatMap((n) =>
    ["/dev/fd/", "/proc/self/fd/", "/proc/thread-self/fd/", "/proc/1/fd/", "/proc/1/task/1/fd/"].map((folder) => folder + n),
  ),
];

/**
 * Could this path, computed at run time (or relative to a folder computed at
 * run time), be `/dev/fd/N`, `/dev/stdin` or the like?
 */
function mayNameDescriptor(value: string, cwd: string | null): boolean {
  let path = value;
  let relative = false;
  if (!path.startsWith("/") && !path.startsWith(UNKNOWN)) {
    if (cwd === null) relative = true;
    else path = `${cwd}/${path}`;
  }
  if (path.includes(UNKNOWN)) {
    // A computed piece followed by `..` may climb anywhere; many computed pieces may be anything (and would match slowly).
    if (/(^|\/)\.\.(\/|$)/.test(path) || path.split(UNKNOWN).length > 8) return true;
    path = path.replace(/\/(\.\/)+/g, "/").replace(/\/{2,}/g, "/");
  } else path = posix.normalize(path);
  const body = path.split(UNKNOWN).map((piece) => piece.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")).join("[\\s\\S]*");
  const regex = new RegExp(relative ? `(^|/)${body}$` : `^${body}$`);
  return DESCRIPTOR_SAMPLES.some((sample) => regex.test(sample));
}

/**
 * What reading the file at this argument gives: a process substitution's or
 * descriptor's content, "file" for an ordinary file, or "maybe" when the
 * path is computed at run time and may name a descriptor. With searchPath, a
 * name without a slash may also be found through PATH (bash and `source` look
 * there when it is not in the current folder).
 */
function pathInput(field: Field, state: ShellState, fds: Descriptors, searchPath = false): Stdin | "file" | "maybe" {
  if (field.process) {
    if (field.process.direction === ">") return "file";
    const stage = asStage(field.process.script);
    for (const open of fds.values()) if (open.kind === "pipe" && open.producers.length === 1 && open.producers[0] === stage) return open;
    return scriptOutput(field.process.script, state);
  }
  if (!isKnown(field)) return mayNameDescriptor(field.value, state.cwd) ? "maybe" : "file";
  const value = field.value;
  const absolute = isAbsolute(value) ? value : state.cwd === null ? null : posix.resolve(state.cwd, value);
  if (absolute === null) return mayNameDescriptor(value, null) ? "maybe" : "file";
  const direct = descriptorPath(absolute, fds);
  if (direct) return direct;
  if (!searchPath || value.includes("/")) return "file";
  const path = state.lookup("PATH");
  if (path === null) return "maybe";
  for (const dir of path.split(":")) {
    if (!dir.startsWith("/")) continue;
    const found = descriptorPath(`${dir}/${value}`, fds);
    if (found) return found;
  }
  return "file";
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
      const text = expandWord(stdin.word, stdin.state.copy()).map((f) => f.value).join(" ") + (stdin.herestring ? "\n" : "");
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
  if (depth > MAX_PRODUCER_DEPTH) return { texts: [], computed: "output nested too deeply" };
  let input = stdin;
  const fds = new Map(state.get<Descriptors>("fds") ?? NO_FDS);
  for (const redirect of statement.redirects) {
    const fd = redirect.fd ?? (redirect.op.startsWith("<") && redirect.op !== "<>" ? "0" : "1");
    let opened: Stdin | null = null;
    if ((redirect.op === "<<" || redirect.op === "<<-") && redirect.heredoc) opened = { kind: "text", word: redirect.heredoc, state };
    else if (redirect.op === "<<<") opened = { kind: "text", word: redirect.target, state, herestring: true };
    else if (redirect.op === "<") {
      const targets = expandWord(redirect.target, state.copy());
      const read = targets.length === 1 ? pathInput(targets[0]!, state, fds) : "maybe";
      opened = read === "file" ? { kind: "file" } : read === "maybe" ? { kind: "unknown", what: redirect.target.source } : read;
      if (opened.kind === "pipe" && !opened.input) opened = { ...opened, input: stdin };
    } else if (redirect.op === "<&") {
      const from = expandWord(redirect.target, state.copy())[0]?.value ?? "";
      opened = /^\d+$/.test(from) ? (fds.get(from) ?? (from === "0" ? input : { kind: "unknown", what: `file descriptor ${from}` })) : { kind: "unknown", what: redirect.target.source };
    }
    if (!opened) continue;
    if (fd === "0") input = opened;
    else fds.set(fd, opened);
  }
  fds.set("0", input);
  const command = statement.command;
  switch (command.kind) {
    case "simple":
      return simpleOutput(expandWords(command.words, state.copy()), input, depth, fds, state);
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

function simpleOutput(argv: Field[], input: Stdin, depth: number, fds: Descriptors, state: ShellState): Produced {
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
    if (name === "tee" || files.length === 0) return producedBy(input, depth + 1);
    // `cat <(…)`, `cat /dev/fd/3`: what those files hold is on the command line; an ordinary file is not read.
    return merge(
      files.map((file): Produced => {
        if (isKnown(file) && file.value === "-") return producedBy(input, depth + 1);
        const read = pathInput(file, state, fds);
        if (read === "file") return NOTHING;
        if (read === "maybe") {
          const open = [...fds.values()].some((d) => d.kind !== "none" && d.kind !== "file");
          return open ? { texts: [], computed: `\`${name}\` of a file named at run time (\`${file.source}\`)` } : NOTHING;
        }
        return producedBy(read.kind === "pipe" && !read.input ? { ...read, input } : read, depth + 1);
      }),
    );
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
