import { isAbsolute, relative, sep } from "node:path";
import { realOrResolved } from "../workspace/resolveInside.js";

/**
 * The off-limits folders (the tool's config folder) that lie inside `root`,
 * as workspace-relative paths, so walks can prune them. resolveInside already
 * refuses them as a path; this keeps them out of listings and searches too.
 */
export function forbiddenInside(root: string, folders: readonly string[]): string[] {
  const inside: string[] = [];
  for (const folder of folders) {
    const real = realOrResolved(folder);
    const rel = relative(root, real);
    if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) continue;
    inside.push(rel.split(sep).join("/"));
  }
  return inside;
}
