import { relative, sep } from "node:path";
import { ActionError } from "../core/errors.js";
import type { InsidePath } from "./resolveInside.js";

/**
 * Writes never go into a `.git` folder (as named, or where symlinks lead): its
 * config and hooks name programs that git — and so the user's next commit or a
 * read-only status call — would run. Reads stay allowed.
 */
export function refuseGitInternals(root: string, target: InsidePath): void {
  for (const path of [target.relative, relative(root, target.real).split(sep).join("/")]) {
    if (path.split("/").includes(".git")) {
      throw new ActionError("OUTSIDE_WORKSPACE", "writing inside a .git folder is not allowed", {
        hint: "Change the repository with git commands through exec_command instead.",
      });
    }
  }
}
