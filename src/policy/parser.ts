import { createRequire } from "node:module";
import type { ShNode, ShParser, ShSyntax } from "mvdan-sh";
import { withSource } from "./lazy.js";
import { forEachSimpleCommand } from "./walk.js";
import {
  ShellSyntaxError,
  type Assignment,
  type Command,
  type ParamOp,
  type Redirect,
  type RedirectOp,
  type Statement,
  type Word,
  type WordPart,
} from "./shellAst.js";

/**
 * The adapter between mvdan/sh's bash parser (as the `mvdan-sh` package) and
 * the policy's own small tree (shellAst.ts). The only file that knows the
 * library; swap the parser here.
 */

let syntax!: ShSyntax;
let parser!: ShParser;
let OPS!: ReturnType<typeof probeOperators>;
let PARAM_OPS!: Map<number, string>;

/**
 * The parser bundle costs about 20 MB of memory: load it with the first
 * command checked, not with the server (most sessions read and edit far more
 * than they run).
 */
function load(): void {
  if (parser !== undefined) return;
  syntax = (createRequire(import.meta.url)("mvdan-sh") as { syntax: ShSyntax }).syntax;
  parser = syntax.NewParser();
  OPS = probeOperators();
  PARAM_OPS = probeParamOperators();
}

/** `${x:-d}`, `${x#p}` …: the operator codes, learnt the same way. */
function probeParamOperators(): Map<number, string> {
  const ops = new Map<number, string>();
  for (const op of ["-", ":-", "=", ":=", "+", ":+", "?", ":?", "#", "##", "%", "%%", "^", "^^", ",", ",,", "@"]) {
    const operand = op === "@" ? "Q" : op.startsWith("^") || op.startsWith(",") ? "" : "w";
    ops.set(parser.Parse(`a \${x${op}${operand}}`, "").Stmts[0].Cmd.Args[1].Parts[0].Exp.Op as number, op);
  }
  return ops;
}

/** Operator codes are the Go enum's numbers; learn them from probes instead of hard-coding a version's values. */
function probeOperators(): { binary: Map<number, string>; redirect: Map<number, RedirectOp>; process: Map<number, "<" | ">"> } {
  const binary = new Map<number, string>();
  for (const op of ["&&", "||", "|", "|&"]) binary.set(parser.Parse(`a ${op} b`, "").Stmts[0].Cmd.Op as number, op);
  const redirect = new Map<number, RedirectOp>();
  const samples: Array<[string, RedirectOp]> = [
    ["a < f", "<"], ["a > f", ">"], ["a >> f", ">>"], ["a <> f", "<>"], ["a >| f", ">|"], ["a &> f", "&>"],
    ["a &>> f", "&>>"], ["a >& f", ">&"], ["a <& f", "<&"], ["a <<E\nE\n", "<<"], ["a <<-E\nE\n", "<<-"], ["a <<< f", "<<<"],
  ];
  for (const [text, op] of samples) redirect.set(parser.Parse(text, "").Stmts[0].Redirs[0].Op as number, op);
  const process = new Map<number, "<" | ">">();
  for (const op of ["<", ">"] as const) process.set(parser.Parse(`a ${op}(b)`, "").Stmts[0].Cmd.Args[1].Parts[0].Op as number, op);
  return { binary, redirect, process };
}


