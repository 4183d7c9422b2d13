import { realpathSync } from "node:fs";
import { isAbsolute, relative, resolve, sep } from "node:path";

/**
 * The off-limits folders (the tool's config folder) that lie inside `root`,
 * as workspace-relative paths, so walks can prune them. resolveInside already
 * refuses them as a path; this keeps them out of listings and searches too.
 */
export function forbiddenInside(root: string, folders: readonly string[]): string[] {
  const inside: string[] = [];
  for (const folder of folders) {
    let real: string;
    try {
      real = realpathSync(folder);
    } catch {
      real = resolve(folder);
    }
    const rel = relative(root, real);
    if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) continue;
    inside.push(rel.split(sep).join("/"));
  }
  return inside;
}
