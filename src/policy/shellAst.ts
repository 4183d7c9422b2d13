/**
 * A command line reduced to what the policy inspects. parser.ts builds it from
 * a real shell parser; nothing else in the policy depends on that library, so
 * the parser can be swapped behind this shape.
 */

export interface Statement {
  command: Command;
  /** `cmd &` */
  background: boolean;
  redirects: Redirect[];
  /** The statement's own text, for messages. */
  source: string;
}

export type Command =
  | SimpleCommand
  | { kind: "pipeline"; stages: Statement[] }
  | { kind: "list"; op: "&&" | "||"; left: Statement; right: Statement }
  | { kind: "group"; subshell: boolean; body: Statement[] }
  | { kind: "function"; name: string; body: Statement }
  | LoopCommand
  | CompoundCommand
  | { kind: "declare"; variant: string; assigns: Assignment[] };

export interface SimpleCommand {
  kind: "simple";
  assigns: Assignment[];
  words: Word[];
  source: string;
}

/** `for NAME in ITEMS; do BODY; done` (and `select`). */
export interface LoopCommand {
  kind: "for";
  variable: string;
  /** null for `for x; do` (the positional parameters). */
  items: Word[] | null;
  body: Statement[];
}

/**
 * if / while / until / case / C-style for / [[ ]] / (( )) / let / time /
 * coproc: the policy only needs their statements (in source order) and the
 * words they expand, whose command substitutions also run.
 */
export interface CompoundCommand {
  kind: "compound";
  body: Statement[];
  words: Word[];
  /** Command substitutions inside arithmetic or test expressions. */
  scripts: Statement[][];
  /** `coproc`: the body reads what later commands write to it. */
  coproc?: boolean;
  /** A `>(…)` nested where the writer is not known (inside `${x:-…}`, `$((…))`, `[[ ]]`): the body reads what some command writes. */
  writtenTo?: boolean;
  /** A `<(…)` nested in such a place: its output can be opened by a /dev/fd path. */
  readFrom?: boolean;
}

export interface Assignment {
  name: string;
  /** null for a bare name (`export NAME`) or an array value. */
  value: Word | null;
  append: boolean;
  /** Elements of `name=(a b c)`, which may hold substitutions too. */
  array: Word[] | null;
  /** `name[i]=value`: one element of an array is set. */
  indexed?: boolean;
  /** `name=([2]=x [0]=y)`: elements placed by index or key (their order is not the written one). */
  keyed?: boolean;
}

export type RedirectOp = "<" | ">" | ">>" | "<>" | ">|" | "&>" | "&>>" | ">&" | "<&" | "<<" | "<<-" | "<<<";

export interface Redirect {
  op: RedirectOp;
  /** The file descriptor written before the operator (`3<<<`), null for the default. */
  fd?: string | null;
  target: Word;
  /** The body of a here-document (`<<EOF`), with `quoted` parts when its delimiter was quoted. */
  heredoc: Word | null;
}

export interface Word {
  parts: WordPart[];
  source: string;
}

export type WordPart =
  /** Text after quote removal; `quoted` text is neither split, globbed nor tilde-expanded. */
  | { kind: "literal"; value: string; quoted: boolean }
  /**
   * `$NAME` / `${NAME}` when `plain`; any other parameter form is not plain (its value is not computed).
   * `${NAME[i]}` alone has `index` (the literal subscript: `@`, `*`, a number; null when computed).
   */
  | { kind: "param"; name: string; plain: boolean; quoted: boolean; scripts: Statement[][]; index?: string | null; op?: ParamOp }
  /** `$(…)` or backticks. */
  | { kind: "command"; script: Statement[]; quoted: boolean }
  /** `<(…)` (the command reads what the script writes) / `>(…)` (the script reads what the command writes). */
  | { kind: "process"; script: Statement[]; direction: "<" | ">" }
  /** `$((…))` */
  | { kind: "arith"; quoted: boolean; scripts: Statement[][] }
  /** `{a,b,c}`: one word per alternative. */
  | { kind: "brace"; alternatives: Word[] }
  /** Anything whose value the policy does not compute (`{1..9}`, `@(a|b)`). */
  | { kind: "opaque"; source: string; glob: boolean };

/**
 * What a parameter expansion does besides naming the parameter (`${a[@]:1}`,
 * `${x%.ts}`, `${!ref}`). Operand words keep their quoting; arithmetic
 * (slice offsets) is kept as source text and only literal integers are computed.
 */
export type ParamOp =
  /** `${#x}`, `${#a[@]}` */
  | { kind: "length" }
  /** `${!ref}`: the value of the variable named by ref. */
  | { kind: "indirect" }
  /** `${!prefix*}`, `${!prefix@}`: names of variables. */
  | { kind: "names" }
  /** `${!a[@]}`: the indexes of an array. */
  | { kind: "keys" }
  /** `${x:offset}`, `${x:offset:length}` */
  | { kind: "slice"; offset: string; length: string | null }
  /** `${x/pattern/with}`, `//` every match, `/#` at the start, `/%` at the end. */
  | { kind: "replace"; all: boolean; anchor: "#" | "%" | null; pattern: Word; with: Word | null }
  /** `-`, `:-`, `=`, `:=`, `+`, `:+`, `?`, `:?`, `#`, `##`, `%`, `%%`, `^`, `^^`, `,`, `,,`, `@` (word is the transform letter). */
  | { kind: "operator"; op: string; word: Word | null }
  /** Anything else (a form this adapter does not know): the value is computed at run time. */
  | { kind: "other" };

/** Thrown when the text is not valid shell syntax; `message` says where and why. */
export class ShellSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ShellSyntaxError";
  }
}
