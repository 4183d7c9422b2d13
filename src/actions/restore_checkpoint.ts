import { z } from "zod";
import { checkpointOf, storeFor } from "../checkpoints/hook.js";
import { normalizePaths } from "../checkpoints/restore.js";
import { restoreFromTree } from "../checkpoints/service.js";
import { defineAction } from "./define.js";

export default defineAction({
  name: "restore_checkpoint",
  summary:
    "Put the workspace's files back as they were at a checkpoint (contents, deleted and new files, moves, executable bit, symlinks), all or only `paths`. Takes a checkpoint first, so a restore can be undone. dry_run lists the changes without making them.",
  readOnly: false,
  consequential: true,
  destructive: true,
  input: z.object({
    id: z.string().min(1).describe("Checkpoint id (from list_checkpoints or the `checkpoint` field of an answer)."),
    paths: z.array(z.string().min(1)).max(1000).nullish().describe("Only these files or folders (relative to the workspace); default: everything."),
    dry_run: z.boolean().default(false).describe("true: answer what would be restored and deleted, change nothing."),
  }),
  output: z.object({
    restored: z.array(z.string()).describe("Files written back (created or changed)."),
    deleted: z.array(z.string()).describe("Files removed (they did not exist at the checkpoint)."),
    kept: z.array(z.object({ path: z.string(), reason: z.string() })).optional().describe("Paths left as they are, and why (never stored, protected, a symbolic link that would lead outside the workspace or into .git or the config folder)."),
    restored_total: z.number().int().min(0).optional(),
    deleted_total: z.number().int().min(0).optional(),
    truncated: z.boolean().optional(),
    dry_run: z.boolean().optional(),
  }),
  checkpoint: {
    summary: (input) => (input.dry_run ? null : `restore ${input.id}${input.paths?.length ? ` (${input.paths.join(", ")})` : ""}`),
    lock: "action",
  },
  handler: async (input, ctx) => {
    const store = storeFor(ctx);
    const paths = normalizePaths(input.paths ?? undefined, (p) => ctx.resolvePath(p));
    const target = store.find(input.id);
    ctx.audit.paths = paths.length ? paths : ["."];
    const before = checkpointOf(ctx);
    if (before) return restoreFromTree(store, target, before.tree, paths, input.dry_run);
    // dry run (or checkpoints turned off): a snapshot that is not recorded
    const answer = await store.locked(async () => restoreFromTree(store, target, (await store.snapshot()).tree, paths, input.dry_run));
    return { ...answer, checkpoint: null };
  },
});
