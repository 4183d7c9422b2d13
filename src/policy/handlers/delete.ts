import { basename } from "node:path";
import { commandName, type CommandCall, type Handler } from "../analyzer.js";
import type { Analyzer } from "../analyzer.js";
import { DELETERS } from "../commandTables.js";
import { expandWords, isKnown, literalField, UNKNOWN, type Field } from "../expand.js";
import { Refusal } from "../rules.js";
import type { Statement } from "../shellAst.js";
import type { ShellState } from "../state.js";
import { judgeDeleteTarget, judgePermissionTarget } from "../targets.js";
import { operands, parseOptions, resolveLong, type OptionSpec } from "../options.js";

/**
 * recursive-delete: rm -r, rimraf, find -delete / -exec rm, xargs rm. Deleting
 * inside the workspace stays allowed (`rm -rf dist`); the workspace root, `/`,
 * home, anything outside, and "everything at those levels" are refused.
 */

function refuseTarget(field: Field, state: ShellState, analyzer: Analyzer, what: string): void {
  const verdict = judgeDeleteTarget(field, state, analyzer.places);
  if (verdict) throw new Refusal(verdict.rule ?? "recursive-delete", `${what}: ${verdict.reason}`);
}

/** GNU rm's options (coreutils 9): long ones may be abbreviated (`--recur`). */
const RM_OPTIONS: OptionSpec = {
  long: {
    force: "none", interactive: "optional", "one-file-system": "none", "no-preserve-root": "none", "preserve-root": "optional",
    recursive: "none", dir: "none", verbose: "none", help: "none", version: "none",
  },
  dangerous: ["recursive"],
};

/** rm's options may come anywhere before `--` (GNU); -r, -R and --recursive (or a prefix of it) make it recursive. */
export function parseRm(args: Field[]): { recursive: boolean; targets: Field[] } {
  let recursive = false;
  const events = parseOptions(args, RM_OPTIONS);
  for (const event of events) {
    if (event.kind === "long" && event.name === "recursive") recursive = true;
    if (event.kind === "short" && (event.name === "r" || event.name === "R")) recursive = true;
  }
  return { recursive, targets: operands(events) };
}

const rm: Handler = ({ name, argv, state }, analyzer) => {
  const { recursive, targets } = parseRm(argv.slice(1));
  if (!recursive && name !== "rimraf") return;
  for (const target of targets) refuseTarget(target, state, analyzer, `\`${name} -r\``);
};

const rimraf: Handler = ({ argv, state }, analyzer) => {
  for (const target of argv.slice(1).filter((f) => !f.value.startsWith("-"))) refuseTarget(target, state, analyzer, "`rimraf`");
};

const FIND_PRE_OPTIONS = /^-(H|L|P|O\d*)$/;
const EXEC_ACTIONS = new Set(["-exec", "-execdir", "-ok", "-okdir"]);
const NAME_TESTS = new Set(["-name", "-iname", "-path", "-ipath", "-wholename", "-iwholename", "-regex", "-iregex", "-lname", "-ilname"]);
/** Tests that narrow what find matches (by age, size, owner …) and take a value. */
const NARROWING_TESTS = new Set([
  "-mtime", "-mmin", "-atime", "-amin", "-ctime", "-cmin", "-newer", "-anewer", "-cnewer", "-size", "-user", "-group", "-uid", "-gid",
  "-perm", "-links", "-inum", "-samefile", "-used",
]);
const VALUE_TESTS = new Set([
  "-type", "-xtype", "-maxdepth", "-mindepth", "-fstype", "-context", "-printf", "-fprint", "-fprint0", "-fls", "-regextype", "-files0-from",
]);

export interface FindCommand {
  roots: Field[];
  /** A test that names or dates what is deleted, not a bare `-type f`. */
  narrowed: boolean;
  deletes: boolean;
  /** `-exec … ;` commands, with `{}` still in place. */
  execs: Field[][];
}

/** Only wildcards: `*`, `.*`, `*.*` match everything. */
function matchesEverything(pattern: string): boolean {
  return /^[*?.\[\]^$+\\]*$/.test(pattern);
}

