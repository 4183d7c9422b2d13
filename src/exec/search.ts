import { Worker } from "node:worker_threads";
import { ActionError } from "../ground/errors.js";
import type { SearchRequest, SearchResult } from "./searchWorker.js";

/** Longest pattern accepted (the schema refuses longer ones). */
export const MAX_PATTERN_CHARS = 500;
/** A scan stops by itself after this long and answers what it found (next_start_line goes on). */
const SOFT_MS = 4_000;
/** A single regex test that runs past this is a catastrophic pattern: the thread is stopped. */
const HARD_MS = 8_000;

/** Compile once here so a malformed pattern is a clear 400 before any thread starts. */
export function checkPattern(pattern: string): void {
  try {
    new RegExp(pattern, "i");
  } catch (error) {
    throw new ActionError("BAD_REQUEST", `pattern is not a valid regular expression: ${(error as Error).message}`, {
      hint: 'Use JavaScript regex syntax, e.g. "not ok|Error:|FAIL"; escape ( ) [ ] . * + ? with a backslash to match them literally.',
    });
  }
}

/**
 * Search a job's log in a worker thread: bounded in time (a soft limit that
 * answers partial results, a hard limit that terminates the thread).
 */
export function searchLog(request: Omit<SearchRequest, "softMs">, timeLeftMs: number): Promise<SearchResult> {
  const softMs = Math.max(200, Math.min(SOFT_MS, timeLeftMs - 1_000));
  const hardMs = Math.max(softMs + 500, Math.min(HARD_MS, timeLeftMs));
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./searchWorker.js", import.meta.url), { workerData: { ...request, softMs } });
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      reject(
        new ActionError("BAD_REQUEST", `the pattern took too long to run (over ${Math.round(hardMs / 1000)} s on the output) and was stopped`, {
          hint: "Use a simpler pattern: plain words and alternatives (not ok|Error:), no nested repetition like (a+)+ or (.*)*.",
        }),
      );
    }, hardMs);
    worker.once("message", (result: SearchResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
      void worker.terminate();
    });
    worker.once("error", (error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new ActionError("BAD_REQUEST", `the pattern could not be run: ${error.message}`));
    });
  });
}
