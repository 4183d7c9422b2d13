import { UNKNOWN, type Field } from "./expand.js";

/**
 * Paths that reach the tool's own files without spelling the config
 * folder's name: globs that match it (`cat ~/.chatgpt*\/c*`,
 * `/h?me/*\/.chatgpt-codex`), relative paths that resolve into it after a
 * `cd`, and /proc entries that open another process's files, descriptors,
 * environment or folders (`/proc/$PPID/fd/3`, `/proc/self/root/…`,
 * `/proc/1/environ`): the server holds its config file and audit log open
 * and has the token in memory.
 *
 * A path computed at run time (`cat $X/config.json`) is not resolved; that
 * stays a documented limit.
 */

const CONFIG_NAME = ".chatgpt-codex";
/** Entries under /proc/<pid>/ (and /proc/<pid>/task/<tid>/) that open what another process has open or can reach. */
const PROC_ENTRIES = ["fd", "fdinfo", "environ", "cwd", "root", "map_files", "mem"];

/** One path component: literal text, a glob (as a regular expression), or a computed piece that may span several levels. */
type Component = { kind: "text"; text: string } | { kind: "glob"; regex: RegExp; dotSafe: boolean } | { kind: "span"; globstar: boolean };

/** Why this argument reaches the tool's files, or null. */
export function reachesToolFiles(field: Field, cwd: string | null, configHome: string | null, dotglob = false): string | null {
  for (const value of candidates(field)) {
    const components = toComponents(value, cwd, dotglob);
    if (!components) continue;
    if (components.some((c) => c.kind === "glob" && !c.dotSafe && c.regex.test(CONFIG_NAME))) return "matches this tool's config folder";
    // A computed piece is not guessed here (`cat ~/$X`): only spelled-out paths and globs count.
    if (configHome && reaches(components, configHome.split("/").filter(Boolean).map(literal), false)) return "reaches this tool's config folder";
    if (reachesProc(components)) return "opens another process's files, descriptors or environment through /proc (the server's config file and token could be read that way)";
  }
  return null;
}

/** The argument, and the value after `=` in `--file=PATH` / `of=PATH`. */
function candidates(field: Field): Array<{ value: string; pattern: string; glob: boolean }> {
  const out = [{ value: field.value, pattern: field.pattern, glob: field.glob }];
  const eq = field.value.indexOf("=");
  const patternEq = field.pattern.indexOf("=");
  if (eq >= 0 && patternEq >= 0) out.push({ value: field.value.slice(eq + 1), pattern: field.pattern.slice(patternEq + 1), glob: field.glob });
  return out;
}

function literal(text: string): (c: Component) => boolean {
  return (c) => matches(c, text);
}

function matches(component: Component, text: string): boolean {
  if (component.kind === "text") return component.text === text;
  if (component.kind === "span") return true;
  return component.regex.test(text);
}

/** Absolute components of a path (resolved against cwd), or null when it is relative to an unknown folder. */
function toComponents(candidate: { value: string; pattern: string; glob: boolean }, cwd: string | null, dotglob: boolean): Component[] | null {
  const { value, pattern } = candidate;
  if (!value.includes("/") && !candidate.glob && cwd === null) return null;
  let values = value.split("/");
  let patterns = pattern.split("/");
  if (values.length !== patterns.length) patterns = values.map((v) => v.replace(/[*?[\]\\]/g, "\\$&"));
  if (!value.startsWith("/")) {
    if (cwd === null) return null;
    const base = cwd.split("/").filter(Boolean);
    values = [...base, ...values];
    patterns = [...base.map((b) => b.replace(/[*?[\]\\]/g, "\\$&")), ...patterns];
  }
  const out: Component[] = [];
  values.forEach((v, i) => {
    if (v === "" || v === ".") return;
    if (v === "..") {
      out.pop();
      return;
    }
    const last = i === values.length - 1;
    if (v.includes(UNKNOWN)) {
      // A computed last piece may hold more levels (`/proc/$X`); one in the middle is taken as one level.
      out.push(last && v === UNKNOWN ? { kind: "span", globstar: false } : { kind: "glob", regex: globRegex(patterns[i]!, true), dotSafe: true });
      return;
    }
    const p = patterns[i]!;
    if (p === "**") out.push({ kind: "span", globstar: true });
    else if (/(^|[^\\])[*?[]/.test(p)) out.push({ kind: "glob", regex: globRegex(p, dotglob), dotSafe: isSweeping(p) });
    else out.push({ kind: "text", text: v });
  });
  return out;
}

/** The path is the target or below it (a computed or `**` piece may stand for the rest). */
function reaches(path: Component[], target: Array<(c: Component) => boolean>, spans = true): boolean {
  for (let i = 0; i < target.length; i++) {
    const c = path[i];
    if (!c) return false;
    // A computed piece stands for the rest only once the path is known to be under /proc (`/proc/$X`, not `/$X`).
    if (c.kind === "span") return (spans || c.globstar) && i > 0;
    if (!target[i]!(c)) return false;
  }
  return true;
}

function reachesProc(path: Component[]): boolean {
  const pid = (c: Component) => (c.kind === "text" ? /^(\d+|self|thread-self)$/.test(c.text) : true);
  const entry = (c: Component) => PROC_ENTRIES.some((e) => matches(c, e));
  const any = () => true;
  return reaches(path, [literal("proc"), pid, entry]) || reaches(path, [literal("proc"), pid, literal("task"), any, entry]);
}

/** Fewer than two letters spelled out (`*`, `.*`, `.[!.]*`): it matches the config folder only through its place, not its name. */
function isSweeping(pattern: string): boolean {
  const letters = pattern.replace(/\[[^\]]*\]/g, "").replace(/[^A-Za-z0-9-]/g, "");
  return letters.length < 2;
}

/** A bash glob component as a regular expression; without dotglob a wildcard does not match a leading dot. */
function globRegex(pattern: string, dotglob = false): RegExp {
  let regex = "";
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === "\\" && i + 1 < pattern.length) regex += escape(pattern[++i]!);
    else if (ch === "*") regex += i === 0 && !dotglob ? "(?!\\.)[^/]*" : "[^/]*";
    else if (ch === "?") regex += i === 0 && !dotglob ? "[^./]" : "[^/]";
    else if (ch === "[") {
      const close = pattern.indexOf("]", i + 2);
      if (close < 0) regex += "\\[";
      else {
        const body = pattern.slice(i + 1, close).replace(/^!/, "^").replace(/\\/g, "\\\\");
        regex += `[${body}]`;
        i = close;
      }
    } else regex += escape(ch);
  }
  try {
    return new RegExp(`^${regex}$`, "s");
  } catch {
    return /[^]*/;
  }
}

function escape(ch: string): string {
  return ch.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