export function parseFind(argv: Field[]): FindCommand {
  const args = argv.slice(1);
  let i = 0;
  while (i < args.length && (FIND_PRE_OPTIONS.test(args[i]!.value) || args[i]!.value === "-D")) i += args[i]!.value === "-D" ? 2 : 1;
  const roots: Field[] = [];
  while (i < args.length && !/^[-(!),]/.test(args[i]!.value)) roots.push(args[i++]!);
  if (roots.length === 0) roots.push(literalField("."));
  const result: FindCommand = { roots, narrowed: false, deletes: false, execs: [] };
  for (; i < args.length; i++) {
    const v = args[i]!.value;
    if (v === "-delete") {
      result.deletes = true;
    } else if (EXEC_ACTIONS.has(v)) {
      const inner: Field[] = [];
      for (i++; i < args.length && args[i]!.value !== ";" && !(args[i]!.value === "+" && inner.at(-1)?.value === "{}"); i++) inner.push(args[i]!);
      result.execs.push(inner);
    } else if (NAME_TESTS.has(v)) {
      const pattern = args[++i];
      if (pattern && !(isKnown(pattern) && matchesEverything(pattern.value))) result.narrowed = true;
    } else if (NARROWING_TESTS.has(v) || v.startsWith("-newer")) {
      result.narrowed = true;
      i++;
    } else if (v === "-empty") {
      result.narrowed = true;
    } else if (v === "-files0-from") {
      // The starting points are read from a file (or a pipe, `<(…)`): where find goes is not on the command line.
      const from = args[++i];
      result.roots = [{ value: UNKNOWN, pattern: "*", glob: true, source: `the paths listed in ${from?.source || "a file"}`, scripts: from?.scripts ?? [] }];
    } else if (VALUE_TESTS.has(v)) {
      i++;
    }
  }
  for (const inner of result.execs) {
    if (inner[0] && isKnown(inner[0]) && DELETERS.has(basename(inner[0].value))) result.deletes = true;
  }
  return result;
}

/** find deleting under a root: outside the workspace never; the workspace root only with a name/age filter. */
function refuseFindRoots(find: FindCommand, state: ShellState, analyzer: Analyzer, what: string): void {
  for (const root of find.roots) {
    const outside = judgePermissionTarget(root, state, analyzer.places);
    if (outside) throw new Refusal(outside.rule ?? "recursive-delete", `${what}: ${outside.reason}`);
    if (find.narrowed) continue;
    const whole = judgeDeleteTarget(root, state, analyzer.places);
    if (whole) {
      throw new Refusal(whole.rule ?? "recursive-delete", `${what} deletes everything it finds: ${whole.reason} (add a -name filter or start from a subfolder)`);
    }
  }
}

const find: Handler = (call, analyzer) => {
  const parsed = parseFind(call.argv);
  if (parsed.deletes) refuseFindRoots(parsed, call.state, analyzer, "`find … -delete`");
  const placeholder = parsed.roots.length === 1 ? `${parsed.roots[0]!.value.replace(/\/+$/, "")}/${UNKNOWN}` : UNKNOWN;
  for (const inner of parsed.execs) {
    if (inner.length === 0) continue;
    const deleter = isKnown(inner[0]!) && DELETERS.has(commandName(inner[0]!.value));
    // A deleter's `{}` is judged above through find's roots; its other arguments are still checked.
    const args = deleter
      ? inner.filter((f) => !f.value.includes("{}"))
      : inner.map((f) => (f.value.includes("{}") ? { ...f, value: f.value.replaceAll("{}", placeholder), glob: false } : f));
    analyzer.run(args, call.state.copy(), { kind: "none" });
  }
};

/** GNU xargs: short options that take a value, and its long options (abbreviations resolved). */
const XARGS_SHORT_VALUES = "ILnPdEsa";
const XARGS_OPTIONS: OptionSpec = {
  long: {
    "arg-file": "required", delimiter: "required", eof: "optional", replace: "optional", "max-lines": "optional", "max-args": "required",
    "max-procs": "required", interactive: "none", "max-chars": "required", verbose: "none", "show-limits": "none", exit: "none",
    "no-run-if-empty": "none", null: "none", "open-tty": "none", "process-slot-var": "required", help: "none", version: "none",
  },
};

