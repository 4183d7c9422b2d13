/**
 * A text file as lines, keeping each line's own ending so a patch changes only
 * the lines it names: CRLF files stay CRLF, mixed files stay mixed, and a
 * UTF-8 byte-order mark survives.
 */
export interface FileText {
  /** Line contents without their ending. */
  lines: string[];
  /** Each line's ending: "\n", "\r\n", or "" for a last line without one. */
  eols: string[];
  bom: boolean;
  /** The ending new lines get: the one most lines use (ties: the first line's). */
  eol: "\n" | "\r\n";
}

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Decode file bytes, or null when they are not UTF-8 text (a NUL byte counts as binary). */
export function decodeText(bytes: Uint8Array): FileText | null {
  if (bytes.includes(0)) return null;
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return null;
  }
  return splitText(text);
}

export function splitText(text: string): FileText {
  const bom = text.startsWith("\uFEFF");
  if (bom) text = text.slice(1);
  const lines: string[] = [];
  const eols: string[] = [];
  let crlf = 0;
  let lf = 0;
  let first: "\n" | "\r\n" | null = null;
  let start = 0;
  while (start < text.length) {
    const nl = text.indexOf("\n", start);
    if (nl < 0) {
      lines.push(text.slice(start));
      eols.push("");
      break;
    }
    const isCrlf = nl > start && text.charCodeAt(nl - 1) === 13;
    lines.push(text.slice(start, isCrlf ? nl - 1 : nl));
    eols.push(isCrlf ? "\r\n" : "\n");
    if (isCrlf) crlf++;
    else lf++;
    first ??= isCrlf ? "\r\n" : "\n";
    start = nl + 1;
  }
  const eol = crlf > lf ? "\r\n" : lf > crlf ? "\n" : (first ?? "\n");
  return { lines, eols, bom, eol };
}

/** Whether the text's last line ends with a newline (an empty file counts as yes). */
export function hasFinalNewline(text: FileText): boolean {
  return text.eols.length === 0 || text.eols[text.eols.length - 1] !== "";
}

/**
 * Serialize. `finalNewline` decides the last line's ending (true: the file's
 * own ending if it had one, else the dominant one; false: none).
 */
export function joinText(text: FileText, finalNewline: boolean): Buffer {
  const n = text.lines.length;
  const parts: string[] = new Array(n * 2 + 1);
  parts[0] = text.bom ? "\uFEFF" : "";
  for (let i = 0; i < n; i++) {
    let eol = text.eols[i] ?? text.eol;
    if (i === n - 1) eol = finalNewline ? eol || text.eol : "";
    else if (eol === "") eol = text.eol; // a former last line that now has lines after it
    parts[i * 2 + 1] = text.lines[i]!;
    parts[i * 2 + 2] = eol;
  }
  return Buffer.from(parts.join(""), "utf8");
}

/** Line count as people count it: newlines, plus one for a last line without one. */
export function countLines(bytes: Uint8Array): number {
  let count = 0;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 10) count++;
  if (bytes.length > 0 && bytes[bytes.length - 1] !== 10) count++;
  return count;
}
