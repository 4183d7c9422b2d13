import type { ActionContext } from "../core/context.js";
import { isActionError } from "../ground/errors.js";
import { CheckpointStore, DEFAULT_SETTINGS, type CheckpointRecord, type CheckpointSettings } from "./store.js";

/**
 * How an action asks for a checkpoint (the `checkpoint` field of its
 * definition). runAction calls runWithCheckpoint for such actions.
 */
export interface CheckpointSpec<I> {
  /** The history line for this call (clipped to 300 characters), or null: no checkpoint (e.g. a dry run). */
  summary: (input: I) => string | null;
  /**
   * "action": the workspace lock is held from the snapshot until the handler
   * is done (file writes: no other checkpoint can see half of it).
   * "snapshot": held only for the snapshot (exec_command: its job keeps
   * running after the answer, so holding the lock would block every write).
   */
  lock: "action" | "snapshot";
}

/** The checkpoint taken for a request, for handlers that need it (restore_checkpoint). */
const taken = new WeakMap<ActionContext, CheckpointRecord>();

export function checkpointOf(ctx: ActionContext): CheckpointRecord | undefined {
  return taken.get(ctx);
}

/** The checkpoint settings of the current config (defaults when the key is absent). */
export function checkpointSettings(config: unknown): CheckpointSettings {
  const raw = (config as { checkpoints?: Partial<CheckpointSettings> }).checkpoints;
  return { ...DEFAULT_SETTINGS, ...(raw ?? {}) };
}

/** The store of the active workspace. */
export function storeFor(ctx: ActionContext): CheckpointStore {
  return new CheckpointStore(ctx.store.home, ctx.workspace().root, checkpointSettings(ctx.config));
}

/**
 * Take a checkpoint, run the handler, and put the checkpoint's id in the
 * answer as `checkpoint`. A call refused with a 4xx error (policy block,
 * conflict, bad path, patch that does not apply) changed nothing by contract,
 * so its record is dropped again: the history shows only actions that ran.
 * After an internal error (5xx) the record stays, marked failed, because the
 * action may have changed some files before it failed.
 */
export async function runWithCheckpoint<I>(
  spec: CheckpointSpec<I>,
  actionName: string,
  input: I,
  ctx: ActionContext,
  handler: () => Promise<unknown>,
): Promise<unknown> {
  const settings = checkpointSettings(ctx.config);
  const summary = settings.enabled ? spec.summary(input) : null;
  if (summary === null) return handler();
  const store = new CheckpointStore(ctx.store.home, ctx.workspace().root, settings);
  let record: CheckpointRecord | undefined;
  const body = async (): Promise<unknown> => {
    record = await store.checkpoint(actionName, summary);
    taken.set(ctx, record);
    ctx.audit.detail = { ...ctx.audit.detail, checkpoint: record.id };
    if (spec.lock === "snapshot") return undefined;
    const result = await handler();
    store.enforceRetention();
    return result;
  };
  let output: unknown;
  try {
    output = await store.locked(body);
    if (spec.lock === "snapshot") {
      output = await handler();
      if (store.overRetention()) await store.locked(async () => store.enforceRetention());
    }
  } catch (error) {
    if (record) {
      const id = record.id;
      const refused = isActionError(error) && error.status < 500;
      await store
        .locked(async () => (refused ? store.drop(id) : store.markFailed(id)))
        .catch(() => undefined);
      // A refused action leaves no checkpoint behind, so its audit line names none.
      if (refused && ctx.audit.detail?.checkpoint === id) {
        const { checkpoint: _dropped, ...rest } = ctx.audit.detail;
        ctx.audit.detail = rest;
      }
    }
    throw error;
  }
  scheduleMaintenance(store);
  if (output && typeof output === "object" && !Array.isArray(output) && record) {
    return { ...(output as Record<string, unknown>), checkpoint: record.id };
  }
  return output;
}

const maintaining = new Set<string>();

/** Housekeeping (refs of pruned states, repack, prune) after the answer, under the lock, one at a time per store. */
function scheduleMaintenance(store: CheckpointStore): void {
  if (maintaining.has(store.paths.dir) || !store.needsMaintenance()) return;
  maintaining.add(store.paths.dir);
  setImmediate(() => {
    store
      .locked(() => store.maintain())
      .catch((error) => process.stderr.write(`[checkpoints] housekeeping failed: ${String((error as Error)?.message ?? error)}\n`))
      .finally(() => maintaining.delete(store.paths.dir));
  });
}

/** Wait for housekeeping to finish (tests and the CLI, which exits right after). */
export async function maintenanceIdle(timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (maintaining.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
}
