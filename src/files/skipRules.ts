/**
 * Folders that hold version-control internals, installed dependencies or tool
 * caches: never listed or searched (unless the caller names one as the path).
 * Build output such as `dist/` is the user's content and is not in this list;
 * `.gitignore` decides about it. Kept short on purpose: each name here hides
 * data from the model in every workspace.
 */
export const SKIPPED_DIRS: ReadonlySet<string> = new Set([
  ".git",
  ".hg",
  ".svn",
  "node_modules",
  "__pycache__",
  ".venv",
  "venv",
  ".tox",
  ".mypy_cache",
  ".pytest_cache",
  // The tool's own config folder, when a workspace happens to contain one.
  ".chatgpt-codex",
]);

/** Largest `.gitignore` we read; bigger ones are treated as absent rather than slowing every walk. */
export const MAX_IGNORE_FILE_BYTES = 1024 * 1024;
