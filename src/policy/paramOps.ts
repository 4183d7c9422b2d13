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
const MAX_REPLACED = 128;

/** `1`, `-2`, ` -2`, `(-2)`: an offset or length bash reads as arithmetic; only a literal integer is computed. */
export function literalInteger(text: string): number | null {
  let t = text.trim();
  while (t.startsWith("(") && t.endsWith(")")) t = t.slice(1, -1).trim();
  // A leading 0 makes the number octal in bash arithmetic (`010` is 8): left uncomputed.
  if (!/^[-+]?\s*\d{1,9}$/.test(t) || /^[-+]?\s*0\d/.test(t)) return null;
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

/** One position of a glob pattern: a character, `?`, `*`, or a `[…]` set. */
type GlobToken =
  | { kind: "char"; char: string }
  | { kind: "any" }
  | { kind: "star" }
  | { kind: "set"; negate: boolean; test: (ch: string) => boolean };

/** Patterns longer than this are left uncomputed (matching costs value length × pattern length). */
const MAX_PATTERN = 256;

/**
 * A glob pattern (quoted characters backslash-escaped, as Field.pattern
 * holds them) as tokens, or null for forms not modelled here (character
 * classes, equivalence classes) or too long.
 */
function globTokens(pattern: string): GlobToken[] | null {
  if (pattern.length > MAX_PATTERN) return null;
  const tokens: GlobToken[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === "\\") {
      tokens.push({ kind: "char", char: i + 1 < pattern.length ? pattern[++i]! : "\\" });
    } else if (ch === "*") {
      if (tokens[tokens.length - 1]?.kind !== "star") tokens.push({ kind: "star" });
    } else if (ch === "?") tokens.push({ kind: "any" });
    else if (ch === "[") {
      const close = bracketEnd(pattern, i);
      if (close < 0) {
        tokens.push({ kind: "char", char: "[" });
        continue;
      }
      const body = pattern.slice(i + 1, close);
      if (/\[[:=.]/.test(body)) return null;
      const negate = body.startsWith("!") || body.startsWith("^");
      const items = negate ? body.slice(1) : body;
      const singles = new Set<string>();
      const ranges: Array<[string, string]> = [];
      for (let k = 0; k < items.length; k++) {
        let c = items[k]!;
        if (c === "\\" && k + 1 < items.length) c = items[++k]!;
        if (items[k + 1] === "-" && k + 2 < items.length) {
          let to = items[k + 2]!;
          k += 2;
          if (to === "\\" && k + 1 < items.length) to = items[++k]!;
          ranges.push([c, to]);
        } else singles.add(c);
      }
      tokens.push({ kind: "set", negate, test: (x) => singles.has(x) || ranges.some(([a, b]) => a <= x && x <= b) });
      i = close;
    } else tokens.push({ kind: "char", char: ch });
  }
  return tokens;
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

/**
 * For each k from 0 to value.length, whether value.slice(0, k) matches the
 * whole pattern: one pass over the value with the set of pattern positions
 * reachable so far (no backtracking).
 */
function matchingPrefixes(tokens: GlobToken[], value: string): boolean[] {
  const end = tokens.length;
  const close = (states: Set<number>) => {
    for (const s of [...states]) for (let i = s; i < end && tokens[i]!.kind === "star"; i++) states.add(i + 1);
    return states;
  };
  let states = close(new Set([0]));
  const out = [states.has(end)];
  for (const ch of value) {
    const next = new Set<number>();
    for (const s of states) {
      if (s === end) continue;
      const token = tokens[s]!;
      if (token.kind === "star") next.add(s);
      else if (token.kind === "any" || (token.kind === "char" && token.char === ch) || (token.kind === "set" && token.test(ch) !== token.negate)) next.add(s + 1);
    }
    states = close(next);
    out.push(states.has(end));
  }
  return out;
}

/** `#`, `##`, `%`, `%%`: remove the shortest/longest matching prefix/suffix. */
export function removeMatch(value: string, pattern: string, op: "#" | "##" | "%" | "%%"): string | null {
  const tokens = value.length <= MAX_MATCHED && ASCII.test(value) && ASCII.test(pattern) ? globTokens(pattern) : null;
  if (!tokens) return null;
  if (op === "#" || op === "##") {
    const ok = matchingPrefixes(tokens, value);
    const k = op === "#" ? ok.indexOf(true) : ok.lastIndexOf(true);
    return k < 0 ? value : value.slice(k);
  }
  // A suffix matches when the reversed value's prefix matches the reversed pattern.
  const ok = matchingPrefixes([...tokens].reverse(), [...value].reverse().join(""));
  const k = op === "%" ? ok.indexOf(true) : ok.lastIndexOf(true);
  return k < 0 ? value : value.slice(0, value.length - k);
}

/** `${x/p/r}`, `${x//p/r}`, `${x/#p/r}`, `${x/%p/r}`: the longest match at the first (or every) place. */
export function replaceMatch(value: string, pattern: string, replacement: string, all: boolean, anchor: "#" | "%" | null): string | null {
  const tokens = value.length <= MAX_REPLACED && ASCII.test(value) && ASCII.test(pattern) ? globTokens(pattern) : null;
  if (!tokens) return null;
  // An empty pattern changes nothing; one that matches the empty text is where bash's rules get subtle.
  if (pattern === "") return anchor === null ? value : null;
  if (matchingPrefixes(tokens, "")[0]) return null;
  if (anchor === "#") {
    const k = matchingPrefixes(tokens, value).lastIndexOf(true);
    return k <= 0 ? value : replacement + value.slice(k);
  }
  if (anchor === "%") {
    const k = matchingPrefixes([...tokens].reverse(), [...value].reverse().join("")).lastIndexOf(true);
    return k <= 0 ? value : value.slice(0, value.length - k) + replacement;
  }
  let out = "";
  let i = 0;
  let replaced = false;
  while (i < value.length) {
    const k = all || !replaced ? matchingPrefixes(tokens, value.slice(i)).lastIndexOf(true) : -1;
    if (k <= 0) {
      out += value[i];
      i++;
      continue;
    }
    out += replacement;
    i += k;
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
