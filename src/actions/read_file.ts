import { closeSync } from "node:fs";
import { z } from "zod";
import { ActionError } from "../core/errors.js";
import { LIMITS } from "../core/limits.js";
import { openFileForRead } from "../files/openInside.js";
import { readRange } from "../files/readRange.js";
import { defineAction } from "./define.js";

/** Give up hashing a giant file this long before the answer deadline. */
const READ_MARGIN_MS = 5000;

export default defineAction({
  name: "read_file",
  operationId: "readFile",
  summary:
    "Read a UTF-8 text file of the workspace, whole or a 1-based inclusive line range. Returns sha256 of the whole file (pass it to write_file as expected_sha256). Long files come in parts: continue at next_start_line.",
  readOnly: true,
  consequential: false,
  destructive: false,
  input: z.object({
    path: z.string().describe("File path relative to the workspace root."),
    start_line: z.number().int().optional().describe("First line to return, 1-based (default 1)."),
    end_line: z.number().int().optional().describe("Last line to return, inclusive (default: end of file)."),
  }),
  output: z.object({
    path: z.string(),
    content: z.string().describe("The lines exactly as stored (line breaks, CRLF and a UTF-8 BOM included)."),
    start_line: z.number().int(),
    end_line: z.number().int().describe("Last line included in content."),
    total_lines: z.number().int().describe("Lines in the whole file."),
    size: z.number().int().describe("Size of the whole file in bytes."),
    sha256: z.string().describe("SHA-256 (hex) of the whole file's bytes."),
    truncated: z.boolean().describe("True when the requested range did not fit in one answer: continue at next_start_line."),
    next_start_line: z.number().int().optional(),
    note: z.string().optional(),
  }),
  // No example: success needs an existing file; the smoke client creates one first.
  handler: async (input, ctx) => {
    const workspace = ctx.workspace();
    const target = ctx.resolvePath(input.path);
    ctx.audit.paths = [target.relative];
    const start = Math.max(1, input.start_line ?? 1);
    const end = input.end_line ?? null;
    if (end !== null && end < start) {
      throw new ActionError("BAD_REQUEST", `end_line (${end}) is before start_line (${start})`);
    }
    const { fd } = openFileForRead(workspace.root, target);
    try {
      const result = await readRange(fd, {
        start,
        end,
        budget: LIMITS.payloadChars,
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
        ...(result.note ? { note: result.note } : {}),
      };
    } finally {
      closeSync(fd);
    }
  },
});
