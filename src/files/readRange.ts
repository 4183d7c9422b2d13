import { createHash } from "node:crypto";
import { fstatSync, read } from "node:fs";
import { promisify } from "node:util";
import { ActionError } from "../ground/errors.js";
import { jsonStringCost } from "./budget.js";

const readAsync = promisify(read);
const CHUNK = 4 * 1024 * 1024;
/** Binary sniffing window: a NUL byte or invalid UTF-8 here means the file is not text. */
const SNIFF_BYTES = 8192;

export interface RangeRequest {
  /** 1-based first line. */
  start: number;
  /** 1-based last line, inclusive; null for the end of the file. */
  end: number | null;
  /**
   * 0-based character offset (UTF-16 code units, as `content.length` counts)
   * inside line `start`: read that one line from there on. Only with
   * `end === start` (the caller checks).
   */
  startChar?: number;
  /** What `content` may cost in the JSON answer (escapes count). */
  budget: number;
  /** Epoch ms after which hashing a huge file gives up. */
  deadline: number;
  signal: AbortSignal;
}

export interface RangeResult {
  content: string;
  startLine: number;
  endLine: number;
  totalLines: number;
  size: number;
  sha256: string;
  truncated: boolean;
  nextStartLine?: number;
  /** The rest of line `endLine` starts at this character (it did not fit). */
  nextStartChar?: number;
  note?: string;
}

/**
 * Read lines `start..end` of an open file in one streaming pass that also
 * hashes the whole file and counts its lines, in constant memory (a 1 GB file
 * read for lines 1-200 holds one chunk at a time). The content keeps the
 * file's bytes as they are: BOM, CRLF, a missing final newline. It stops
 * collecting once the budget is spent and says where to continue: at the
 * next line, or, for one line longer than an answer, at a character inside
 * it (`startChar` pages through such a line, e.g. a minified bundle).
 *
 * A file that is not UTF-8 text is still hashed to the end, so the 415 answer
 * carries its sha256 and size (a later write can be guarded with them).
 */
