/**
 * Worker-thread side of the built-in engine: searches run here so a
 * pathological regex can be stopped by terminating the thread. The worker
 * stays alive between searches (see builtin.ts) and answers one request at a time.
 */
import { parentPort } from "node:worker_threads";
import { isActionError } from "../ground/errors.js";
import { builtinSearch } from "./builtinSearch.js";
import { PageCollector } from "./page.js";
import type { SearchRequest } from "./types.js";

parentPort!.on("message", ({ id, request, budget }: { id: number; request: SearchRequest; budget: number }) => {
  try {
    const collector = new PageCollector(request.limit, budget, request.after);
    builtinSearch(request, collector);
    parentPort!.postMessage({ id, ok: true, page: collector.page() });
  } catch (error) {
    parentPort!.postMessage(
      isActionError(error)
        ? { id, ok: false, code: error.code, message: error.message, hint: error.hint }
        : { id, ok: false, code: "INTERNAL", message: `built-in search failed: ${(error as Error)?.message ?? String(error)}` },
    );
  }
});
