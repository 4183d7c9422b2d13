import { z } from "zod";
import { storeFor } from "../checkpoints/hook.js";
import { diffCheckpoint } from "../checkpoints/service.js";
import { nextCall, unlessDefault } from "../ground/nextCall.js";
import { decodeCursor, encodeCursor, queryKey } from "../files/cursor.js";
import { DEFAULT_CHARS, NextCallField, maxCharsInput } from "./answerBudget.js";
import { defineAction } from "./define.js";

/** Where a page stopped: a byte of the diff of one tree (the files as they were compared). */
const CursorPosition = z.object({ offset: z.number().int().min(1), tree: z.string().min(1) });

export default defineAction({
  name: "checkpoint_diff",
  summary:
    "Show what changed from a checkpoint to the files now (or to another checkpoint `to`), as a unified diff plus a file list; optionally for one path. Read-only. A long diff comes in parts: next_call continues.",
  readOnly: true,
  consequential: false,
  destructive: false,
  input: z.object({
    id: z.string().min(1).describe("Checkpoint id from list_checkpoints or from the `checkpoint` field of an answer."),
    to: z.string().min(1).nullish().describe("Another checkpoint id to compare with (default: the files as they are now)."),
    path: z.string().min(1).nullish().describe("Only this file or folder (relative to the workspace)."),
    max_chars: maxCharsInput("file list and diff"),
    cursor: z.string().nullish().describe("next_cursor of the previous answer, to read on in the same diff (same other arguments)."),
  }),
  output: z.object({
    diff: z.string().describe("Unified diff from the checkpoint (a/) to the newer state (b/)."),
    truncated: z.boolean().describe("True when the diff or the file list was cut: next_call shows more."),
    files: z.array(z.object({ path: z.string(), status: z.string().describe("added, deleted or modified, going from the checkpoint to the newer state.") })),
    files_total: z.number().int().min(0).optional(),
    to: z.string().optional().describe("What the checkpoint was compared with."),
    next_cursor: z.string().optional().describe("Set when the diff was cut: pass it as cursor (same other arguments) for the next part."),
    next_call: NextCallField,
  }),
  handler: async (input, ctx) => {
    const resolved = input.path ? ctx.resolvePath(input.path).relative : undefined;
    const path = resolved === "." ? undefined : resolved;
    const key = queryKey({ id: input.id, to: input.to ?? null, path: path ?? null });
    const after = input.cursor ? decodeCursor("checkpoint_diff", key, input.cursor, CursorPosition) : undefined;
    const answer = await diffCheckpoint(storeFor(ctx), input.id, input.to ?? undefined, path, { budget: input.max_chars, ...(after ? { after } : {}) });
    const { toTree, nextOffset, firstUnlisted, ...shown } = answer;
    const call = (args: { path?: string; cursor?: string }) =>
      nextCall("checkpoint_diff", { id: input.id, to: input.to ?? undefined, path: args.path, max_chars: unlessDefault(input.max_chars, DEFAULT_CHARS), cursor: args.cursor });
    if (nextOffset !== undefined) {
      const cursor = encodeCursor("checkpoint_diff", key, { offset: nextOffset, tree: toTree });
      return { ...shown, next_cursor: cursor, next_call: call({ path, cursor }) };
    }
    // Only the list was cut: the diff of a file it left out, asked for by path.
    return firstUnlisted !== undefined ? { ...shown, next_call: call({ path: firstUnlisted }) } : shown;
  },
});
