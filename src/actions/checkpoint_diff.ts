import { z } from "zod";
import { storeFor } from "../checkpoints/hook.js";
import { diffCheckpoint } from "../checkpoints/service.js";
import { defineAction } from "./define.js";

export default defineAction({
  name: "checkpoint_diff",
  summary:
    "Show what changed from a checkpoint to the files now (or to another checkpoint `to`), as a unified diff plus a file list; optionally for one path. Read-only.",
  readOnly: true,
  consequential: false,
  destructive: false,
  input: z.object({
    id: z.string().min(1).describe("Checkpoint id from list_checkpoints or from the `checkpoint` field of an answer."),
    to: z.string().min(1).nullish().describe("Another checkpoint id to compare with (default: the files as they are now)."),
    path: z.string().min(1).nullish().describe("Only this file or folder (relative to the workspace)."),
  }),
  output: z.object({
    diff: z.string().describe("Unified diff from the checkpoint (a/) to the newer state (b/)."),
    truncated: z.boolean(),
    files: z.array(z.object({ path: z.string(), status: z.string().describe("added, deleted or modified, going from the checkpoint to the newer state.") })),
    files_total: z.number().int().min(0).optional(),
    to: z.string().optional().describe("What the checkpoint was compared with."),
  }),
  handler: async (input, ctx) => {
    const path = input.path ? ctx.resolvePath(input.path).relative : undefined;
    return diffCheckpoint(storeFor(ctx), input.id, input.to ?? undefined, path === "." ? undefined : path);
  },
});
