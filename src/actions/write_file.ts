import { z } from "zod";
import { LIMITS } from "../ground/limits.js";
import { shapeChange } from "../files/textShape.js";
import { writeInside } from "../files/writeInside.js";
import { defineAction } from "./define.js";

const MAX_CONTENT = LIMITS.inputStringChars;

/**
 * How to write a file longer than one request takes: said in the schema and again in the 400 for a too-long content.
 * Digits are grouped by hand: toLocaleString at load time pages ICU's locale data into every server (megabytes).
 */
const IN_PARTS = `A file longer than ${String(MAX_CONTENT).replace(/\B(?=(\d{3})+$)/g, ",")} characters is written in parts: the first part as usual, then each next part with mode "append" and expected_sha256 = the sha256 of the previous answer.`;

export const LineEndings = z.enum(["lf", "crlf", "mixed"]);

export default defineAction({
  name: "write_file",
  summary:
    'Create or replace a whole text file in the workspace, atomically; mode "append" adds to its end (files over 100,000 characters are written in parts). Folders are created, permissions kept. Pass expected_sha256 (from read_file) so a file changed meanwhile is not overwritten (409). Safe to retry.',
  readOnly: false,
  consequential: true,
  destructive: true,
  input: z.object({
    path: z.string().describe("File path relative to the workspace root."),
    content: z
      .string()
      .max(MAX_CONTENT)
      .describe(`The complete new content of the file (UTF-8), or with mode "append" the part to add at its end. For small edits of big files prefer apply_patch. ${IN_PARTS}`),
    expected_sha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, "must be 64 hex characters")
      .nullish()
      .describe("sha256 of the file as you last read it; the write is refused with 409 CONFLICT if the file differs now (or does not exist)."),
    create_only: z.boolean().default(false).describe("Refuse with 409 CONFLICT if the file already exists."),
    mode: z
      .enum(["replace", "append"])
      .default("replace")
      .describe(
        '"replace" (default): content becomes the whole file. "append": content is added at the end of the file (created if missing), still atomically; pass expected_sha256 so a part is neither added to a changed file nor added twice when retried.',
      ),
  }),
  output: z.object({
    path: z.string(),
    size: z.number().int().nonnegative().describe("Size of the file after the write, in bytes."),
    sha256: z.string().describe("SHA-256 (hex) of the whole file after the write (the expected_sha256 of a next part)."),
    created: z.boolean().describe("True when the file did not exist before."),
    previous_sha256: z.string().optional().describe("sha256 of the replaced file."),
    unchanged: z
      .boolean()
      .optional()
      .describe(
        "true: the file already held exactly this content, so nothing was written (e.g. a retry of a write that had succeeded). Reported as success even when expected_sha256 or create_only would have refused a real change.",
      ),
    line_endings: z
      .object({ before: LineEndings, after: LineEndings })
      .optional()
      .describe("Set when the write changed the file's line endings (lf, crlf or mixed), e.g. LF content written over a CRLF file. If that was not intended, write again with the file's own endings."),
    final_newline: z
      .enum(["added", "removed"])
      .optional()
      .describe("Set when the write added or removed the newline at the end of the file's last line."),
  }),
  example: { path: "smoke.txt", content: "hi\n" },
  tooLongHint: IN_PARTS,
  checkpoint: { summary: (input) => `${input.mode === "append" ? "append to" : "write"} ${input.path}`, lock: "action" },
  handler: async (input, ctx) => {
    const workspace = ctx.workspace();
    const target = ctx.resolveWritePath(input.path);
    ctx.audit.paths = [target.relative];
    const outcome = await writeInside(workspace.root, target, Buffer.from(input.content, "utf8"), {
      expectedSha256: input.expected_sha256 ?? null,
      createOnly: input.create_only,
      append: input.mode === "append",
    });
    const change = outcome.unchanged ? {} : shapeChange(outcome.shapes.before, outcome.shapes.after);
    const detail = {
      ...(input.mode === "append" ? { mode: "append" } : {}),
      ...(outcome.unchanged ? { unchanged: true } : {}),
      ...(change.line_endings ? { line_endings: `${change.line_endings.before}→${change.line_endings.after}` } : {}),
      ...(change.final_newline ? { final_newline: change.final_newline } : {}),
    };
    if (Object.keys(detail).length > 0) ctx.audit.detail = detail;
    return {
      path: target.relative,
      size: outcome.size,
      sha256: outcome.sha256,
      created: outcome.created,
      ...(outcome.previousSha256 ? { previous_sha256: outcome.previousSha256 } : {}),
      ...(outcome.unchanged ? { unchanged: true } : {}),
      ...change,
    };
  },
});
