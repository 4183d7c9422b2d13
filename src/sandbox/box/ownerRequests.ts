import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, watch, type FSWatcher } from "node:fs";
import { join } from "node:path";
import type { Closable, ResourceBag } from "../../ground/resources.js";
import { writeFileAtomicSync } from "../../fs/atomic.js";
import { runningServer } from "../../server/instanceLock.js";
import { boxes, type BoxSummary } from "./boxes.js";
import { folderSize } from "./cacheSize.js";

/**
 * How the owner's CLI (`sandbox status`, `sandbox reset`) reaches the boxes of the
 * running server: a request file in a private folder of the config folder (0700,
 * which no command can see: the sandbox hides the config folder), answered by a
 * file beside it. Only someone who can write the config folder (the owner) can ask.
 */

export type OwnerRequest = { action: "status" } | { action: "reset"; workspace?: string };
/** A box as `sandbox status` shows it: with the size of its tool caches (a lower bound when `cache_bytes_partial`). */
export type BoxStatus = BoxSummary & { cache_bytes: number | null; cache_bytes_partial?: boolean };
export type OwnerAnswer = { boxes: BoxStatus[] } | { ended: string[] } | { error: string };

const REQUEST = /^[a-f0-9]{24}\.req\.json$/;
const STALE_MS = 60_000;

export function requestFolder(configHome: string): string {
  return join(configHome, "box-requests");
}

function ensureFolder(configHome: string): string {
  const folder = requestFolder(configHome);
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  if (process.platform !== "win32") chmodSync(folder, 0o700);
  return folder;
}

/** The server's side: answers requests for as long as the server runs. */
class OwnerRequests implements Closable {
  private readonly folder: string;
  private watcher: FSWatcher | null = null;
  private readonly timer: NodeJS.Timeout;
  private busy = false;

  constructor(
    configHome: string,
    private readonly resources: ResourceBag,
    private readonly idleMinutes: () => number,
  ) {
    this.folder = ensureFolder(configHome);
    try {
      this.watcher = watch(this.folder, () => void this.scan());
      this.watcher.on("error", () => undefined);
      this.watcher.unref(); // never what keeps a process alive (a serve whose port was taken must exit)
    } catch {
      this.watcher = null; // the interval still finds requests
    }
    this.timer = setInterval(() => void this.scan(), 1_000);
    this.timer.unref();
  }

  private async scan(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (const name of readdirSync(this.folder)) {
        const file = join(this.folder, name);
        if (!REQUEST.test(name)) {
          if (name.endsWith(".ans.json") && Date.now() - statSync(file, { throwIfNoEntry: false })!.mtimeMs > STALE_MS) rmSync(file, { force: true });
          continue;
        }
        let request: OwnerRequest;
        try {
          request = JSON.parse(readFileSync(file, "utf8")) as OwnerRequest;
        } catch {
          continue; // still being written
        } finally {
          rmSync(file, { force: true });
        }
        const answer = await this.answer(request);
        writeFileAtomicSync(join(this.folder, name.replace(".req.json", ".ans.json")), `${JSON.stringify(answer)}\n`, 0o600);
      }
    } catch {
      // the folder went away: the next scan recreates nothing; the server keeps running
    } finally {
      this.busy = false;
    }
  }

  private async answer(request: OwnerRequest): Promise<OwnerAnswer> {
    const table = boxes(this.resources, this.idleMinutes);
    try {
      if (request?.action === "status") {
        const boxes = await table.status();
        return {
          boxes: await Promise.all(
            boxes.map(async (box) => {
              if (!box.cache_home) return { ...box, cache_bytes: null };
              const size = await folderSize(box.cache_home);
              return { ...box, cache_bytes: size.bytes, ...(size.capped ? { cache_bytes_partial: true } : {}) };
            }),
          ),
        };
      }
      if (request?.action === "reset") return { ended: await table.reset(typeof request.workspace === "string" ? request.workspace : undefined) };
      return { error: "unknown request" };
    } catch (error) {
      return { error: (error as Error).message };
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.watcher?.close();
  }
}

export function serveOwnerRequests(resources: ResourceBag, configHome: string, idleMinutes: () => number): void {
  resources.get("box-owner-requests", () => new OwnerRequests(configHome, resources, idleMinutes));
}

/**
 * The CLI's side: asks the running server and waits for its answer (null: no server
 * runs for this config folder, or it did not answer in time).
 */
export async function askServer(configHome: string, request: OwnerRequest, timeoutMs = 8_000): Promise<OwnerAnswer | null> {
  if (!runningServer(configHome)) return null;
  const folder = ensureFolder(configHome);
  const name = randomBytes(12).toString("hex");
  const answerFile = join(folder, `${name}.ans.json`);
  writeFileAtomicSync(join(folder, `${name}.req.json`), JSON.stringify(request), 0o600);
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      const answer = JSON.parse(readFileSync(answerFile, "utf8")) as OwnerAnswer;
      rmSync(answerFile, { force: true });
      return answer;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  rmSync(join(folder, `${name}.req.json`), { force: true });
  return null;
}
