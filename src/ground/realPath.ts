import { realpathSync } from "node:fs";

/** The path with every symlink resolved, or the path as given when it does not resolve (missing, unreadable). */
export function realOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
