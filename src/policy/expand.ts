import { withSource } from "./lazy.js";
import type { ParamOp, Statement, Word, WordPart } from "./shellAst.js";
import type { ShellState } from "./state.js";
import { echoOutput, printfOutput } from "./printf.js";
import { caseOrTransform, literalInteger, removeMatch, replaceMatch, sublist, substring } from "./paramOps.js";

/**
 * Word expansion as bash does it, as far as it can be done without running
 * anything: braces, tilde, variables with literal values, arrays, the
 * parameter operators whose result is certain (slices, pattern removal and
 * replacement, case changes, defaults, indirection), simple `$(echo …)`,
 * field splitting on IFS (so `rm${IFS}-rf${IFS}/` is three words) and quote
 * removal. Whatever is only known at run time becomes UNKNOWN; a list known
 * only at run time (`"${a[@]:$n}"`) is marked `spread`.
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
  /** The whole argument is one process substitution (`<(…)` / `>(…)`): bash passes a /dev/fd path. */
  process?: { direction: "<" | ">"; script: Statement[] };
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
  /** Word parts that went into the current field, and its process substitution if it has one. */
  private parts = 0;
  private process: Field["process"] | null = null;

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
    this.parts++;
    switch (part.kind) {
      case "literal":
        if (!part.quoted && first) return this.text(this.tilde(part.value), false);
        if (!part.quoted && this.assignment) return this.text(part.value.replace(/(^|:)~(?=\/|:|$)/g, (_m, lead: string) => lead + (this.state.lookup("HOME") ?? UNKNOWN)), false);
        return this.text(part.value, part.quoted);
      case "param":
        this.scripts.push(...part.scripts);
        return this.param(part);
      case "command":
        this.scripts.push(part.script);
        return this.expansion(evaluateSubstitution(part.script, this.state), part.quoted);
      case "process":
        this.scripts.push(part.script);
        this.process = { direction: part.direction, script: part.script };
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

  /** `$x`, `${a[@]}`, `${a[@]:1}`, `${x%.ts}` …: known values become text; a list known only at run time is a spread. */
  private param(part: ParamPart): void {
    const { values, mode } = parameterValue(part, this.state);
    if (values === null) {
      if (mode !== "scalar") this.spread = true;
      return this.unknown(!part.quoted);
    }
    if (mode === "scalar") return this.expansion(values[0] ?? "", part.quoted);
    if (part.quoted && mode === "star") {
      const ifs = this.state.lookup("IFS");
      if (ifs === null) return this.unknown(false);
      return this.text(values.join(ifs.slice(0, 1)), true);
    }
    values.forEach((value, k) => {
      if (k > 0) this.end();
      if (part.quoted) this.text(value, true);
      else this.expansion(value, false);
    });
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
      if (this.process && this.parts === 1) field.process = this.process;
      this.fields.push(withSource(field, () => word.source));
    }
    this.parts = 0;
    this.process = null;
    this.value = "";
    this.pattern = "";
    this.glob = false;
    this.started = false;
    this.scripts = [];
    this.spread = false;
  }
}

type ParamPart = Extract<WordPart, { kind: "param" }>;