export async function readRange(fd: number, request: RangeRequest): Promise<RangeResult> {
  const hash = createHash("sha256");
  const buffer = Buffer.allocUnsafe(CHUNK);
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  // Bytes of one collected line are capped: past this the line is cut anyway.
  const lineCap = request.budget * 4 + 8;
  const lastWanted = request.end ?? Number.MAX_SAFE_INTEGER;
  const charMode = request.startChar !== undefined;

  let lineNo = 1;
  let position = 0;
  let lastByte = -1;
  let lineParts: Buffer[] = [];
  let lineBytes = 0;
  let collecting = request.start <= lastWanted;
  let content = "";
  let used = 0;
  let endLine = request.start - 1;
  let truncated = false;
  let nextStartLine: number | undefined;
  let nextStartChar: number | undefined;
  let note: string | undefined;
  /** Why the file is not text, once known: the rest is only hashed. */
  let notTextReason: string | null = null;

  const finishLine = () => {
    const bytes = lineParts.length === 1 ? lineParts[0]! : Buffer.concat(lineParts);
    lineParts = [];
    const cut = lineBytes > bytes.length;
    lineBytes = 0;
    let text: string;
    try {
      // A cut line may end inside a character: decode it as an unfinished stream, with a decoder of its own.
      text = cut ? new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes, { stream: true }) : decoder.decode(bytes);
    } catch {
      notTextReason = "it is not valid UTF-8";
      collecting = false;
      return;
    }
    const cost = jsonStringCost(text);
    if (!cut && used + cost <= request.budget) {
      content += text;
      used += cost;
      endLine = lineNo;
      if (lineNo >= lastWanted) collecting = false;
      return;
    }
    collecting = false;
    truncated = true;
    if (endLine >= request.start) {
      nextStartLine = lineNo; // this line starts the next page
      return;
    }
    // A single line longer than the budget: show its beginning, say where the rest starts, and where the next line is.
    content = fitPrefix(text, request.budget);
    endLine = lineNo;
    nextStartChar = content.length;
    if (lineNo < lastWanted) nextStartLine = lineNo + 1;
    note = partNote(lineNo, 0, content.length);
  };

  // Character mode: the one wanted line, decoded as it streams past, from startChar on.
  let seen = 0; // characters of the line decoded so far
  const takeChars = (bytes: Buffer, last: boolean) => {
    let text: string;
    try {
      text = decoder.decode(bytes, { stream: !last });
    } catch {
      notTextReason = "it is not valid UTF-8";
      collecting = false;
      return;
    }
    const from = seen;
    seen += text.length;
    const skip = request.startChar! - from;
    if (skip >= text.length) return; // still before startChar
    const piece = skip > 0 ? text.slice(skip) : text;
    const room = request.budget - used;
    const cost = jsonStringCost(piece);
    if (cost <= room) {
      content += piece;
      used += cost;
      return;
    }
    const fitted = fitPrefix(piece, room);
    content += fitted;
    used = request.budget;
    collecting = false;
    truncated = true;
    nextStartChar = request.startChar! + content.length;
  };
  const finishChars = () => {
    collecting = false;
    endLine = lineNo;
    if (truncated) {
      note = partNote(lineNo, request.startChar!, content.length);
    } else if (request.startChar! > seen) {
      throw new ActionError("BAD_REQUEST", `start_char ${request.startChar} is past the end of line ${lineNo} (${seen} characters with its line break)`);
    }
  };

  for (;;) {
    if (request.signal.aborted || Date.now() > request.deadline) {
      if (notTextReason) throw notText(notTextReason, { size: fstatSync(fd).size }); // no time left for the hash
      throw new ActionError("TOO_LARGE", "the file is too large to read within the time limit", {
        hint: "Use exec_command with a tool such as sed -n 'A,Bp' FILE for a part of a very large file.",
      });
    }
    const { bytesRead } = await readAsync(fd, buffer, 0, CHUNK, position);
    if (bytesRead === 0) break;
    const chunk = buffer.subarray(0, bytesRead);
    if (position === 0) {
      notTextReason = sniff(chunk);
      if (notTextReason) collecting = false;
    }
    position += bytesRead;
    hash.update(chunk);
    lastByte = chunk[bytesRead - 1]!;
    let from = 0;
    if (!collecting) {
      // Only counting lines from here on.
      for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, nl + 1)) lineNo++;
      continue;
    }
    while (from < bytesRead) {
      const nl = chunk.indexOf(10, from);
      const stop = nl === -1 ? bytesRead : nl + 1;
      const wanted = collecting && lineNo >= request.start;
      if (wanted && charMode) {
        lineBytes += stop - from;
        takeChars(chunk.subarray(from, stop), nl !== -1);
        if (truncated || (collecting && nl !== -1)) finishChars();
      } else if (wanted) {
        const room = lineCap - lineBytes;
        if (room > 0) lineParts.push(Buffer.from(chunk.subarray(from, Math.min(stop, from + room))));
        lineBytes += stop - from;
        if (nl !== -1) finishLine();
      }
      if (nl === -1) break;
      lineNo++;
      from = stop;
      if (!collecting) {
        for (let next = chunk.indexOf(10, from); next !== -1; next = chunk.indexOf(10, next + 1)) lineNo++;
        break;
      }
    }
  }
  // A last line without a final newline.
  if (collecting && lineNo >= request.start) {
    if (charMode) {
      if (lineBytes > 0) {
        takeChars(Buffer.alloc(0), true);
        if (truncated || collecting) finishChars();
      }
    } else if (lineBytes > 0) finishLine();
  }
  const totalLines = position === 0 ? 0 : lastByte === 10 ? lineNo - 1 : lineNo;
  const sha256 = hash.digest("hex");
  if (notTextReason) throw notText(notTextReason, { sha256, size: position });

  if (totalLines > 0 && request.start > totalLines) {
    throw new ActionError("BAD_REQUEST", `start_line ${request.start} is past the end of the file (${totalLines} lines)`);
  }
  if (charMode && totalLines === 0 && request.startChar! > 0) {
    throw new ActionError("BAD_REQUEST", `start_char ${request.startChar} is past the end of the file (it is empty)`);
  }
  return {
    content,
    startLine: request.start,
    endLine: Math.min(endLine, totalLines),
    totalLines,
    size: position,
    sha256,
    truncated,
    ...(nextStartLine !== undefined && nextStartLine <= totalLines ? { nextStartLine } : {}),
    ...(nextStartChar !== undefined ? { nextStartChar } : {}),
    ...(note ? { note } : {}),
  };
}

function partNote(line: number, from: number, length: number): string {
  const next = from + length;
  return (
    `line ${line} is too long for one answer: this is characters ${from}-${next - 1} of it. ` +
    `Read on with start_line=${line}, end_line=${line}, start_char=${next}.`
  );
}

/** Why the start of the file is not text (a NUL byte, invalid UTF-8), or null; an incomplete last character is fine. */
function sniff(chunk: Buffer): string | null {
  const head = chunk.subarray(0, SNIFF_BYTES);
  if (head.includes(0)) return "it contains NUL bytes";
  try {
    new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(head, { stream: true });
  } catch {
    return "it is not valid UTF-8";
  }
  return null;
}

function notText(reason: string, details: { sha256?: string; size: number }): ActionError {
  return new ActionError("BINARY_FILE", `not a text file: ${reason}`, {
    hint:
      "Only UTF-8 text can be read. details has the file's sha256 and size: pass the sha256 as expected_sha256 to write_file to replace it safely. " +
      "Use exec_command (e.g. `file`, `xxd | head`, `iconv`) to inspect or convert it.",
    details,
  });
}

/** The longest prefix of `text` whose JSON form fits `budget` characters. */
function fitPrefix(text: string, budget: number): string {
  let low = 0;
  let high = Math.min(text.length, budget);
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (jsonStringCost(text.slice(0, mid)) <= budget) low = mid;
    else high = mid - 1;
  }
  // Do not end on half of a surrogate pair.
  const code = text.charCodeAt(low - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? low - 1 : low);
}
