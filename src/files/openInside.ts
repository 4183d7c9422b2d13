import { closeSync, constants, fstatSync, openSync, type Stats } from "node:fs";
import { relative, sep } from "node:path";
import { ActionError } from "../ground/errors.js";
import type { InsidePath } from "../workspace/resolveInside.js";
import { ConfinedDir, changedDuringRequest } from "./confinedFs.js";

const READ_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/** The resolved path's components below the root ([] for the root itself). */
export function partsBelow(root: string, target: InsidePath): string[] {
  const rel = relative(root, target.real);
  return rel === "" ? [] : rel.split(sep);
}

/** The resolved path split into folders below the root and the final name. */
export function splitInside(root: string, target: Pick<InsidePath, "real">): { parts: string[]; name: string } {
  const rel = relative(root, target.real);
  if (rel === "") {
    throw new ActionError("BAD_REQUEST", "the path names the workspace folder itself, not a file", {
      hint: "Use list_files to see the workspace's files.",
    });
  }
  const parts = rel.split(sep);
  const name = parts.pop()!;
  return { parts, name };
}

export interface OpenedFile {
  fd: number;
  stat: Stats;
}

/**
 * Open `name` in `dir` for reading without following a symlink; null when it
 * does not exist. Non-blocking so a FIFO cannot hang the request; the caller
 * decides what to do with folders and other non-files (see fstat).
 */
export function openEntry(dir: ConfinedDir, name: string): OpenedFile | null {
  let fd: number;
  try {
    fd = openSync(dir.entry(name), READ_FLAGS);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return null;
    if (code === "ELOOP") throw changedDuringRequest();
    if (code === "EACCES" || code === "EPERM") throw new ActionError("BAD_REQUEST", "permission denied");
    throw error;
  }
  return { fd, stat: fstatSync(fd) };
}

/** Open an existing regular file inside the workspace for reading (404, or 400 for a folder). */
export function openFileForRead(root: string, target: InsidePath): OpenedFile {
  const { parts, name } = splitInside(root, target);
  const dir = ConfinedDir.open(root, parts, false);
  let opened: OpenedFile | null;
  try {
    opened = openEntry(dir, name);
  } finally {
    dir.close();
  }
  if (!opened) throw new ActionError("NOT_FOUND", `"${target.relative}" does not exist in the workspace`, { hint: "Check the name with list_files." });
  if (opened.stat.isDirectory()) {
    closeSync(opened.fd);
    throw new ActionError("BAD_REQUEST", `"${target.relative}" is a folder`, { hint: "Use list_files to see what it contains." });
  }
  if (!opened.stat.isFile()) {
    closeSync(opened.fd);
    throw new ActionError("BAD_REQUEST", `"${target.relative}" is not a regular file`);
  }
  return opened;
}
