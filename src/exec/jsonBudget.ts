/**
 * How much of a string fits in a JSON response: JSON.stringify escapes quotes,
 * backslashes and control characters, so a character may cost up to six.
 */

export function jsonCost(code: number): number {
  if (code === 0x22 || code === 0x5c) return 2;
  if (code < 0x20) return code === 0x08 || code === 0x09 || code === 0x0a || code === 0x0c || code === 0x0d ? 2 : 6;
  return 1;
}

/** JSON-escaped size of `text` (without the surrounding quotes). */
export function jsonSize(text: string): number {
  let size = 0;
  for (let i = 0; i < text.length; i++) size += jsonCost(text.charCodeAt(i));
  return size;
}

/** Length of the longest start of `text` whose escaped size is at most `budget`; never splits a surrogate pair. */
export function fitJson(text: string, budget: number): number {
  let size = 0;
  let i = 0;
  for (; i < text.length; i++) {
    const cost = jsonCost(text.charCodeAt(i));
    if (size + cost > budget) break;
    size += cost;
  }
  if (i > 0 && i < text.length && isHighSurrogate(text.charCodeAt(i - 1))) i--;
  return i;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
