import { lstatSync, statSync, type Stats } from "node:fs";
import { ActionError } from "../ground/errors.js";
import type { InsidePath } from "../workspace/resolveInside.js";

/** Stat a confined path (its resolved location); 404 NOT_FOUND naming the workspace-relative path. */
export function statInside(target: InsidePath): Stats {
  try {
    return statSync(target.real);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") {
      throw new ActionError("NOT_FOUND", `"${target.relative}" does not exist in the workspace`, {
        hint: "Check the name with list_files; paths are relative to the workspace root.",
      });
    }
    throw new ActionError("BAD_REQUEST", `cannot access "${target.relative}" (${code ?? "error"})`);
  }
}

/** Whether the path as named is itself a symlink (list_files reports it as one). */
export function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
