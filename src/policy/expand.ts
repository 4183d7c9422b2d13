import { withSource } from "./lazy.js";
import type { Statement, Word, WordPart } from "./shellAst.js";
import type { ShellState } from "./state.js";
import { echoOutput, printfOutput } from "./printf.js";

/**
 * Word expansion as bash does it, as far as it can be done without running
 * anything: braces, tilde, variables with literal values, simple `$(echo …)`,
 * field splitting on IFS (so `rm${IFS}-rf${IFS}/` is three words) and quote
 * removal. Whatever is only known at run time becomes UNKNOWN.
 */

/** Marks text computed at run time. A NUL cannot occur in a real argument. */
export const UNKNOWN = "\u0000";

export interface Field {
  /** The argument as the command would receive it; computed pieces are UNKNOWN. */
  value: string;
  /** The same text as a glob pattern: quoted * ? [ are backslash-escaped. */
  pattern: string;
  /** Contains an unquoted * ? [ (pathname expansion applies). */
  glob: boolean;
  /** Source text of the word it came from, for messages. */
  source: string;
  /** Scripts of $(…) and <(…) inside this word (they run before the command). */
  scripts: Statement[][];
  /** A run-time list (`"$@"`, `"${a[@]}"` of an unknown array): may stand for any number of arguments. */
  spread?: boolean;
}

export function isKnown(field: Field): boolean {
  return !field.value.includes(UNKNOWN);
}

/** Text before the first computed piece. */
export function knownPrefix(field: Field): string {
  const at = field.value.indexOf(UNKNOWN);
  return at < 0 ? field.value : field.value.slice(0, at);
}

/** A field made from plain text (arguments built by the policy itself, e.g. `env -S` splitting). */
export function literalField(value: string, source = value): Field {
  return { value, pattern: value.replace(/[*?[\]\\]/g, "\\$&"), glob: false, source, scripts: [] };
}

const MAX_BRACE_WORDS = 64;

export function expandWords(words: Word[], state: ShellState): Field[] {
  return words.flatMap((word) => expandWord(word, state));
}

export function expandWord(word: Word, state: ShellState, options: { assignment?: boolean } = {}): Field[] {
  const variants = braceVariants(word.parts);
  if (variants === null) {
    return [withSource({ value: UNKNOWN, pattern: "*", glob: true, scripts: scriptsOf(word.parts) }, () => word.source)];
  }
  return variants.flatMap((parts) => new FieldBuilder(state, word, options.assignment === true).build(parts));
}

/** Every combination of brace alternatives, or null when there are too many to list. */
function braceVariants(parts: WordPart[]): WordPart[][] | null {
  let variants: WordPart[][] = [[]];
  for (const part of parts) {
    if (part.kind !== "brace") {
      for (const v of variants) v.push(part);
      continue;
    }
    const alternatives: WordPart[][] = [];
    for (const alternative of part.alternatives) {
      const inner = braceVariants(alternative.parts);
      if (inner === null) return null;
      alternatives.push(...inner);
    }
    const next: WordPart[][] = [];
    for (const v of variants) for (const alt of alternatives) next.push([...v, ...alt]);
    if (next.length > MAX_BRACE_WORDS) return null;
    variants = next;
  }
  return variants;
}

function scriptsOf(parts: WordPart[]): Statement[][] {
  const out: Statement[][] = [];
  for (const part of parts) {
    if (part.kind === "command" || part.kind === "process") out.push(part.script);
    else if (part.kind === "param" || part.kind === "arith") out.push(...part.scripts);
    else if (part.kind === "brace") for (const alt of part.alternatives) out.push(...scriptsOf(alt.parts));
  }
  return out;
}

class FieldBuilder {
  private readonly fields: Field[] = [];
  private value = "";
  private pattern = "";
  private glob = false;
  private started = false;
  private scripts: Statement[][] = [];
  private spread = false;

  constructor(
    private readonly state: ShellState,
    private readonly word: Word,
    private readonly assignment: boolean,
  ) {}

  build(parts: WordPart[]): Field[] {
    parts.forEach((part, index) => this.part(part, index === 0));
    this.end();
    return this.fields;
  }

  private part(part: WordPart, first: boolean): void {
    switch (part.kind) {
      case "literal":
        if (!part.quoted && first) return this.text(this.tilde(part.value), false);
        if (!part.quoted && this.assignment) return this.text(part.value.replace(/(^|:)~(?=\/|:|$)/g, (_m, lead: string) => lead + (this.state.lookup("HOME") ?? UNKNOWN)), false);
        return this.text(part.value, part.quoted);
      case "param":
        this.scripts.push(...part.scripts);
        if (part.index !== undefined) return this.element(part.name, part.index, part.quoted);
        if (part.name === "@" || part.name === "*") {
          // Bound by a function call, `sh -c … _ args` or `set --`: the list is known.
          if (this.state.get<string[] | null>("array:@")) return this.element("@", part.name, part.quoted);
          this.spread = true;
          return this.unknown(!part.quoted);
        }
        return this.expansion(part.plain ? this.state.lookup(part.name) : null, part.quoted);
      case "command":
        this.scripts.push(part.script);
        return this.expansion(evaluateSubstitution(part.script, this.state), part.quoted);
      case "process":
        this.scripts.push(part.script);
        return this.unknown(false);
      case "arith":
        this.scripts.push(...part.scripts);
        return this.unknown(false);
      case "opaque":
        return this.unknown(part.glob);
      case "brace":
        // braceVariants removed every brace part before building.
        return this.unknown(false);
    }
  }

