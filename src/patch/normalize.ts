/**
 * The four ways two lines may be "equal", tried in this order by the matcher,
 * the same ladder the Codex tool climbs: exact, then ignoring trailing
 * whitespace, then ignoring leading and trailing whitespace, then also with
 * typographic punctuation folded to ASCII (models often "prettify" a dash or a
 * quote they copy from the file).
 */
export const MATCH_LEVELS = ["exact", "trailing whitespace ignored", "surrounding whitespace ignored", "punctuation folded"] as const;
export type MatchLevel = 0 | 1 | 2 | 3;

const FOLD: Record<string, string> = {};
// Hyphens and dashes (U+2010–U+2015) and the minus sign.
for (const c of "\u2010\u2011\u2012\u2013\u2014\u2015\u2212") FOLD[c] = "-";
// Single quotes, double quotes.
for (const c of "\u2018\u2019\u201A\u201B") FOLD[c] = "'";
for (const c of "\u201C\u201D\u201E\u201F") FOLD[c] = '"';
// No-break and typographic spaces.
for (const c of "\u00A0\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200A\u202F\u205F\u3000") FOLD[c] = " ";
const FOLD_PATTERN = new RegExp(`[${Object.keys(FOLD).join("")}]`, "g");

export function foldPunctuation(text: string): string {
  return text.replace(FOLD_PATTERN, (c) => FOLD[c] ?? c);
}

/** The key of a line at a level: lines are equal at that level when their keys are. */
export function lineKey(text: string, level: MatchLevel): string {
  switch (level) {
    case 0:
      return text;
    case 1:
      return text.trimEnd();
    case 2:
      return text.trim();
    case 3:
      return foldPunctuation(text.trim());
  }
}
