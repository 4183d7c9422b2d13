import { createHash } from "node:crypto";
import { read } from "node:fs";
import { promisify } from "node:util";
import { ActionError } from "../core/errors.js";
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
  note?: string;
}

/**
 * Read lines `start..end` of an open file in one streaming pass that also
 * hashes the whole file and counts its lines, in constant memory (a 1 GB file
 * read for lines 1-200 holds one chunk at a time). The content keeps the
 * file's bytes as they are: BOM, CRLF, a missing final newline. It stops
 * collecting once the budget is spent and says where to continue.
 */
export async function readRange(fd: number, request: RangeRequest): Promise<RangeResult> {
  const hash = createHash("sha256");
  const buffer = Buffer.allocUnsafe(CHUNK);
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  // Bytes of one collected line are capped: past this the line is cut anyway.
  const lineCap = request.budget * 4 + 8;
  const lastWanted = request.end ?? Number.MAX_SAFE_INTEGER;

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
  let note: string | undefined;

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
      throw notText("it is not valid UTF-8");
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
    // A single line longer than the budget: show its beginning and move on past it.
    content = fitPrefix(text, request.budget);
    endLine = lineNo;
    nextStartLine = lineNo + 1;
    note = `line ${lineNo} is too long to show whole; only its first ${content.length} characters are included`;
  };

  for (;;) {
    if (request.signal.aborted || Date.now() > request.deadline) {
      throw new ActionError("TOO_LARGE", "the file is too large to read within the time limit", {
        hint: "Use exec_command with a tool such as sed -n 'A,Bp' FILE for a part of a very large file.",
      });
    }
    const { bytesRead } = await readAsync(fd, buffer, 0, CHUNK, position);
    if (bytesRead === 0) break;
    const chunk = buffer.subarray(0, bytesRead);
    if (position === 0) sniff(chunk);
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
      if (collecting && lineNo >= request.start) {
        const room = lineCap - lineBytes;
        if (room > 0) lineParts.push(Buffer.from(chunk.subarray(from, Math.min(stop, from + room))));
        lineBytes += stop - from;
      }
      if (nl === -1) break;
      if (collecting && lineNo >= request.start) finishLine();
      lineNo++;
      from = stop;
      if (!collecting) {
        for (let next = chunk.indexOf(10, from); next !== -1; next = chunk.indexOf(10, next + 1)) lineNo++;
        break;
      }
    }
  }
  // A last line without a final newline.
  if (collecting && lineNo >= request.start && lineBytes > 0) finishLine();
  const totalLines = position === 0 ? 0 : lastByte === 10 ? lineNo - 1 : lineNo;

  if (totalLines > 0 && request.start > totalLines) {
    throw new ActionError("BAD_REQUEST", `start_line ${request.start} is past the end of the file (${totalLines} lines)`);
  }
  return {
    content,
    startLine: request.start,
    endLine: Math.min(endLine, totalLines),
    totalLines,
    size: position,
    sha256: hash.digest("hex"),
    truncated,
    ...(nextStartLine !== undefined && nextStartLine <= totalLines ? { nextStartLine } : {}),
    ...(note ? { note } : {}),
  };
}

/** A NUL byte or invalid UTF-8 near the start means binary (an incomplete last character is fine). */
function sniff(chunk: Buffer): void {
  const head = chunk.subarray(0, SNIFF_BYTES);
  if (head.includes(0)) throw notText("it contains NUL bytes");
  try {
    new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(head, { stream: true });
  } catch {
    throw notText("it is not valid UTF-8");
  }
}

function notText(reason: string): ActionError {
  return new ActionError("BINARY_FILE", `not a text file: ${reason}`, {
    hint: "Only UTF-8 text can be read. Use exec_command (e.g. `file`, `xxd | head`) to inspect binary files.",
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
