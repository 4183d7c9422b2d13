/**
 * How a matched line is shown: the line without its terminator, cut to a
 * window around the match when it is very long (minified files), so one line
 * cannot eat the response budget. `column` always refers to the full line.
 */
export const MAX_TEXT_CHARS = 400;
const LEAD_CHARS = 100;

export function displayLine(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}

export function matchText(line: string, index: number): string {
  const text = displayLine(line);
  if (text.length <= MAX_TEXT_CHARS) return text;
  const start = Math.max(0, Math.min(index - LEAD_CHARS, text.length - MAX_TEXT_CHARS));
  const end = start + MAX_TEXT_CHARS;
  return `${start > 0 ? "…" : ""}${text.slice(start, end)}${end < text.length ? "…" : ""}`;
}

export function contextText(line: string): string {
  const text = displayLine(line);
  return text.length <= MAX_TEXT_CHARS ? text : `${text.slice(0, MAX_TEXT_CHARS)}…`;
}

/** 1-based column in Unicode code points of a match starting at UTF-16 index `index`. */
export function columnOf(line: string, index: number): number {
  let count = 0;
  for (let i = 0; i < index; i++) {
    const code = line.charCodeAt(i);
    const isLowSurrogate = code >= 0xdc00 && code <= 0xdfff;
    const previous = i > 0 ? line.charCodeAt(i - 1) : 0;
    const afterHighSurrogate = previous >= 0xd800 && previous <= 0xdbff;
    // The second half of a surrogate pair does not start a new code point.
    if (!(isLowSurrogate && afterHighSurrogate)) count++;
  }
  return count + 1;
}