  /** `${a[@]}`, `${a[*]}`, `${a[2]}`: arrays assigned earlier on the line are known; others are a run-time list. */
  private element(name: string, index: string | null, quoted: boolean): void {
    const elements = this.state.lookupArray(name);
    if (index === "@" || index === "*") {
      if (elements === null) {
        this.spread = true;
        return this.unknown(!quoted);
      }
      if (quoted && index === "*") return this.text(elements.join((this.state.lookup("IFS") ?? " ").slice(0, 1)), true);
      elements.forEach((element, k) => {
        if (k > 0) this.end();
        if (quoted) this.text(element, true);
        else this.expansion(element, false);
      });
      return;
    }
    if (index !== null && /^\d+$/.test(index)) return this.expansion(elements === null ? null : (elements[Number(index)] ?? ""), quoted);
    return this.unknown(!quoted);
  }

  /** `~`, `~/x`, `~+` at the start of a word; `~user` is someone else's home (unknown here). */
  private tilde(text: string): string {
    if (!text.startsWith("~")) return text;
    const slash = text.indexOf("/");
    const prefix = slash < 0 ? text : text.slice(0, slash);
    const rest = slash < 0 ? "" : text.slice(slash);
    if (prefix === "~") return (this.state.lookup("HOME") ?? UNKNOWN) + rest;
    if (prefix === "~+") return (this.state.cwd ?? UNKNOWN) + rest;
    return UNKNOWN + rest;
  }

  private text(text: string, quoted: boolean): void {
    this.started = true;
    this.value += text;
    if (quoted) {
      this.pattern += text.replace(/[*?[\]\\]/g, "\\$&");
    } else {
      this.pattern += text;
      // A lone `[` (the test command) matches only itself: bash globs a bracket only when a `]` closes it.
      if (/[*?]|\[.*\]/.test(text)) this.glob = true;
    }
  }

  private unknown(glob: boolean): void {
    this.started = true;
    this.value += UNKNOWN;
    this.pattern += "*";
    if (glob) this.glob = true;
  }

  /** A substitution's result: quoted it stays one piece; unquoted it is split on IFS and globbed. */
  private expansion(result: string | null, quoted: boolean): void {
    if (result === null) return this.unknown(!quoted);
    if (quoted || this.assignment) return this.text(result, true);
    const ifs = this.state.lookup("IFS");
    if (ifs === null) return this.unknown(true);
    let piece = "";
    for (const ch of result) {
      if (ifs.includes(ch)) {
        if (piece) this.text(piece, false);
        piece = "";
        this.end();
      } else {
        piece += ch;
      }
    }
    if (piece) this.text(piece, false);
  }

  private end(): void {
    if (this.started) {
      const word = this.word;
      const field: Omit<Field, "source"> = { value: this.value, pattern: this.pattern, glob: this.glob, scripts: this.scripts };
      if (this.spread) field.spread = true;
      this.fields.push(withSource(field, () => word.source));
    }
    this.value = "";
    this.pattern = "";
    this.glob = false;
    this.started = false;
    this.scripts = [];
    this.spread = false;
  }
}

/**
 * The output of a substitution the policy can compute without running it:
 * `$(echo rm)`, `$(printf rm)`, `$(pwd)`, `$(which rm)`. Anything else is null.
 */
export function evaluateSubstitution(script: Statement[], state: ShellState): string | null {
  if (script.length !== 1) return null;
  const statement = script[0]!;
  if (statement.redirects.length > 0 || statement.command.kind !== "simple") return null;
  const fields = expandWords(statement.command.words, state.copy());
  if (fields.length === 0 || !fields.every(isKnown)) return null;
  const [name, ...args] = fields.map((f) => f.value);
  let out: string | null = null;
  switch (name) {
    case "echo":
      out = echoOutput(args);
      break;
    case "printf":
      out = printfOutput(args);
      break;
    case "pwd":
      out = state.cwd;
      break;
    case "which":
    case "type":
      out = args.filter((a) => !a.startsWith("-")).join("\n") || null;
      break;
    case "command":
      if (args[0] === "-v" || args[0] === "-V") out = args.slice(1).join("\n");
      break;
  }
  return out === null ? null : out.replace(/\n+$/, "");
}
