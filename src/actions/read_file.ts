import { closeSync } from "node:fs";
import { z } from "zod";
import { ActionError } from "../ground/errors.js";
import { nextCall, unlessDefault } from "../ground/nextCall.js";
import { openFileForRead } from "../files/openInside.js";
import { readRange, type RangeResult } from "../files/readRange.js";
import { DEFAULT_CHARS, NextCallField, maxCharsInput } from "./answerBudget.js";
import { defineAction } from "./define.js";

/** Give up hashing a giant file this long before the answer deadline. */
const READ_MARGIN_MS = 5000;

export default defineAction({
  name: "read_file",
  summary:
    "Read a UTF-8 text file of the workspace, whole or a 1-based inclusive line range. Returns sha256 of the whole file (pass it to write_file as expected_sha256). Long files come in parts (about 24,000 characters each unless max_chars): next_call names the call that continues.",
  readOnly: true,
  consequential: false,
  destructive: false,
  input: z.object({
    path: z.string().describe("File path relative to the workspace root."),
    start_line: z.number().int().min(1).optional().describe("First line to return, 1-based (default 1)."),
    end_line: z.number().int().min(1).optional().describe("Last line to return, inclusive (default: end of file; past the end means the end)."),
    start_char: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe(
        "Read one long line in parts: 0-based character offset inside line start_line (end_line must be absent or equal to start_line). Pass the next_start_char of the previous answer.",
      ),
    max_chars: maxCharsInput("file content"),
  }),
  output: z.object({
    path: z.string(),
    content: z.string().describe("The lines exactly as stored (line breaks, CRLF and a UTF-8 BOM included)."),
    start_line: z.number().int().min(1),
    end_line: z.number().int().min(0).describe("Last line included in content (0 for an empty file)."),
    total_lines: z.number().int().min(0).describe("Lines in the whole file."),
    size: z.number().int().min(0).describe("Size of the whole file in bytes."),
    sha256: z.string().describe("SHA-256 (hex) of the whole file's bytes."),
    truncated: z
      .boolean()
      .describe("True when the requested range did not fit in one answer: continue at next_start_line (or, for the rest of line end_line, at next_start_char)."),
    next_start_line: z.number().int().min(1).optional().describe("First line of the next part."),
    next_start_char: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe("Line end_line was cut: its rest starts at this character. Read it with start_line = end_line = that line and start_char = this."),
    note: z.string().optional(),
    next_call: NextCallField,
  }),
  // No example: success needs an existing file; the smoke client creates one first.
  handler: async (input, ctx) => {
    const workspace = ctx.workspace();
    const target = ctx.resolvePath(input.path);
    ctx.audit.paths = [target.relative];
    const start = input.start_line ?? 1;
    let end = input.end_line ?? null;
    if (end !== null && end < start) {
      throw new ActionError("BAD_REQUEST", `end_line (${end}) is before start_line (${start})`);
    }
    if (input.start_char !== undefined) {
      if (end !== null && end !== start) {
        throw new ActionError("BAD_REQUEST", `start_char reads inside one line: end_line (${end}) must equal start_line (${start}) or be left out`, {
          hint: "Read whole lines with start_line/end_line; use start_char only to continue one long line (next_start_char).",
        });
      }
      end = start;
    }
    const { fd } = openFileForRead(workspace.root, target);
    try {
      const result = await readRange(fd, {
        start,
        end,
        ...(input.start_char !== undefined ? { startChar: input.start_char } : {}),
        budget: input.max_chars,
        deadline: ctx.deadline - READ_MARGIN_MS,
        signal: ctx.signal,
      });
      return {
        path: target.relative,
        content: result.content,
        start_line: result.startLine,
        end_line: result.endLine,
        total_lines: result.totalLines,
        size: result.size,
        sha256: result.sha256,
        truncated: result.truncated,
        ...(result.nextStartLine !== undefined ? { next_start_line: result.nextStartLine } : {}),
        ...(result.nextStartChar !== undefined ? { next_start_char: result.nextStartChar } : {}),
        ...(result.note ? { note: result.note } : {}),
        ...continuation(target.relative, input.end_line, input.max_chars, result),
      };
    } finally {
      closeSync(fd);
    }
  },
});

/** The call that reads on from where a cut answer stopped: the rest of a long line first, else the next line. */
function continuation(path: string, endLine: number | undefined, maxChars: number, result: RangeResult): { next_call?: string } {
  const max_chars = unlessDefault(maxChars, DEFAULT_CHARS);
  if (result.nextStartChar !== undefined) {
    return { next_call: nextCall("read_file", { path, start_line: result.endLine, end_line: result.endLine, start_char: result.nextStartChar, max_chars }) };
  }
  if (result.nextStartLine !== undefined) {
    return { next_call: nextCall("read_file", { path, start_line: result.nextStartLine, end_line: endLine, max_chars }) };
  }
  return {};
}
