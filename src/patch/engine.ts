import { isActionError } from "../ground/errors.js";
import { looksAlreadyApplied } from "./alreadyApplied.js";
import { commitPlan } from "./committer.js";
import { patchFailed } from "./errors.js";
import { parsePatchText } from "./parse.js";
import { planPatch, type FileSummary, type Resolve } from "./planner.js";
import type { ParsedPatch } from "./types.js";

export type { FileSummary, Resolve } from "./planner.js";
export type { ParsedPatch } from "./types.js";
export { parsePatchText } from "./parse.js";

export interface ApplyOptions {
  /** Real path of the workspace root: every write goes through folders opened from it. */
  root: string;
  resolve: Resolve;
  dryRun: boolean;
  signal?: AbortSignal;
}

export interface ApplyResult {
  format: "codex" | "unified";
  files: FileSummary[];
  /** Files actually written or removed (0 on a dry run, or when the patch changes nothing). */
  written: number;
  totals: { added: number; removed: number };
}

/**
 * The whole of apply_patch: parse (400 on bad syntax), compute every file's
 * new content in memory (409 PATCH_FAILED if any chunk does not fit), then
 * write all of it or none of it.
 */
export function applyPatch(patch: string, options: ApplyOptions): ApplyResult {
  return applyParsed(parsePatchText(patch), options);
}

/** The same, for a patch already parsed (the action parses first so the audit log names the paths even on failure). */
export function applyParsed(parsed: ParsedPatch, options: ApplyOptions): ApplyResult {
  let plan;
  try {
    plan = planPatch(parsed, options.resolve, options.signal);
  } catch (error) {
    // A retry of a patch that went through the first time: say so instead of a bare failure.
    if (isActionError(error) && error.code === "PATCH_FAILED" && looksAlreadyApplied(parsed, options.resolve, options.signal)) {
      throw alreadyApplied(error.details);
    }
    throw error;
  }
  if (plan.alreadyApplied) throw alreadyApplied({ files: plan.files.map((f) => f.path) });
  if (!options.dryRun) commitPlan(options.root, plan.changes);
  return {
    format: parsed.format,
    files: plan.files,
    written: options.dryRun ? 0 : plan.changes.length,
    totals: plan.totals,
  };
}

function alreadyApplied(details: unknown): ReturnType<typeof patchFailed> {
  return patchFailed(
    "the patch looks already applied: the files already hold its result (its '+' lines are there and its '-' lines are not; added files exist with that content, deleted files are gone). " +
      "This happens when a patch is sent again after its first answer was lost.",
    { ...(details && typeof details === "object" ? details : {}), already_applied: true },
    "Do not send it again. Check the result with read_file or git_diff; if something is still missing, send a patch for just that part.",
  );
}
