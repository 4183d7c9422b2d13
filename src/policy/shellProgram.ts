import { Analyzer, NO_STDIN, type Descriptors, type Handler, type Stdin } from "./analyzer.js";
import { checkCommand, CONFIG_FOLDER_NAME, placesOf, userDenyRule, type PolicyOptions, type PolicyVerdict } from "./checkCommand.js";
import type { Field } from "./expand.js";
import { handlerFor } from "./handlers/index.js";
import { historyRerun } from "./handlers/shellCode.js";
import { parseShell } from "./parser.js";
import { Refusal } from "./rules.js";
import type { Statement } from "./shellAst.js";
import { ShellState } from "./state.js";

/**
 * Text written to the stdin of a shell is shell code (write_stdin to
 * `exec_command {command: "bash", stdin: "open"}`): it gets the same policy
 * as an exec_command line, in the shell's own state (its folder, variables
 * and functions, as earlier input left them).
 *
 * Which programs read code from their stdin is decided by the policy's own
 * reading of the job's command line, with the job's stdin as a marker: a
 * shell (any wrapper, `cd x && bash`, `sh -s`, `source /dev/stdin`, `cat |
 * bash`, …) that would read the marker reads code. When in doubt — the
 * line cannot be read, or a substitution inherits the stdin — it counts as a
 * shell (fail closed).
 */

/** The job's stdin, as the marker the command line is read with. */
const OPEN_STDIN: Stdin = { kind: "unknown", what: "the job's open stdin" };

/** States followed per job (two per shell that reads the stdin): bounds the work of each write. */
const MAX_TRACKS = 8;

/**
 * Reads the job's command line and notes every shell that reads its code
 * from the job's stdin, with the state it starts in.
 */
class StdinProbe extends Analyzer {
  readonly starts: ShellState[] = [];
  private readonly running: ShellState[] = [];

  constructor(
    private readonly fallback: ShellState,
    ...rest: ConstructorParameters<typeof Analyzer>
  ) {
    super(...rest);
  }

  // A substitution (`$(bash)`, `<(bash)`) inherits the job's stdin too; the analyzer reads those with none.
  override script(statements: Statement[], state: ShellState, stdin?: Stdin): void {
    super.script(statements, state, stdin ?? OPEN_STDIN);
  }

  override run(argv: Field[], state: ShellState, stdin: Stdin, fds?: Descriptors): void {
    this.running.push(state);
    try {
      super.run(argv, state, stdin, fds);
    } finally {
      this.running.pop();
    }
  }

  override checkStdinProgram(stdin: Stdin, origin: string, options: { shell: boolean; here?: ShellState }): void {
    if (!readsOpenStdin(stdin)) return super.checkStdinProgram(stdin, origin, options);
    if (options.shell) this.starts.push(options.here ?? this.running[this.running.length - 1] ?? this.fallback);
  }
}

/** The marker itself, or a pipe fed by it (`cat | bash`); a process substitution's own stdin is the job's too. */
function readsOpenStdin(stdin: Stdin): boolean {
  if (stdin === OPEN_STDIN) return true;
  if (stdin.kind !== "pipe") return false;
  return stdin.input === undefined || readsOpenStdin(stdin.input);
}

/**
 * `script` starts a shell on a terminal of its own, fed by its stdin, unless
 * `-c` names the command (then that command gets the stdin). Another
 * spelling of the options counts as the shell.
 */
const scriptHandler: Handler = (call, analyzer) => {
  const index = call.argv.findIndex((f) => f.value === "-c" || f.value === "--command");
  const code = index > 0 ? call.argv[index + 1] : undefined;
  if (code) return analyzer.runCodeField(code, call.state, "`script -c`", new Map([["0", call.stdin]]));
  analyzer.checkStdinProgram(call.stdin, "`script`", { shell: true });
};

/** Key bindings (and a terminal's own special keys) make typed text mean something the policy does not see. */
const keyBinding: Handler = ({ name }) => {
  throw new Refusal("stdin-line-editing", `\`${name}\` changes what keys do in the line editor or the terminal, so typed text would no longer be what was checked`);
};

