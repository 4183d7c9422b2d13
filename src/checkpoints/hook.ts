import type { ActionContext } from "../core/context.js";
import { ActionError, isActionError } from "../ground/errors.js";
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

/** What an action keeps for itself after its checkpoint, before its answer is due. */
const ACTION_RESERVE_MS = 5_000;

/**
 * How long an action waits for its checkpoint (ms): CHATGPT_CODEX_CHECKPOINT_WAIT_MS, default 5 s,
 * and never so long that the action could not answer by its deadline (ChatGPT gives up after 45 s).
 */
export function checkpointWaitMs(deadline: number, now = Date.now()): number {
  const value = Number(process.env.CHATGPT_CODEX_CHECKPOINT_WAIT_MS);
  const wanted = Number.isFinite(value) && value > 0 ? value : 5_000;
  return Math.max(0, Math.min(wanted, deadline - now - ACTION_RESERVE_MS));
}

/** Trees and records still being written after their command was answered. */
const finishingSet = new Set<Promise<unknown>>();

/** Checkpoints still being taken after their action was answered, by store folder. */
const pending = new Map<string, { id: string | null; done: Promise<unknown> }>();

/**
 * Take a checkpoint, run the handler, and put the checkpoint's id in the
 * answer as `checkpoint`. A call refused with a 4xx error (policy block,
 * conflict, bad path, patch that does not apply) changed nothing by contract,
 * so its record is dropped again: the history shows only actions that ran.
 * After an internal error (5xx) the record stays, marked failed, because the
 * action may have changed some files before it failed.
 *
 * An action waits at most checkpointWaitMs() for its checkpoint (the first
 * checkpoint of a big workspace without git, thousands of new files). Past
 * that it is answered 409 with `details.checkpoint_pending: true` and does not
 * run: running it while the checkpoint still reads the files could store the
 * action's own changes as the state before it. The checkpoint goes on in the
 * background (its id is in the answer; it is restorable once taken) and the
 * same call, made again, runs as soon as it is done.
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
  let reserved: string | null = null;
  /** Set once: "run" when the checkpoint was taken in time, "late" when the action was answered without it. */
  const decided: { verdict: "run" | "late" | null } = { verdict: null };
  let checkpointTaken!: () => void;
  const taken_ = new Promise<void>((resolve) => (checkpointTaken = resolve));
  const body = async (): Promise<unknown> => {
    if (decided.verdict === "late") return undefined; // answered while waiting for the lock: take nothing
    const slot = store.reserve();
    reserved = slot.id;
    const isLate = () => (decided.verdict as string | null) === "late";
    if (spec.lock === "snapshot") {
      // The command may start as soon as the files are read into the index: the tree and the record are
      // written meanwhile (they read only the index), still under the lock, so nothing sees them half done.
      const listed = await store.checkpointListed(actionName, summary, slot.seq);
      // A command can write the user's .git, and the objects a first checkpoint borrows from there are
      // hard links to the same files: the store copies them before the command starts, not after, so
      // no command can change what an undo would write back.
      if (store.isBorrowing()) {
        await listed.done;
        await store.ownObjects();
      }
      if (isLate()) {
        store.markNotRun((await listed.done).id);
        return undefined;
      }
      decided.verdict = "run";
      checkpointTaken();
      ctx.audit.detail = { ...ctx.audit.detail, checkpoint: slot.id };
      record = await listed.done;
      taken.set(ctx, record);
      return undefined;
    }
    record = await store.checkpoint(actionName, summary, slot.seq);
    if ((decided.verdict as string | null) === "late") {
      store.markNotRun(record.id);
      return undefined;
    }
    decided.verdict = "run";
    checkpointTaken();
    taken.set(ctx, record);
    ctx.audit.detail = { ...ctx.audit.detail, checkpoint: record.id };
    const result = await handler();
    store.enforceRetention();
    return result;
  };
  let output: unknown;
  try {
    const work = store.locked(body);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), checkpointWaitMs(ctx.deadline))));
    const first = await Promise.race([taken_.then(() => "taken" as const), work.then(() => "done" as const, () => "done" as const), late]);
    clearTimeout(timer);
    if (first === "late" && decided.verdict === null) {
      decided.verdict = "late";
      const id = reserved ?? pending.get(store.paths.dir)?.id ?? null;
      const done = work.catch(() => undefined).finally(() => {
        if (pending.get(store.paths.dir)?.done === done) pending.delete(store.paths.dir);
        scheduleMaintenance(store);
      });
      if (reserved !== null || !pending.has(store.paths.dir)) pending.set(store.paths.dir, { id, done });
      ctx.audit.detail = { ...ctx.audit.detail, checkpoint_pending: true, ...(id ? { checkpoint: id } : {}) };
      throw new ActionError(
        "CONFLICT",
        id
          ? `the checkpoint before this action is still being taken (a large workspace seen for the first time, or many new files), so the action was not run yet; checkpoint ${id} will hold the files as they are now`
          : "the checkpoint store of this workspace is busy (another checkpoint or its housekeeping), so the action was not run yet",
        {
          hint: "Call the same action again in a few seconds: it runs as soon as the checkpoint is done.",
          details: { checkpoint: id, checkpoint_pending: true },
        },
      );
    }
    if (spec.lock === "snapshot" && first === "taken") {
      try {
        output = await handler();
      } catch (error) {
        await work.catch(() => undefined); // the record exists once the tree is written: then it is dropped or marked below
        throw error;
      }
      // The tree and the record are finished under the lock (a list or restore waits for them); the answer does not wait.
      const id = reserved;
      const finishing = work
        .then(async () => {
          if (store.overRetention()) await store.locked(async () => store.enforceRetention());
        })
        .catch((error: unknown) => {
          process.stderr.write(`[checkpoints] checkpoint ${id} could not be completed: ${String((error as Error)?.message ?? error)}\n`);
          ctx.auditLater({ outcome: "error", duration_ms: 0, detail: { event: "checkpoint_failed", checkpoint: id ?? "" } });
        })
        .finally(() => finishingSet.delete(finishing));
      finishingSet.add(finishing);
    } else {
      output = await work;
      if (spec.lock === "snapshot") {
        output = await handler();
        if (store.overRetention()) await store.locked(async () => store.enforceRetention());
      }
    }
  } catch (error) {
    if (record && decided.verdict === "run") {
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
  if (output && typeof output === "object" && !Array.isArray(output)) {
    const id = record?.id ?? (decided.verdict === "run" ? reserved : null);
    if (id) return { ...(output as Record<string, unknown>), checkpoint: id };
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
      .ownObjectsInBackground()
      .then(() => store.locked(() => store.maintain()))
      .catch((error) => process.stderr.write(`[checkpoints] housekeeping failed: ${String((error as Error)?.message ?? error)}\n`))
      .finally(() => maintaining.delete(store.paths.dir));
  });
}

/** Wait for housekeeping to finish (tests and the CLI, which exits right after). */
export async function maintenanceIdle(timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while ((maintaining.size > 0 || pending.size > 0 || finishingSet.size > 0) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
}
