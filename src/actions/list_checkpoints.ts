import { z } from "zod";
import { clamp } from "../ground/limits.js";
import { storeFor } from "../checkpoints/hook.js";
import { listCheckpoints } from "../checkpoints/service.js";
import { defineAction } from "./define.js";

const MAX_LIMIT = 200;

export default defineAction({
  name: "list_checkpoints",
  summary:
    "List the workspace's checkpoints, newest first: the files as they were just before each write_file, apply_patch, exec_command or restore. Use an id with checkpoint_diff to see what changed since, or restore_checkpoint to undo.",
  readOnly: true,
  consequential: false,
  destructive: false,
  input: z.object({
    limit: z.number().int().min(1).default(20).describe(`How many checkpoints to return (default 20, max ${MAX_LIMIT}; larger values are clamped).`),
    cursor: z.string().nullish().describe("next_cursor of a previous answer, to see older checkpoints."),
  }),
  output: z.object({
    checkpoints: z.array(
      z.object({
        id: z.string(),
        created_at: z.string().describe("ISO time the checkpoint was taken (just before the action)."),
        action: z.string().describe("The action it was taken for: write_file, apply_patch, exec_command or restore_checkpoint."),
        summary: z.string().describe("What the action was about: the path, the patch's files or the command."),
        files_changed: z.number().int().min(0).nullable().describe("Files that differ between this checkpoint and the next one (for the newest: the files now)."),
        skipped: z.array(z.object({ path: z.string(), reason: z.string(), size: z.number().int().min(0).optional() })).optional().describe("Files this checkpoint did not store (too large, nested repository, unreadable)."),
        skipped_total: z.number().int().min(0).optional(),
        failed: z.boolean().optional().describe("The action failed unexpectedly after the checkpoint."),
      }),
    ),
    next_cursor: z.string().optional(),
    not_stored: z
      .array(z.string())
      .optional()
      .describe("Folders and files the workspace's .gitignore excludes (node_modules/, build output …): no checkpoint stores them and no restore touches them (first 50)."),
  }),
  example: { limit: 5 },
  handler: async (input, ctx) => {
    const store = storeFor(ctx);
    const answer = await listCheckpoints(store, clamp(input.limit, 1, MAX_LIMIT), input.cursor ?? undefined);
    // Only on the first page: what .gitignore keeps out of every checkpoint.
    if (input.cursor) return answer;
    const ignored = await store.ignoredPaths(50).catch(() => []);
    return ignored.length > 0 ? { ...answer, not_stored: ignored } : answer;
  },
});