/** Reading the job's command line: `script` is followed to what it runs. */
function probeHandlerFor(name: string): Handler | undefined {
  return name === "script" ? scriptHandler : handlerFor(name);
}

/** Reading what is typed into a shell, where history, key bindings and the terminal's keys are in play too. */
const INPUT_HANDLERS = new Map<string, Handler>([
  ["script", scriptHandler],
  ["r", historyRerun],
  ["bind", keyBinding],
  ["bindkey", keyBinding],
  ["stty", keyBinding],
]);

function inputHandlerFor(name: string): Handler | undefined {
  return INPUT_HANDLERS.get(name) ?? handlerFor(name);
}

function markersOf(options: PolicyOptions): string[] {
  return [CONFIG_FOLDER_NAME, ...(options.configHome ? [options.configHome] : [])];
}

function freshState(options: PolicyOptions, cwd: string | null = options.cwd ?? options.workspaceRoot): ShellState {
  return new ShellState(cwd, options.home, options.env ?? {});
}

/**
 * The states the shells reading the job's stdin start in, or null when no
 * shell reads it. A command line that cannot be read counts as one shell.
 */
function shellStarts(command: string, options: PolicyOptions): ShellState[] | null {
  const fallback = freshState(options);
  const probe = new StdinProbe(fallback, placesOf(options), probeHandlerFor, markersOf(options));
  try {
    probe.script(parseShell(command.trim()), fallback.copy(), OPEN_STDIN);
    probe.finish();
  } catch {
    return [fallback];
  }
  if (probe.starts.length === 0) return null;
  const tracks: ShellState[] = [];
  for (const start of probe.starts) {
    if (tracks.length >= MAX_TRACKS) break;
    // A shell is a new process: it inherits the folder and exported settings, not functions or aliases. It is followed both
    // with everything the command line set up and as a fresh shell in that folder, and input must pass both.
    tracks.push(start.copy(), freshState(options, start.cwd));
  }
  return tracks;
}

/** Whether a program started by this command line reads shell code from its stdin (a shell, or something the policy cannot tell from one). */
export function readsShellCodeFromStdin(command: string, options: PolicyOptions): boolean {
  return shellStarts(command, options) !== null;
}