/** Parse a command line as bash; throws ShellSyntaxError with the parser's reason. */
export function parseShell(text: string): Statement[] {
  load();
  let file: ShNode;
  try {
    file = parser.Parse(text, "");
  } catch (error) {
    const described = typeof (error as ShNode)?.Error === "function" ? String((error as ShNode).Error()) : String(error);
    throw new ShellSyntaxError(described);
  }
  // Walking the tree through the library is costly: only when the text has both pieces.
  const hidden = /[<>]\(/.test(text) && text.includes("${") ? hiddenProcessSubstitution(file) : null;
  if (hidden) throw new ShellSyntaxError(`\`${hidden}\` inside \`\${…}\` is a process substitution bash runs but this parser reads as text, so it cannot be inspected`);
  return new Converter(Buffer.from(text, "utf8")).statements(file.Stmts);
}

/**
 * bash runs `<(…)` and `>(…)` inside an unquoted `${x:-…}`, `${x/…/…}` and
 * the like; the parser keeps them as literal text there. Such a line is
 * refused rather than read with a command missing.
 */
function hiddenProcessSubstitution(file: ShNode): string | null {
  let found: string | null = null;
  syntax.Walk(file, (node) => {
    if (found || !node || syntax.NodeType(node) !== "ParamExp") return !found;
    syntax.Walk(node, (inner) => {
      if (!found && inner && syntax.NodeType(inner) === "Lit") {
        const match = /(?:^|[^\\])([<>]\(.*)/.exec(String(inner.Value));
        if (match) found = match[1]!;
      }
      return !found;
    });
    return !found;
  });
  return found;
}

/**
 * Simple commands the parser sees vs. those in the converted tree. Equal
 * counts mean the adapter dropped no command; the tests check this over the
 * whole corpus (too slow to do on every request with this parser build).
 */
export function crossCheck(text: string): { parser: number; converted: number } {
  load();
  const parser = countNodes(syntaxTree(text), "CallExpr");
  return { parser, converted: countSimpleCommands(parseShell(text)) };
}

function syntaxTree(text: string): ShNode {
  return parser.Parse(text, "");
}

function countNodes(root: ShNode, type: string): number {
  let count = 0;
  syntax.Walk(root, (node) => {
    if (node && syntax.NodeType(node) === type) count++;
    return true;
  });
  return count;
}

function countSimpleCommands(statements: Statement[]): number {
  let count = 0;
  forEachSimpleCommand(statements, () => count++);
  return count;
}

type QuoteContext = "unquoted" | "double" | "heredoc";
/** The operand of `${x:-word}` / `${x#pattern}`: no brace expansion; inside double quotes single quotes stay literal (so it is left uncomputed). */
type WordContext = QuoteContext | "quoted-heredoc" | "operand" | "operand-in-double";

class Converter {
  constructor(private readonly bytes: Buffer) {}

  private source(node: ShNode): string {
    try {
      return this.bytes.subarray(node.Pos().Offset(), node.End().Offset()).toString("utf8");
    } catch {
      return "";
    }
  }

  statements(list: ShNode[] | null | undefined): Statement[] {
    return (list ?? []).map((stmt) => this.statement(stmt));
  }

  statement(stmt: ShNode): Statement {
    const redirects: Redirect[] = (stmt.Redirs ?? []).map((r: ShNode) => this.redirect(r));
    const cmd = stmt.Cmd;
    // A bare redirection (`> file`) has no command: an empty group keeps the shape.
    const command: Command = cmd ? this.command(cmd) : { kind: "group", subshell: false, body: [] };
    return withSource({ command, background: Boolean(stmt.Background || stmt.Coprocess), redirects }, () => this.source(stmt));
  }

  private redirect(r: ShNode): Redirect {
    const op = OPS.redirect.get(r.Op as number) ?? ">";
    const heredocQuoted = (op === "<<" || op === "<<-") && this.hasQuotes(r.Word);
    return {
      op,
      fd: r.N ? String(r.N.Value) : null,
      target: this.word(r.Word),
      heredoc: r.Hdoc ? this.word(r.Hdoc, heredocQuoted ? "quoted-heredoc" : "heredoc") : null,
    };
  }

  private hasQuotes(word: ShNode): boolean {
    return (word?.Parts ?? []).some((p: ShNode) => {
      const type = syntax.NodeType(p);
      return type === "SglQuoted" || type === "DblQuoted" || (type === "Lit" && String(p.Value).includes("\\"));
    });
  }

  private command(cmd: ShNode): Command {
    const type = syntax.NodeType(cmd);
    switch (type) {
      case "CallExpr":
        return withSource(
          {
            kind: "simple" as const,
            assigns: (cmd.Assigns ?? []).map((a: ShNode) => this.assign(a)),
            words: (cmd.Args ?? []).map((w: ShNode) => this.word(w)),
          },
          () => this.source(cmd),
        );
      case "BinaryCmd": {
        const op = OPS.binary.get(cmd.Op as number) ?? "|";
        if (op === "|" || op === "|&") {
          return { kind: "pipeline", stages: [...this.stages(cmd.X), ...this.stages(cmd.Y)] };
        }
        return { kind: "list", op: op as "&&" | "||", left: this.statement(cmd.X), right: this.statement(cmd.Y) };
      }
      case "Subshell":
        return { kind: "group", subshell: true, body: this.statements(cmd.Stmts) };
      case "Block":
        return { kind: "group", subshell: false, body: this.statements(cmd.Stmts) };
      case "FuncDecl":
        return { kind: "function", name: String(cmd.Name?.Value ?? ""), body: this.statement(cmd.Body) };
      case "IfClause":
        return { kind: "compound", body: this.ifBodies(cmd), words: [], scripts: [] };
      case "WhileClause":
        return { kind: "compound", body: [...this.statements(cmd.Cond), ...this.statements(cmd.Do)], words: [], scripts: [] };
      case "ForClause":
        return this.forClause(cmd);
      case "CaseClause": {
        const words = [this.word(cmd.Word)];
        const body: Statement[] = [];
        for (const item of cmd.Items ?? []) {
          for (const pattern of item.Patterns ?? []) words.push(this.word(pattern));
          body.push(...this.statements(item.Stmts));
        }
        return { kind: "compound", body, words, scripts: [] };
      }
      case "DeclClause":
        return {
          kind: "declare",
          variant: String(cmd.Variant?.Value ?? "declare"),
          assigns: (cmd.Args ?? []).map((a: ShNode) => this.assign(a)),
        };
      case "TimeClause":
        return { kind: "compound", body: cmd.Stmt ? [this.statement(cmd.Stmt)] : [], words: [], scripts: [] };
      case "CoprocClause":
        return { kind: "compound", body: cmd.Stmt ? [this.statement(cmd.Stmt)] : [], words: cmd.Name ? [this.word(cmd.Name)] : [], scripts: [], coproc: true };
      default:
        // (( )), [[ ]], let and anything newer: only substitutions inside them can run commands.
        return { kind: "compound", body: [], words: [], scripts: this.nestedScripts(cmd) };
    }
  }

  private stages(stmt: ShNode): Statement[] {
    const cmd = stmt.Cmd;
    const redirs = stmt.Redirs ?? [];
    if (cmd && syntax.NodeType(cmd) === "BinaryCmd" && redirs.length === 0 && !stmt.Background) {
      const op = OPS.binary.get(cmd.Op as number);
      if (op === "|" || op === "|&") return [...this.stages(cmd.X), ...this.stages(cmd.Y)];
    }
    return [this.statement(stmt)];
  }

  private ifBodies(clause: ShNode): Statement[] {
    const body: Statement[] = [];
    for (let c = clause; c; c = c.Else) body.push(...this.statements(c.Cond), ...this.statements(c.Then));
    return body;
  }

  private forClause(cmd: ShNode): Command {
    const loop = cmd.Loop;
    const body = this.statements(cmd.Do);
    if (loop && syntax.NodeType(loop) === "WordIter") {
      const items = loop.InPos && loop.InPos.Offset() > 0 ? (loop.Items ?? []).map((w: ShNode) => this.word(w)) : null;
      return { kind: "for", variable: String(loop.Name?.Value ?? ""), items, body };
    }
    return { kind: "compound", body, words: [], scripts: loop ? this.nestedScripts(loop) : [] };
  }

  private assign(a: ShNode): Assignment {
    const array: Word[] | null = a.Array ? (a.Array.Elems ?? []).map((e: ShNode) => this.word(e.Value)) : null;
    // `a[$(cmd)]=x` and `a=([$(cmd)]=x)`: substitutions in indexes run too; keep them as extra array words.
    const indexes: Word[] = [];
    if (a.Index) indexes.push(...this.scriptWords(a.Index));
    for (const element of a.Array?.Elems ?? []) if (element.Index) indexes.push(...this.scriptWords(element.Index));
    const value = a.Value ? this.word(a.Value) : null;
    return {
      name: String(a.Name?.Value ?? ""),
      value,
      append: Boolean(a.Append),
      array: array || indexes.length > 0 ? [...(array ?? []), ...indexes] : null,
      indexed: Boolean(a.Index),
      keyed: (a.Array?.Elems ?? []).some((element: ShNode) => Boolean(element.Index)),
    };
  }

  /** Substitutions inside an expression, as words holding them. */
  private scriptWords(node: ShNode): Word[] {
    return this.nestedScripts(node).map((script) => ({ parts: [{ kind: "command", script, quoted: true }], source: "" }));
  }

  /** Command and process substitutions anywhere below `node` (arithmetic, tests, parameter operators). */
  private nestedScripts(node: ShNode): Statement[][] {
    const out: Statement[][] = [];
    syntax.Walk(node, (n) => {
      if (!n) return true;
      const type = syntax.NodeType(n);
      if (type === "CmdSubst" || type === "ProcSubst") {
        const body = this.statements(n.Stmts);
        if (type === "ProcSubst") {
          // What reaches a `>(…)` here depends on a writer this position does not show; a `<(…)` here is still a readable descriptor.
          const direction = OPS.process.get(n.Op as number) === ">" ? { writtenTo: true } : { readFrom: true };
          out.push([withSource({ command: { kind: "compound" as const, body, words: [], scripts: [], ...direction }, background: false, redirects: [] }, () => this.source(n))]);
        } else out.push(body);
        return false;
      }
      return true;
    });
    return out;
  }

  word(node: ShNode, context: WordContext = "unquoted"): Word {
    if (!node) return { parts: [], source: "" };
    const source = () => this.source(node);
    if (context === "quoted-heredoc") {
      return withSource({ parts: [{ kind: "literal", value: this.rawText(node), quoted: true }] }, source);
    }
    let parts: ShNode[] = node.Parts ?? [];
    // Brace splitting is a costly call into the parser: only for words that have a brace to split.
    if (context === "unquoted" && parts.some((p) => syntax.NodeType(p) === "Lit" && String(p.Value).includes("{"))) {
      parts = syntax.SplitBraces(node).Parts ?? [];
    }
    if (context === "operand-in-double" && parts.some((p) => syntax.NodeType(p) === "SglQuoted")) {
      return withSource({ parts: [withSource({ kind: "opaque" as const, glob: false }, source), ...this.nestedScripts(node).map((script): WordPart => ({ kind: "command", script, quoted: true }))] }, source);
    }
    return withSource({ parts: this.parts(parts, context === "operand" || context === "operand-in-double" ? "unquoted" : context) }, source);
  }

  private rawText(node: ShNode): string {
    return (node.Parts ?? []).map((p: ShNode) => String(p.Value ?? "")).join("");
  }

  private parts(parts: ShNode[], context: QuoteContext): WordPart[] {
    const out: WordPart[] = [];
    const quoted = context !== "unquoted";
    for (const part of parts) {
      const type = syntax.NodeType(part);
      switch (type) {
        case "Lit":
          out.push(...unescapeLiteral(String(part.Value), context));
          break;
        case "SglQuoted": {
          const value = String(part.Value);
          out.push({ kind: "literal", value: part.Dollar ? decodeAnsiC(value) : value, quoted: true });
          break;
        }
        case "DblQuoted":
          out.push(...this.parts(part.Parts ?? [], "double"));
          break;
        case "ParamExp":
          out.push(this.param(part, quoted));
          break;
        case "CmdSubst":
          out.push({ kind: "command", script: this.statements(part.Stmts), quoted });
          break;
        case "ProcSubst":
          out.push({ kind: "process", script: this.statements(part.Stmts), direction: OPS.process.get(part.Op as number) ?? ">" });
          break;
        case "ArithmExp":
          out.push({ kind: "arith", quoted, scripts: this.nestedScripts(part) });
          break;
        case "BraceExp":
          if (part.Sequence) out.push(withSource({ kind: "opaque" as const, glob: false }, () => this.source(part)));
          else out.push({ kind: "brace", alternatives: (part.Elems ?? []).map((e: ShNode) => this.word(e)) });
          break;
        case "ExtGlob":
          out.push(withSource({ kind: "opaque" as const, glob: true }, () => this.source(part)));
          break;
        default:
          // A part type this adapter does not know: its value is unknown, and any substitution inside still counts.
          out.push(withSource({ kind: "opaque" as const, glob: false }, () => this.source(part)));
          for (const script of this.nestedScripts(part)) out.push({ kind: "command", script, quoted: true });
      }
    }
    return out;
  }

  private param(part: ShNode, quoted: boolean): WordPart {
    const others = part.Excl || part.Length || part.Width || part.Slice || part.Repl || part.Names || part.Exp;
    const plain = !(others || part.Index);
    const name = String(part.Param?.Value ?? "");
    const scripts = plain ? [] : this.nestedScripts(part);
    const out: WordPart & { kind: "param" } = { kind: "param", name, plain, quoted, scripts };
    if (part.Index) {
      const pieces: ShNode[] = part.Index.Parts ?? [];
      out.index = pieces.length === 1 && syntax.NodeType(pieces[0]) === "Lit" ? String(pieces[0].Value) : null;
    }
    if (others) out.op = this.paramOp(part, quoted);
    return out;
  }

  /** What `${…}` does to the parameter; operand words inside double quotes lose nothing but single quotes (kept literally by bash there). */
  private paramOp(part: ShNode, quoted: boolean): ParamOp {
    const operand = (node: ShNode): Word => this.word(node, quoted ? "operand-in-double" : "operand");
    if (part.Width) return { kind: "other" };
    if (part.Length) return part.Excl || part.Slice || part.Repl || part.Exp ? { kind: "other" } : { kind: "length" };
    if (part.Excl) {
      if (part.Names) return { kind: "names" };
      if (part.Index) return part.Slice || part.Repl || part.Exp ? { kind: "other" } : { kind: "keys" };
      return part.Slice || part.Repl || part.Exp ? { kind: "other" } : { kind: "indirect" };
    }
    if (part.Slice) {
      const text = (node: ShNode) => (node ? this.source(node) : null);
      return { kind: "slice", offset: text(part.Slice.Offset) ?? "", length: text(part.Slice.Length) };
    }
    if (part.Repl) {
      let pattern = operand(part.Repl.Orig);
      let anchor: "#" | "%" | null = null;
      const first = pattern.parts[0];
      // `${x/#p/r}` and `${x/%p/r}`: the parser leaves the anchor in the pattern's first literal.
      const rawFirst = part.Repl.Orig?.Parts?.[0];
      if (first?.kind === "literal" && !first.quoted && rawFirst && syntax.NodeType(rawFirst) === "Lit" && /^[#%]/.test(String(rawFirst.Value))) {
        anchor = first.value[0] as "#" | "%";
        const rest = first.value.slice(1);
        pattern = { ...pattern, parts: [...(rest ? [{ ...first, value: rest }] : []), ...pattern.parts.slice(1)] };
      }
      return { kind: "replace", all: Boolean(part.Repl.All), anchor, pattern, with: part.Repl.With ? operand(part.Repl.With) : null };
    }
    if (part.Exp) {
      const op = PARAM_OPS.get(part.Exp.Op as number);
      if (!op) return { kind: "other" };
      return { kind: "operator", op, word: part.Exp.Word ? operand(part.Exp.Word) : null };
    }
    return { kind: "other" };
  }
}

/**
 * Quote removal for a literal: outside quotes a backslash quotes the next
 * character (`\rm` is `rm`); inside double quotes and here-documents only
 * before $ ` " \ and newline. Escaped characters become quoted text so that
 * `\*` is not a glob.
 */
function unescapeLiteral(raw: string, context: QuoteContext): WordPart[] {
  const quoted = context !== "unquoted";
  if (!raw.includes("\\")) return [{ kind: "literal", value: raw, quoted }];
  const out: WordPart[] = [];
  let plain = "";
  const flush = () => {
    if (plain) out.push({ kind: "literal", value: plain, quoted });
    plain = "";
  };
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    const next = raw[i + 1];
    if (ch !== "\\" || next === undefined) {
      plain += ch;
      continue;
    }
    const escapes = context === "unquoted" || "$`\\\n".includes(next) || (context === "double" && next === '"');
    if (!escapes) {
      plain += ch;
      continue;
    }
    i++;
    if (next === "\n") continue;
    flush();
    out.push({ kind: "literal", value: next, quoted: true });
  }
  flush();
  return out;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: "\x07", b: "\b", e: "\x1b", E: "\x1b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v", "\\": "\\", "'": "'", '"': '"', "?": "?",
};

/** `$'…'` strings: the escapes bash decodes (`$'\x72m'` is `rm`). */
export function decodeAnsiC(raw: string): string {
  let out = "";
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (ch !== "\\" || i + 1 >= raw.length) {
      out += ch;
      continue;
    }
    const next = raw[++i]!;
    if (next in SIMPLE_ESCAPES) {
      out += SIMPLE_ESCAPES[next];
    } else if (next === "x") {
      const hex = /^[0-9a-fA-F]{1,2}/.exec(raw.slice(i + 1))?.[0] ?? "";
      out += hex ? String.fromCharCode(parseInt(hex, 16)) : "\\x";
      i += hex.length;
    } else if (next === "u" || next === "U") {
      const hex = new RegExp(`^[0-9a-fA-F]{1,${next === "u" ? 4 : 8}}`).exec(raw.slice(i + 1))?.[0] ?? "";
      out += hex ? String.fromCodePoint(Math.min(parseInt(hex, 16), 0x10ffff)) : `\\${next}`;
      i += hex.length;
    } else if (/[0-7]/.test(next)) {
      const oct = /^[0-7]{1,3}/.exec(raw.slice(i))![0];
      out += String.fromCharCode(parseInt(oct, 8) & 0xff);
      i += oct.length - 1;
    } else if (next === "c" && i + 1 < raw.length) {
      out += String.fromCharCode(raw.charCodeAt(++i) & 0x1f);
    } else {
      out += `\\${next}`;
    }
  }
  return out;
}