/** xargs stops reading options at the first operand: that is the command it runs. */
function parseXargs(argv: Field[]): { inner: Field[]; replace: string | null } {
  let i = 1;
  let replace: string | null = null;
  while (i < argv.length) {
    const v = argv[i]!.value;
    if (!isKnown(argv[i]!) || !v.startsWith("-") || v === "-") break;
    if (v === "--") {
      i++;
      break;
    }
    if (v.startsWith("--")) {
      const eq = v.indexOf("=");
      const name = resolveLong(eq < 0 ? v.slice(2) : v.slice(2, eq), XARGS_OPTIONS);
      if (name === "replace") replace = eq < 0 ? "{}" : v.slice(eq + 1);
      i += name && XARGS_OPTIONS.long[name] === "required" && eq < 0 ? 2 : 1;
      continue;
    }
    let used = 1;
    for (let c = 1; c < v.length; c++) {
      const option = v[c]!;
      const attached = v.slice(c + 1);
      if (option === "I") {
        replace = attached || (argv[i + 1]?.value ?? "{}");
        used = attached ? 1 : 2;
        break;
      }
      if (option === "i") {
        replace = attached || "{}";
        break;
      }
      if (option === "e" || option === "l") break;
      if (XARGS_SHORT_VALUES.includes(option)) {
        used = attached ? 1 : 2;
        break;
      }
    }
    i += used;
  }
  return { inner: argv.slice(i), replace };
}

/** The paths a pipeline stage writes for xargs, when the command line shows them. */
function producedTargets(producer: Statement, state: ShellState): { find: FindCommand } | { fields: Field[] } | null {
  const command = producer.command;
  if (command.kind !== "simple") return null;
  const argv = expandWords(command.words, state.copy());
  if (argv.length === 0 || !isKnown(argv[0]!)) return null;
  const name = commandName(argv[0]!.value);
  if (name === "find") return { find: parseFind(argv) };
  if (name === "echo" || name === "printf") return { fields: argv.slice(1).filter((f) => !/^-[neE]$/.test(f.value)) };
  if (name === "ls") {
    const dirs = argv.slice(1).filter((f) => !f.value.startsWith("-"));
    const listed = (dirs.length ? dirs : [literalField(".")]).map((d) => ({
      ...d,
      pattern: `${d.pattern.replace(/\/+$/, "")}/*`,
      glob: true,
      source: `everything \`ls ${d.source}\` lists`,
    }));
    return { fields: listed };
  }
  return null;
}

const xargs: Handler = (call: CommandCall, analyzer) => {
  const { inner, replace } = parseXargs(call.argv);
  if (inner.length === 0) return;
  const input: Field = { value: UNKNOWN, pattern: "*", glob: true, source: "(the input of xargs)", scripts: [] };
  const deleter = isKnown(inner[0]!) && DELETERS.has(commandName(inner[0]!.value));
  if (!deleter) {
    const args = replace
      ? inner.map((f) => (f.value.includes(replace) ? { ...f, value: f.value.replaceAll(replace, UNKNOWN) } : f))
      : [...inner, input];
    return analyzer.run(args, call.state.copy(), { kind: "none" });
  }
  const name = commandName(inner[0]!.value);
  const own = replace ? inner.filter((f) => !f.value.includes(replace)) : inner;
  analyzer.run(own, call.state.copy(), { kind: "none" });
  const what = `\`xargs ${name}\``;
  const producer = call.stdin.kind === "pipe" ? call.stdin.producers[call.stdin.producers.length - 1] : undefined;
  const produced = producer ? producedTargets(producer, call.stdin.kind === "pipe" ? call.stdin.state : call.state) : null;
  if (produced && "find" in produced) return refuseFindRoots(produced.find, call.state, analyzer, what);
  if (produced) {
    for (const field of produced.fields) refuseTarget(field, call.state, analyzer, what);
    return;
  }
  if (parseRm(inner.slice(1)).recursive || name === "rimraf") {
    throw new Refusal("recursive-delete", `${what} deletes recursively whatever its input names, which cannot be checked`);
  }
};

export const DELETE_HANDLERS: Array<[string, Handler]> = [
  ["rm", rm],
  ["srm", rm],
  ["rimraf", rimraf],
  ["find", find],
  ["xargs", xargs],
];
