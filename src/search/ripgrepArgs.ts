import { SKIPPED_DIRS } from "../files/skipRules.js";
import type { IgnoreLevel } from "../files/ignoreRules.js";
import type { SearchRequest } from "./types.js";

/** Escape glob metacharacters in a literal path piece. */
export function escapeGlob(text: string): string {
  return text.replace(/[\\*?[\]{}!]/g, "\\$&");
}

/**
 * rg's command line, chosen to see exactly the files the built-in engine sees
 * (files/ignoreRules.ts has the semantics): `.gitignore` and `.rgignore`
 * inside the workspace only, also outside git repositories; no `.ignore`,
 * global or `.git/info/exclude` rules; the `.gitignore` files above the searched folder
 * arrive rebased in one `--ignore-file` (rg matches those relative to its
 * working folder, the workspace root). `--encoding none` keeps BOMs and
 * UTF-16 bytes as they are, like the built-in engine. `sorted` adds
 * `--sort path`: results in our order, so reading can stop at a full page.
 */
export function ripgrepArgs(request: SearchRequest, ignoreFile: string | null, sorted: boolean): string[] {
  const args = [
    "--json",
    "--no-config",
    "--no-messages",
    ...(sorted ? ["--sort", "path"] : []),
    "--no-require-git",
    "--no-ignore-global",
    "--no-ignore-exclude",
    "--no-ignore-dot",
    "--no-ignore-parent",
    "--encoding",
    "none",
    request.caseSensitive ? "--case-sensitive" : "--ignore-case",
  ];
  if (ignoreFile) args.push("--ignore-file", ignoreFile);
  if (!request.regex) args.push("--fixed-strings");
  if (request.contextLines > 0) args.push("--context", String(request.contextLines));
  // Later globs win in rg: the user's first, then the folders that are always skipped.
  if (request.glob) args.push("--glob", request.glob);
  for (const name of SKIPPED_DIRS) args.push("--glob", `!${escapeGlob(name)}/`);
  for (const rel of request.forbidden) args.push("--glob", `!/${escapeGlob(rel)}/`);
  args.push("--", request.pattern, request.start);
  return args;
}

/**
 * Rewrite the rules of `.gitignore` files above the searched folder so they
 * mean the same when matched from the workspace root: a pattern of `dir/.gitignore`
 * with a slash is anchored at `dir`, one without matches at any depth below it.
 */
export function rebasedRules(levels: readonly IgnoreLevel[]): string {
  const out: string[] = [];
  for (const level of levels) {
    // rg gives `--ignore-file` rules the lowest precedence; ancestors' `.rgignore` rules are left to the
    // result check against the walker's own rules (PathVisibility), which enforces them.
    if (level.kind !== "gitignore") continue;
    for (const raw of level.text.split(/\r?\n/)) {
      const line = stripTrailingSpaces(raw);
      if (line === "" || line.startsWith("#")) continue;
      if (level.dir === ".") {
        out.push(line);
        continue;
      }
      const negated = line.startsWith("!");
      let body = negated ? line.slice(1) : line;
      const dirOnly = body.endsWith("/");
      if (dirOnly) body = body.replace(/\/+$/, "");
      if (body === "") continue;
      const anchored = body.includes("/");
      body = body.replace(/^\/+/, "");
      const base = escapeGlob(level.dir);
      out.push(`${negated ? "!" : ""}/${base}/${anchored ? "" : "**/"}${body}${dirOnly ? "/" : ""}`);
    }
  }
  return out.length > 0 ? `${out.join("\n")}\n` : "";
}

/** Git drops trailing spaces unless the last one is escaped with a backslash. */
function stripTrailingSpaces(line: string): string {
  let end = line.length;
  while (end > 0 && line[end - 1] === " " && line[end - 2] !== "\\") end--;
  return line.slice(0, end);
}
