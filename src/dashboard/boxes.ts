/**
 * The workspace boxes panel (issue 20): each live box with its processes, /tmp and
 * cache home, and Reset. Built from the server's box table without creating it: a
 * server whose commands never started a box has none, and the page says so.
 */
import type { AuditLog } from "../audit/log.js";
import type { ConfigStore } from "../config/store.js";
import type { ResourceBag } from "../ground/resources.js";
import { BOXES, type Boxes } from "../sandbox/box/boxes.js";
import { folderSize, type FolderSize } from "../sandbox/box/cacheSize.js";
import type { BoxesProvider, BoxView } from "./sources.js";
import { realOr } from "../ground/realPath.js";

/** How long a measured size is shown before it is measured again (only while a page asks). */
const CACHE_MEASURE_EVERY_MS = 30_000;

/** Sizes of cache homes, measured in the background and kept a while (a page asks every second). */
class CacheSizes {
  private readonly known = new Map<string, { size: FolderSize | null; at: number; measuring: boolean }>();

  /** The last size measured (null before the first), starting a new measurement when it is old. */
  get(path: string): FolderSize | null {
    const now = Date.now();
    let entry = this.known.get(path);
    if (!entry) {
      entry = { size: null, at: 0, measuring: false };
      this.known.set(path, entry);
    }
    if (!entry.measuring && now - entry.at >= CACHE_MEASURE_EVERY_MS) {
      const measured = entry;
      measured.measuring = true;
      void folderSize(path)
        .then((size) => (measured.size = size))
        .catch(() => undefined)
        .finally(() => {
          measured.at = Date.now();
          measured.measuring = false;
        });
    }
    return entry.size;
  }

  /** Forget the folders no live box uses. */
  keepOnly(paths: Set<string>): void {
    for (const path of this.known.keys()) if (!paths.has(path)) this.known.delete(path);
  }
}

/** The server's box table if a command has started one; never created here. */
export function existingBoxes(resources: ResourceBag): Boxes | null {
  const absent = new Error("no box table");
  try {
    return resources.get<Boxes>(BOXES, () => {
      throw absent;
    });
  } catch (error) {
    if (error === absent) return null;
    throw error;
  }
}


export function boxesSource(parts: { store: ConfigStore; resources: ResourceBag; audit: AuditLog }): BoxesProvider {
  const sizes = new CacheSizes();
  /** Registered name of a workspace's real path (boxes are keyed by it). */
  const nameOf = (root: string): string | null => parts.store.current().workspaces.find((w) => w.path === root || realOr(w.path) === root)?.name ?? null;

  return {
    list: async () => {
      const table = existingBoxes(parts.resources);
      const live = table ? await table.status() : [];
      sizes.keepOnly(new Set(live.flatMap((box) => (box.cache_home ? [box.cache_home] : []))));
      return live
        .map(
          (box): BoxView => ({
            id: box.id,
            workspace: box.workspace,
            workspace_name: nameOf(box.workspace),
            started_at: box.started_at,
            last_used_at: box.last_used_at,
            processes: box.processes.map(({ pid, job, command }) => ({ pid, job, command })),
            tmp_bytes: box.tmp_bytes,
            cache_home: box.cache_home,
            cache: box.cache_home ? sizes.get(box.cache_home) : null,
          }),
        )
        .sort((a, b) => a.workspace.localeCompare(b.workspace));
    },
    reset: async (id) => {
      const table = existingBoxes(parts.resources);
      if (!table) return false;
      const found = (await table.status()).find((box) => box.id === id);
      // The workspace may have a newer box by now: only the one the page showed is ended.
      if (!found || table.box(found.workspace)?.id !== id) return false;
      const ended = await table.reset(found.workspace);
      parts.audit.write({
        time: new Date().toISOString(),
        action: "sandbox_reset",
        workspace: nameOf(found.workspace),
        outcome: "ok",
        duration_ms: 0,
        face: "dashboard",
        client: "owner",
        detail: { box: id, processes: found.processes.length, ended: ended.join(",") },
      });
      return ended.includes(id);
    },
  };
}