/** A parameter's value: one string, or a list whose quoted form is one word per element (`@`) or one joined word (`*`). null: computed at run time. */
interface ParamValue {
  values: string[] | null;
  mode: "scalar" | "at" | "star";
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** What `${…}` expands to, computed only where bash's answer is certain. */
function parameterValue(part: ParamPart, state: ShellState): ParamValue {
  const op = part.op;
  const listIndex = part.index === "@" || part.index === "*";
  const positional = part.name === "@" || part.name === "*";
  const mode: ParamValue["mode"] = listIndex ? (part.index === "@" ? "at" : "star") : positional ? (part.name === "@" ? "at" : "star") : "scalar";
  const unknown = (m: ParamValue["mode"] = mode): ParamValue => ({ values: null, mode: m });
  if (op?.kind === "names") return unknown("at");
  if (op?.kind === "other") return unknown();
  if (op?.kind === "keys") {
    if (!listIndex) return unknown("scalar");
    const elements = state.lookupArray(part.name);
    return { values: elements === null ? null : elements.map((_e, i) => String(i)), mode };
  }
  const base = op?.kind === "indirect" ? indirectValue(part.name, state) : baseValue(part, state, mode);
  if (!op || op.kind === "indirect" || base.values === null) {
    if (op?.kind === "operator" && "=:=".includes(op.op) && op.op.endsWith("=") && base.values === null) state.assign(part.name, null);
    return base;
  }
  const each = (f: (value: string) => string | null): ParamValue => {
    const out: string[] = [];
    for (const value of base.values!) {
      const result = f(value);
      if (result === null) return unknown(base.mode);
      out.push(result);
    }
    return { values: out, mode: base.mode };
  };
  switch (op.kind) {
    case "length":
      if (base.mode !== "scalar") return { values: [String(base.values.length)], mode: "scalar" };
      return /^[\x00-\x7f]*$/.test(base.values[0] ?? "") ? { values: [String((base.values[0] ?? "").length)], mode: "scalar" } : unknown("scalar");
    case "slice": {
      if (base.mode === "scalar") {
        const value = substring(base.values[0] ?? "", op.offset, op.length);
        return value === null ? unknown() : { values: [value], mode: "scalar" };
      }
      return { values: positional ? positionalSlice(base.values, op.offset, op.length, state) : sublist(base.values, op.offset, op.length), mode: base.mode };
    }
    case "replace": {
      const pattern = operandText(op.pattern, state, "pattern", part.quoted);
      const replacement = op.with ? operandText(op.with, state, "replacement", part.quoted) : "";
      if (pattern === null || replacement === null) return unknown(base.mode);
      return each((value) => replaceMatch(value, pattern, replacement, op.all, op.anchor));
    }
    case "operator":
      return operatorValue(op, part, base, state, each);
  }
}

function operatorValue(
  op: Extract<ParamOp, { kind: "operator" }>,
  part: ParamPart,
  base: ParamValue,
  state: ShellState,
  each: (f: (value: string) => string | null) => ParamValue,
): ParamValue {
  const unknown: ParamValue = { values: null, mode: base.mode };
  switch (op.op) {
    case "#":
    case "##":
    case "%":
    case "%%": {
      const pattern = op.word ? operandText(op.word, state, "pattern", part.quoted) : "";
      if (pattern === null) return unknown;
      return each((value) => removeMatch(value, pattern, op.op as "#" | "##" | "%" | "%%"));
    }
    case "^":
    case "^^":
    case ",":
    case ",,":
      // With a pattern only the matching characters change.
      return op.word ? unknown : each((value) => caseOrTransform(value, op.op));
    case "@": {
      const letter = op.word?.parts.length === 1 && op.word.parts[0]!.kind === "literal" ? op.word.parts[0]!.value : "";
      return /^[UuLE]$/.test(letter) ? each((value) => caseOrTransform(value, `@${letter}`)) : unknown;
    }
  }
  // -, :-, =, :=, +, :+, ?, :? test whether the parameter is set (or empty); only a plain scalar is judged.
  if (base.mode !== "scalar" || part.index !== undefined || /^\d+$/.test(part.name) && !op.op.startsWith(":")) {
    if (op.op.endsWith("=")) state.assign(part.name, null);
    return unknown;
  }
  const value = base.values![0] ?? "";
  const useWord = op.op.startsWith(":") ? value === "" : false;
  const word = () => (op.word ? operandText(op.word, state, "value", part.quoted) : "");
  switch (op.op.replace(":", "")) {
    case "-":
      return useWord ? scalar(word()) : scalar(value);
    case "=": {
      if (!useWord) return scalar(value);
      const assigned = word();
      state.assign(part.name, assigned);
      return scalar(assigned);
    }
    case "+":
      return op.op.startsWith(":") && value === "" ? scalar("") : scalar(word());
    case "?":
      // Empty with `:?`: the shell stops with an error instead of running the command.
      return useWord ? { values: null, mode: "scalar" } : scalar(value);
  }
  return unknown;
}

function scalar(value: string | null): ParamValue {
  return { values: value === null ? null : [value], mode: "scalar" };
}

/** `${x}`, `${a[2]}`, `${a[@]}`, `$@`. */
function baseValue(part: ParamPart, state: ShellState, mode: ParamValue["mode"]): ParamValue {
  if (part.name === "@" || part.name === "*") return { values: state.get<string[] | null>("array:@") ?? null, mode };
  if (mode !== "scalar") return { values: state.lookupArray(part.name), mode };
  if (part.index !== undefined) {
    if (part.index === null || !/^\d+$/.test(part.index)) return scalar(null);
    const elements = state.lookupArray(part.name);
    return scalar(elements === null ? null : (elements[Number(part.index)] ?? ""));
  }
  return scalar(part.plain || part.op ? state.lookup(part.name) : null);
}

/** `${!ref}`: the variable ref names (a nameref's own `${!ref}` is the name it points to). */
function indirectValue(name: string, state: ShellState): ParamValue {
  const pointed = state.namerefTarget(name);
  if (pointed !== undefined) return scalar(pointed);
  const target = state.lookup(name);
  if (target === null) return scalar(null);
  if (NAME.test(target) || /^\d+$/.test(target)) return scalar(state.lookup(target));
  const element = /^([A-Za-z_][A-Za-z0-9_]*)\[(\d+|@|\*)\]$/.exec(target);
  if (!element) return scalar(null);
  const elements = state.lookupArray(element[1]!);
  if (/^\d+$/.test(element[2]!)) return scalar(elements === null ? null : (elements[Number(element[2])] ?? ""));
  return { values: elements, mode: element[2] === "@" ? "at" : "star" };
}

/** `${@:n:m}` counts from `$0`: offset 0 includes it. */
function positionalSlice(args: string[], offsetText: string, lengthText: string | null, state: ShellState): string[] | null {
  const offset = literalInteger(offsetText);
  if (offset === null || offset < 0) return null;
  if (offset >= 1) return sublist(args, String(offset - 1), lengthText);
  const zero = state.lookup("0");
  return zero === null ? null : sublist([zero, ...args], "0", lengthText);
}

/**
 * The operand of an operator as text: a glob pattern (quoted characters
 * escaped), a replacement (an unquoted `&` stands for the match), or a value.
 * null when part of it is computed or bash would treat it differently
 * (tilde, quoted text that an unquoted expansion would not split).
 */
function operandText(word: Word, state: ShellState, kind: "pattern" | "replacement" | "value", outerQuoted: boolean): string | null {
  let out = "";
  for (const part of word.parts) {
    if (part.kind === "literal") {
      if (!part.quoted && part.value.startsWith("~") && out === "") return null;
      if (kind === "pattern") out += part.quoted ? part.value.replace(/[*?[\]\\]/g, "\\$&") : part.value;
      else if (kind === "replacement" && !part.quoted && part.value.includes("&")) return null;
      else if (kind === "value" && !outerQuoted && part.quoted && /[\s*?[]/.test(part.value)) return null;
      else out += part.value;
      continue;
    }
    if (part.kind !== "param" && part.kind !== "command") return null;
    const fields = new FieldBuilder(state, word, true).build([part]);
    if (fields.length > 1 || (fields[0] && !isKnown(fields[0]))) return null;
    const value = fields[0]?.value ?? "";
    const quoted = part.quoted;
    if (kind === "replacement" && !quoted && value.includes("&")) return null;
    if (kind === "value" && !outerQuoted && quoted && /[\s*?[]/.test(value)) return null;
    out += kind === "pattern" && quoted ? value.replace(/[*?[\]\\]/g, "\\$&") : value;
  }
  return out;
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
