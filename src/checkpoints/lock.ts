import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { ActionError } from "../ground/errors.js";

/**
 * One writer at a time per workspace: a promise chain inside this process,
 * plus a lock file in the store folder against another process (the CLI's
 * `undo` while `serve` runs). A lock file whose process is gone, or older than
 * STALE_MS, is taken over. Waiting is bounded.
 */
const chains = new Map<string, Promise<unknown>>();
const STALE_MS = 10 * 60_000;
const WAIT_MS = 30_000;

export async function withStoreLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const previous = chains.get(dir) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
  const tail = previous.then(() => mine);
  chains.set(dir, tail);
  try {
    await previous.catch(() => undefined);
    const file = await acquireFile(dir);
    try {
      return await fn();
    } finally {
      removeQuietly(file);
    }
  } finally {
    release();
    if (chains.get(dir) === tail) chains.delete(dir);
  }
}

async function acquireFile(dir: string): Promise<string> {
  const file = join(dir, "lock");
  const until = Date.now() + WAIT_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, "wx", 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return file;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT") throw new ActionError("INTERNAL", "the checkpoint store folder is missing");
      if (code !== "EEXIST") throw error;
    }
    if (isStale(file)) {
      removeQuietly(file);
      continue;
    }
    if (Date.now() > until) {
      throw new ActionError("CONFLICT", "another process is taking or restoring a checkpoint of this workspace; try again in a moment", {
        hint: "If no chatgpt-codex process is running, the lock file in the checkpoint store is stale and is removed after 10 minutes.",
      });
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(200, 10 * (attempt + 1))));
  }
}

function isStale(file: string): boolean {
  try {
    const pid = Number(readFileSync(file, "utf8").trim());
    if (Date.now() - statSync(file).mtimeMs > STALE_MS) return true;
    if (!Number.isInteger(pid) || pid <= 0) return false;
    if (pid === process.pid) return true; // the in-process chain holds ours: this one is left from an earlier process
    try {
      process.kill(pid, 0);
      return false;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === "ESRCH";
    }
  } catch {
    return false;
  }
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // gone
  }
}