/** Control characters a line editor or a terminal acts on (Enter as `\r`, erase, completion, escapes …); `\n` is the only one allowed. */
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;
/** History expansion of an interactive shell (`!!`, `!-2`, `!git`, `^old^new`) rewrites a line after it was read; `$!`, `${!x}`, `[!a]`, `\!`, `! cmd`, `!=`, `!(…)` do not expand. */
const HISTORY_BANG = /(^|[^$[{\\])!(?![\s=(]|$)/m;
const HISTORY_CARET = /^[ \t]*\^/m;
/** A terminal in line mode keeps at most 4095 bytes of a line and drops the rest, which can change how the line parses. */
const MAX_LINE_BYTES = 4000;

function control(text: string): PolicyVerdict | null {
  const found = CONTROL.exec(text);
  if (!found) return null;
  const code = `U+${found[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
  return {
    allowed: false,
    rule: "stdin-line-editing",
    reason: `the input holds the control character ${code}; a shell's line editor or a terminal acts on it (ends, erases or completes the line), so the text run would not be the text checked. Only printable text and \\n may be sent to a shell`,
  };
}

function lineEditing(text: string): PolicyVerdict | null {
  const long = text.split("\n").find((line) => Buffer.byteLength(line) > MAX_LINE_BYTES);
  if (long !== undefined) {
    return {
      allowed: false,
      rule: "stdin-line-editing",
      reason: `a line of the input has ${Buffer.byteLength(long)} bytes; a terminal keeps at most 4095 of a line and drops the rest, so at most ${MAX_LINE_BYTES} are accepted (write a long text to a file with write_file instead)`,
    };
  }
  if (text.includes("INPUTRC")) {
    return { allowed: false, rule: "stdin-line-editing", reason: "the input names INPUTRC, a file of key bindings for the line editor, which can make typed keys run other text" };
  }
  if (HISTORY_BANG.test(text) || HISTORY_CARET.test(text) || text.includes("histchars")) {
    return {
      allowed: false,
      rule: "stdin-line-editing",
      reason: "the input uses history expansion (`!` followed by text, or a line starting with `^`), which an interactive shell replaces by an earlier command the policy cannot see; write the command in full (use `!=`, `! cmd`, or single quotes around text without `!`)",
    };
  }
  return null;
}

export interface ShellInputCheck {
  verdict: PolicyVerdict;
  /** Call once the input was handed to the program: the shell's state moves on. A no-op when refused. */
  commit(): void;
}

/**
 * What a job's shell has been given so far: the state it was in at the
 * last line that ended (`tracks`) and the text given since (`pending`).
 *
 * Every write is checked together with what the shell already holds, as if
 * the input ended there (it may: a closed pipe runs an unfinished line), so
 * `git res` then `et --hard\n` is checked as `git reset --hard`, and an
 * unfinished `rm -rf /` is refused before the shell holds it. A command that
 * spans lines (`for … do` / `done`) must arrive whole in one write.
 */
export class ShellInput {
  private pending = "";

  private constructor(
    private tracks: ShellState[],
    private readonly options: PolicyOptions,
  ) {}

  /** The checker for a job's stdin, or null when no shell reads it (input then goes through unchecked). */
  static forCommand(command: string, options: PolicyOptions): ShellInput | null {
    const tracks = shellStarts(command, options);
    return tracks ? new ShellInput(tracks, options) : null;
  }

  /** Text the shell holds that has not yet become a finished command. */
  get unfinished(): string {
    return this.pending;
  }

  /**
   * Check `input` before it is written. `policy` is the config's current
   * deny/allow list (it may have been reloaded since the job started).
   */
  check(input: string, policy: PolicyOptions["policy"] = this.options.policy): ShellInputCheck {
    const options: PolicyOptions = { ...this.options, ...(policy ? { policy } : {}) };
    const refuse = (verdict: PolicyVerdict): ShellInputCheck => ({ verdict, commit: () => undefined });
    const bad = control(input);
    if (bad) return refuse(bad);
    const text = this.pending + input;
    if (text.trim() === "") return { verdict: { allowed: true, explicitlyAllowed: false }, commit: () => void (this.pending = text) };

    const edited = lineEditing(text);
    if (edited) return refuse(edited);
    // As an exec_command line, in the folder the shell is known to be in …
    const known = this.tracks.find((t) => t.cwd !== null)?.cwd;
    const alone = checkCommand(text, { ...options, ...(known ? { cwd: known } : {}) });
    if (!alone.allowed) return refuse(alone);
    // … and in the shell's own state, as earlier input left it.
    const after = this.run(text, options, alone.explicitlyAllowed);
    if (!Array.isArray(after)) return refuse(after);

    // The lines that ended are behind the shell: its state moves past them (kept short), unless they do not stand alone.
    const cut = text.lastIndexOf("\n") + 1;
    const rest = text.slice(cut);
    return {
      verdict: alone,
      commit: () => {
        const moved = rest === "" ? after : cut > 0 ? this.run(text.slice(0, cut), options, false) : null;
        if (Array.isArray(moved)) {
          this.tracks = moved;
          this.pending = rest;
        } else {
          this.pending = text;
        }
      },
    };
  }

  /** Read `text` in a copy of each track: the states after it, or the refusal. `lenient`: the owner allowed it; a refusal only makes the folder unknown. */
  private run(text: string, options: PolicyOptions, lenient: boolean): ShellState[] | PolicyVerdict {
    const next: ShellState[] = [];
    for (const track of this.tracks) {
      const state = track.copy();
      const analyzer = new Analyzer(placesOf(options), inputHandlerFor, markersOf(options));
      try {
        analyzer.runCode(text, state, "the shell's input", NO_STDIN, new Map(), true);
        analyzer.finish();
      } catch (error) {
        if (!(error instanceof Refusal)) throw error;
        if (!lenient) return { allowed: false, rule: error.rule, reason: error.reason };
        state.changeDirectory(null);
      }
      if (!lenient) {
        for (const seen of analyzer.seen) {
          const hit = userDenyRule(seen, options.policy?.deny ?? []);
          if (hit) return hit;
        }
      }
      next.push(state);
    }
    return next;
  }
}
