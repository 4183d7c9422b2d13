import { ActionError } from "../ground/errors.js";

/**
 * The built-in engine's matcher. Literal queries are escaped; regex queries use
 * JavaScript syntax (ripgrep uses Rust syntax: the common subset - classes,
 * groups, alternation, quantifiers, anchors, \b \d \s \w - behaves the same
 * on ASCII; Rust's \w \d \b also cover non-ASCII letters and digits).
 * Flags are chosen to behave like rg on one line: `s` so `.` matches a `\r`
 * as Rust's `.` does, `u` for code points and Unicode case folding.
 */
export interface LineMatcher {
  /** Tested against one line (no `\n`; a `\r` of a CRLF file stays, as in rg). */
  line: RegExp;
  /** Quick test over a whole file that never misses a line `line` would match; null when that cannot be promised. */
  whole: RegExp | null;
}

export function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&");
}

export function buildMatcher(pattern: string, regex: boolean, caseSensitive: boolean): LineMatcher {
  const source = regex ? pattern : escapeRegExp(pattern);
  const fold = caseSensitive ? "" : "i";
  try {
    const line = new RegExp(source, `su${fold}`);
    // A lookaround at a line's edge would see the neighbouring line in the whole text.
    const wholeIsSafe = !regex || !/\(\?<?[=!]/.test(pattern);
    return { line, whole: wholeIsSafe ? new RegExp(source, `msu${fold}`) : null };
  } catch (error) {
    throw invalidRegex((error as Error).message);
  }
}

export function invalidRegex(reason: string): ActionError {
  return new ActionError("BAD_REQUEST", `invalid regex: ${reason.slice(0, 500)}`, {
    hint: "Fix the pattern, or send regex:false to search for the text literally.",
  });
}
