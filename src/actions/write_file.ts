import { z } from "zod";
import { writeInside } from "../files/writeInside.js";
import { defineAction } from "./define.js";

export default defineAction({
  name: "write_file",
  summary:
    "Create or replace a whole text file in the workspace, atomically; missing folders are created and an existing file keeps its permissions. Pass expected_sha256 (from read_file) so a file changed meanwhile is not overwritten (409). Safe to retry: same content gives unchanged: true.",
  readOnly: false,
  consequential: true,
  destructive: true,
  input: z.object({
    path: z.string().describe("File path relative to the workspace root."),
    content: z.string().describe("The complete new content of the file (UTF-8). For small edits of big files prefer apply_patch."),
    expected_sha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, "must be 64 hex characters")
      .nullish()
      .describe("sha256 of the file as you last read it; the write is refused with 409 CONFLICT if the file differs now (or does not exist)."),
    create_only: z.boolean().default(false).describe("Refuse with 409 CONFLICT if the file already exists."),
  }),
  output: z.object({
    path: z.string(),
    size: z.number().int().nonnegative().describe("Bytes written."),
    sha256: z.string().describe("SHA-256 (hex) of the new content."),
    created: z.boolean().describe("True when the file did not exist before."),
    previous_sha256: z.string().optional().describe("sha256 of the replaced file."),
    unchanged: z
      .boolean()
      .optional()
      .describe(
        "true: the file already held exactly this content, so nothing was written (e.g. a retry of a write that had succeeded). Reported as success even when expected_sha256 or create_only would have refused a real change.",
      ),
  }),
  example: { path: "smoke.txt", content: "hi\n" },
  checkpoint: { summary: (input) => `write ${input.path}`, lock: "action" },
  handler: async (input, ctx) => {
    const workspace = ctx.workspace();
    const target = ctx.resolveWritePath(input.path);
    ctx.audit.paths = [target.relative];
    const outcome = await writeInside(workspace.root, target, Buffer.from(input.content, "utf8"), {
      expectedSha256: input.expected_sha256 ?? null,
      createOnly: input.create_only,
    });
    if (outcome.unchanged) ctx.audit.detail = { unchanged: true };
    return {
      path: target.relative,
      size: outcome.size,
      sha256: outcome.sha256,
      created: outcome.created,
      ...(outcome.previousSha256 ? { previous_sha256: outcome.previousSha256 } : {}),
      ...(outcome.unchanged ? { unchanged: true } : {}),
    };
  },
});
