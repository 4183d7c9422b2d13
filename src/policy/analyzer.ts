import { basename } from "node:path";
import { DECODERS, DOWNLOADERS, DEVICE_READERS, RAW_DISK, WRAPPERS } from "./commandTables.js";
import { evaluateSubstitution, expandWord, expandWords, isKnown, UNKNOWN, type Field } from "./expand.js";
import { parseShell } from "./parser.js";
import { Refusal } from "./rules.js";
import { ShellSyntaxError, type Command, type Redirect, type SimpleCommand, type Statement, type Word } from "./shellAst.js";
import type { ShellState } from "./state.js";
import type { Places } from "./targets.js";
import { forEachSimpleCommand } from "./walk.js";
import { unwrapArguments } from "./unwrap.js";
import { findForkBomb } from "./forkBomb.js";

/** What a command reads on standard input, as far as the command line shows it. */
export type Stdin =
  | { kind: "none" }
  /** The earlier stages of a pipeline (or a process substitution's script). */
  | { kind: "pipe"; producers: Statement[]; state: ShellState }
  /** A here-document or here-string. */
  | { kind: "text"; word: Word; state: ShellState };

export const NO_STDIN: Stdin = { kind: "none" };

export interface CommandCall {
  /** argv[0] without its folder (`/bin/rm` → `rm`). */
  name: string;
  argv: Field[];
  state: ShellState;
  stdin: Stdin;
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
    let input = stdin;
    for (const redirect of statement.redirects) {
      input = this.redirect(redirect, state, input);
    }
    this.command(statement.command, state, input);
  }

  private redirect(redirect: Redirect, state: ShellState, input: Stdin): Stdin {
    this.wordScripts(redirect.target, state);
    if (redirect.heredoc) this.wordScripts(redirect.heredoc, state);
    if (redirect.op === "<<" || redirect.op === "<<-") return redirect.heredoc ? { kind: "text", word: redirect.heredoc, state } : NO_STDIN;
    if (redirect.op === "<<<") return { kind: "text", word: redirect.target, state };
    const targets = expandWord(redirect.target, state.copy());
    this.checkConfigMention(targets);
    if (OUTPUT_REDIRECTS.has(redirect.op)) {
      for (const target of targets) {
        if (RAW_DISK.test(target.value)) {
          throw new Refusal("disk", `the output is redirected onto the disk device \`${target.value}\``);
        }
      }
    }
    return redirect.op === "<" ? NO_STDIN : input;
  }

  private command(command: Command, state: ShellState, stdin: Stdin): void {
    switch (command.kind) {
      case "simple":
        return this.simple(command, state, stdin);
      case "pipeline":
        command.stages.forEach((stage, index) => {
          const input: Stdin = index === 0 ? stdin : { kind: "pipe", producers: command.stages.slice(0, index), state };
          this.statement(stage, state.copy(), input);
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
        return this.statement(command.body, state.copy(), NO_STDIN);
      }
      case "for":
        return this.loop(command.variable, command.items, command.body, state, stdin);
      case "compound":
        command.words.forEach((w) => this.wordScripts(w, state));
        command.scripts.forEach((s) => this.script(s, state.copy()));
        return this.script(command.body, state, stdin);
      case "declare":
        for (const assign of command.assigns) {
          if (assign.value) this.wordScripts(assign.value, state);
          (assign.array ?? []).forEach((w) => this.wordScripts(w, state));
          if (assign.name) state.assign(assign.name, assign.value ? this.assignedValue(assign.value, state) : null);
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

  private simple(command: SimpleCommand, state: ShellState, stdin: Stdin): void {
    for (const assign of command.assigns) {
      if (assign.value) this.wordScripts(assign.value, state);
      (assign.array ?? []).forEach((w) => this.wordScripts(w, state));
    }
    command.words.forEach((w) => this.wordScripts(w, state));
    const argv = expandWords(command.words, state);
    const values = command.assigns.map((a) => [a.name, a.value && !a.array ? this.assignedValue(a.value, state) : null] as const);
    if (argv.length === 0) {
      for (const [name, value] of values) state.assign(name, value);
      return;
    }
    let runState = state;
    if (values.length > 0) {
      // `VAR=x cmd` sets VAR for that command only.
      runState = state.copy();
      for (const [name, value] of values) runState.assign(name, value);
    }
    this.run(argv, runState, stdin);
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
  run(argv: Field[], state: ShellState, stdin: Stdin): void {
    if (argv.length === 0) return;
    if (++this.steps > MAX_STEPS) throw new Refusal("nesting-limit", `the command line expands to more than ${MAX_STEPS} commands to inspect`);
    this.seen.push(argv.map((f) => f.value.replaceAll(UNKNOWN, "…")).join(" "));
    this.checkConfigMention(argv);
    const first = argv[0]!;
    if (!isKnown(first)) return this.computedName(argv, state, stdin);
    const name = commandName(first.value);
    if (this.builtin(name, argv, state)) return;
    this.handlerFor(name)?.({ name, argv, state, stdin }, this);
    if (!DEVICE_READERS.has(name)) {
      const device = argv.slice(1).find((f) => RAW_DISK.test(f.value.replace(/^of=/, "")));
      if (device) throw new Refusal("disk", `\`${name}\` is given the disk device \`${device.value}\``);
    }
  }

  /** Built-ins that change what later commands see. */
  private builtin(name: string, argv: Field[], state: ShellState): boolean {
    const args = argv.slice(1);
    switch (name) {
      case "cd":
      case "pushd": {
        const target = args.find((f) => !/^-[LPe@]+$/.test(f.value));
        if (!target) state.changeDirectory(state.lookup("HOME"));
        else state.changeDirectory(isKnown(target) && !target.glob && target.value !== "-" ? target.value : null);
        return true;
      }
      case "popd":
        state.changeDirectory(null);
        return true;
      case "read":
      case "unset":
      case "mapfile":
      case "readarray":
        for (const f of args) if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(f.value)) state.assign(f.value, null);
        return true;
    }
    return false;
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
        this.handlerFor(candidate)?.({ name: candidate, argv, state: state.copy(), stdin }, this);
      } catch (error) {
        if (!(error instanceof Refusal)) throw error;
        throw new Refusal(error.rule, `the command name \`${shown}\` is computed at run time; if it is \`${candidate}\`, ${error.reason}`);
      }
    }
  }

  /** Shell code given as text (`sh -c`, `eval`, `trap`, here-documents): parsed and read like the top level. */
  runCode(code: string, state: ShellState, origin: string, stdin: Stdin = NO_STDIN): void {
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
      this.script(statements, state.copy(), stdin);
    } finally {
      this.depth--;
    }
  }

  /**
   * Shell code in one argument (`sh -c "$x"`): read it when its text is
   * known; refuse it when it is computed, naming a download or decoder when
   * that is where it comes from.
   */
  runCodeField(field: Field, state: ShellState, origin: string): void {
    if (isKnown(field)) return this.runCode(field.value, state, origin);
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
   * standard input. Downloaded or decoded text is refused; literal text
   * (`echo 'x' | sh`, a here-document) is read as code; a file is not seen.
   */
  checkStdinProgram(stdin: Stdin, origin: string, options: { shell: boolean }): void {
    if (stdin.kind === "none") return;
    if (stdin.kind === "text") {
      const fields = expandWord(stdin.word, stdin.state.copy());
      const text = fields.map((f) => f.value).join(" ");
      if (!text.includes(UNKNOWN)) {
        if (options.shell) this.runCode(text, stdin.state, `${origin} (here-document)`);
        return;
      }
      this.refuseFetched(scriptsInWord(stdin.word), stdin.state, origin);
      if (options.shell) throw new Refusal("eval-dynamic", `${origin} reads shell code computed at run time from a here-document`);
      return;
    }
    const source = fetchingCommand(stdin.producers, stdin.state);
    if (source) throw new Refusal("pipe-to-shell", `${source.what} text from \`${source.name}\` is piped into ${origin}`);
    if (!options.shell) return;
    const output = textOutput(stdin.producers[stdin.producers.length - 1]!, stdin.state);
    if (output === "computed") throw new Refusal("eval-dynamic", `${origin} is piped shell code computed at run time`);
    if (output !== null) this.runCode(output, stdin.state, `${origin} (piped text)`);
  }

  private checkConfigMention(fields: Field[]): void {
    for (const field of fields) {
      if (this.configMarkers.some((marker) => marker && field.value.includes(marker))) {
        throw new Refusal("tool-config", `\`${field.source || field.value}\` names this tool's config folder`);
      }
    }
  }
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

/**
 * What `echo 'x'`, `printf 'x'` or `cat <<EOF` writes: the text when it is
 * literal, "computed" when it holds run-time values, null for any other command.
 */
function textOutput(statement: Statement, state: ShellState): string | "computed" | null {
  const command = statement.command;
  if (command.kind !== "simple") return null;
  const argv = expandWords(command.words, state.copy());
  if (argv.length === 0 || !isKnown(argv[0]!)) return null;
  const name = commandName(argv[0]!.value);
  if (name === "cat" && argv.length === 1) {
    const heredoc = statement.redirects.find((r) => r.op === "<<" || r.op === "<<-" || r.op === "<<<");
    if (!heredoc) return null;
    const word = heredoc.op === "<<<" ? heredoc.target : heredoc.heredoc;
    const text = (word ? expandWord(word, state.copy()) : []).map((f) => f.value).join(" ");
    return text.includes(UNKNOWN) ? "computed" : text;
  }
  if (name === "echo" || name === "printf") {
    return evaluateSubstitution([{ ...statement, redirects: [] }], state) ?? "computed";
  }
  return null;
}
