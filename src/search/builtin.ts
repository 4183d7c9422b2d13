import { Worker } from "node:worker_threads";
import { ActionError, type ErrorCode } from "../ground/errors.js";
import type { Closable } from "../ground/resources.js";
import { buildMatcher } from "./matcher.js";
import type { SearchPage, SearchRequest } from "./types.js";

type WorkerReply = { id: number } & ({ ok: true; page: SearchPage } | { ok: false; code: ErrorCode; message: string; hint?: string });

/** Idle workers kept for the next search (starting one costs tens of milliseconds). */
const MAX_IDLE = 2;

/**
 * Runs built-in searches in worker threads. Each search stops by itself at
 * its soft deadline between lines; `hardDeadline` covers a single regex that
 * never returns (catastrophic backtracking), which only terminating the
 * thread ends. Concurrent searches each get a thread; idle ones are reused.
 * Lives in the server's ResourceBag, which terminates them on shutdown.
 */
export class BuiltinSearchWorkers implements Closable {
  private readonly idle: Worker[] = [];
  private nextId = 1;

  run(request: SearchRequest, budget: number, hardDeadline: number): Promise<SearchPage> {
    // Compile once here so an invalid regex is a quick 400 without a thread.
    buildMatcher(request.pattern, request.regex, request.caseSensitive);
    const worker = this.idle.pop() ?? this.spawn();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (reuse: boolean, action: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        worker.off("message", onMessage);
        worker.off("error", onError);
        worker.off("exit", onExit);
        if (reuse && this.idle.length < MAX_IDLE) this.idle.push(worker);
        else void worker.terminate();
        action();
      };
      const onMessage = (reply: WorkerReply) => {
        if (reply.id !== id) return;
        finish(true, () => (reply.ok ? resolve(reply.page) : reject(new ActionError(reply.code, reply.message, { hint: reply.hint }))));
      };
      const onError = (error: Error) => finish(false, () => reject(new ActionError("INTERNAL", `built-in search failed: ${error.message}`)));
      const onExit = () => finish(false, () => reject(new ActionError("INTERNAL", "built-in search stopped unexpectedly")));
      const timer = setTimeout(
        () =>
          finish(false, () =>
            reject(
              new ActionError("BAD_REQUEST", "the search took too long and was stopped; the regex may backtrack catastrophically", {
                hint: "Simplify the pattern (avoid nested quantifiers such as (a+)+), narrow path or glob, or search literally.",
              }),
            ),
          ),
        Math.max(0, hardDeadline - Date.now()),
      );
      worker.on("message", onMessage);
      worker.once("error", onError);
      worker.once("exit", onExit);
      worker.postMessage({ id, request, budget });
    });
  }

  close(): Promise<void> {
    const workers = this.idle.splice(0);
    return Promise.all(workers.map((w) => w.terminate())).then(() => undefined);
  }

  private spawn(): Worker {
    const worker = new Worker(new URL("./builtinWorker.js", import.meta.url));
    worker.unref(); // an idle search thread must not keep the process alive
    return worker;
  }
}
