import { decodeAnsiC } from "./parser.js";

/**
 * The string work of bash's parameter operators (`${x:1:2}`, `${x%.ts}`,
 * `${x//a/b}`, `${x^^}`, `${x@E}`), done only where the result is certain.
 * Each function returns null when bash could give something else (a locale
 * decides, an arithmetic offset, a pattern form this does not model): the
 * caller then treats the value as computed at run time.
 */

/** Character counts, `?` and `[…]` matching and case mapping depend on the locale outside ASCII. */
const ASCII = /^[\x00-\x7f]*$/;
/** Pattern matching tries every prefix (or every span): past these sizes the value is left uncomputed rather than matched slowly. */
const MAX_MATCHED = 4096;
const MAX_REPLACED = 256;

/** `1`, `-2`, ` -2`, `(-2)`: an offset or length bash reads as arithmetic; only a literal integer is computed. */
export function literalInteger(text: string): number | null {
  let t = text.trim();
  while (t.startsWith("(") && t.endsWith(")")) t = t.slice(1, -1).trim();
  if (!/^[-+]?\s*\d{1,9}$/.test(t)) return null;
  return Number(t.replace(/\s+/g, ""));
}

/** `${x:offset:length}` on a string. */
export function substring(value: string, offsetText: string, lengthText: string | null): string | null {
  if (!ASCII.test(value)) return null;
  const offset = literalInteger(offsetText);
  const length = lengthText === null ? null : literalInteger(lengthText);
  if (offset === null || (lengthText !== null && length === null)) return null;
  const start = offset < 0 ? value.length + offset : offset;
  if (start < 0 || start > value.length) return "";
  if (length === null) return value.slice(start);
  const end = length < 0 ? value.length + length : start + length;
  // bash: "substring expression < 0".
  if (end < start) return null;
  return value.slice(start, end);
}

/** `${a[@]:offset:length}` on a list (array elements, or `$0 $1 …` for `${@:…}`). */
export function sublist(values: readonly string[], offsetText: string, lengthText: string | null): string[] | null {
  const offset = literalInteger(offsetText);
  const length = lengthText === null ? null : literalInteger(lengthText);
  if (offset === null || (lengthText !== null && length === null)) return null;
  // A negative length is an error for lists.
  if (length !== null && length < 0) return null;
  const start = offset < 0 ? values.length + offset : offset;
  if (start < 0) return [];
  return values.slice(start, length === null ? undefined : start + length);
}

/**
 * A glob pattern (quoted characters backslash-escaped, as Field.pattern
 * holds them) as an anchored regular expression, or null for forms not
 * modelled here (character classes, equivalence classes).
 */
export function globRegex(pattern: string): RegExp | null {
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === "\\") {
      if (i + 1 < pattern.length) out += escapeRegex(pattern[++i]!);
      else out += "\\\\";
    } else if (ch === "*") out += "[\\s\\S]*";
    else if (ch === "?") out += "[\\s\\S]";
    else if (ch === "[") {
      const close = bracketEnd(pattern, i);
      if (close < 0) {
        out += "\\[";
        continue;
      }
      const body = pattern.slice(i + 1, close);
      if (/\[[:=.]/.test(body)) return null;
      const negate = body.startsWith("!") || body.startsWith("^");
      const items = negate ? body.slice(1) : body;
      let set = "";
      for (let k = 0; k < items.length; k++) {
        const c = items[k]!;
        if (c === "\\" && k + 1 < items.length) set += escapeRegex(items[++k]!);
        else if (c === "-" && k > 0 && k < items.length - 1) set += "-";
        else set += escapeRegex(c);
      }
      out += `[${negate ? "^" : ""}${set}]`;
      i = close;
    } else out += escapeRegex(ch);
  }
  try {
    return new RegExp(`^(?:${out})$`);
  } catch {
    return null;
  }
}

/** Where a `[` bracket expression ends (a `]` right after `[`, `[!` or `[^` is a member), or -1. */
function bracketEnd(pattern: string, open: number): number {
  let k = open + 1;
  if (pattern[k] === "!" || pattern[k] === "^") k++;
  if (pattern[k] === "]") k++;
  for (; k < pattern.length; k++) {
    if (pattern[k] === "\\") k++;
    else if (pattern[k] === "]") return k;
  }
  return -1;
}

function escapeRegex(ch: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(ch) ? `\\${ch}` : ch;
}

/** `#`, `##`, `%`, `%%`: remove the shortest/longest matching prefix/suffix. */
export function removeMatch(value: string, pattern: string, op: "#" | "##" | "%" | "%%"): string | null {
  const regex = value.length <= MAX_MATCHED && ASCII.test(value) && ASCII.test(pattern) ? globRegex(pattern) : null;
  if (!regex) return null;
  const n = value.length;
  if (op === "#" || op === "##") {
    const lengths = op === "#" ? range(0, n) : range(n, 0);
    for (const k of lengths) if (regex.test(value.slice(0, k))) return value.slice(k);
    return value;
  }
  const starts = op === "%" ? range(n, 0) : range(0, n);
  for (const k of starts) if (regex.test(value.slice(k))) return value.slice(0, k);
  return value;
}

/** `${x/p/r}`, `${x//p/r}`, `${x/#p/r}`, `${x/%p/r}`: the longest match at the first (or every) place. */
export function replaceMatch(value: string, pattern: string, replacement: string, all: boolean, anchor: "#" | "%" | null): string | null {
  const regex = value.length <= MAX_REPLACED && ASCII.test(value) && ASCII.test(pattern) ? globRegex(pattern) : null;
  if (!regex) return null;
  // A pattern that matches nothing at all (or only the empty text) is where bash's rules get subtle.
  if (pattern === "" || regex.test("")) return anchor === null && pattern === "" ? value : null;
  const n = value.length;
  if (anchor === "#") {
    for (const k of range(n, 1)) if (regex.test(value.slice(0, k))) return replacement + value.slice(k);
    return value;
  }
  if (anchor === "%") {
    for (const k of range(0, n - 1)) if (regex.test(value.slice(k))) return value.slice(0, k) + replacement;
    return value;
  }
  let out = "";
  let i = 0;
  let replaced = false;
  while (i < n) {
    let matched = -1;
    if (all || !replaced) for (const end of range(n, i + 1)) if (regex.test(value.slice(i, end))) {
      matched = end;
      break;
    }
    if (matched < 0) {
      out += value[i];
      i++;
      continue;
    }
    out += replacement;
    i = matched;
    replaced = true;
  }
  return out;
}

/** `^`, `^^`, `,`, `,,` with no pattern, and the `@U`, `@u`, `@L`, `@E` transforms. */
export function caseOrTransform(value: string, op: string): string | null {
  if (!ASCII.test(value)) return null;
  if (op === "@E") {
    // `\u263a` becomes a character only in a UTF-8 locale.
    const decoded = decodeAnsiC(value);
    return ASCII.test(decoded) ? decoded : null;
  }
  switch (op) {
    case "^^":
    case "@U":
      return value.toUpperCase();
    case ",,":
    case "@L":
      return value.toLowerCase();
    case "^":
    case "@u":
      return value.slice(0, 1).toUpperCase() + value.slice(1);
    case ",":
      return value.slice(0, 1).toLowerCase() + value.slice(1);
  }
  return null;
}

/** Integers from a to b inclusive, counting up or down. */
function range(a: number, b: number): number[] {
  const out: number[] = [];
  if (a <= b) for (let k = a; k <= b; k++) out.push(k);
  else for (let k = a; k >= b; k--) out.push(k);
  return out;
}
