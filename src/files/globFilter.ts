import picomatch from "picomatch";

/**
 * A user glob, matched the way ripgrep's `--glob` matches (gitignore-style), so
 * list_files and both search engines filter the same way:
 * - matched against the workspace-relative path; a glob without `/` (other than
 *   a trailing one) matches the name at any depth (`*.ts`); one with `/` is
 *   anchored at the workspace root (`src/**\/*.ts`);
 * - a trailing `/` matches folders only; a leading `!` excludes instead.
 */
export interface GlobFilter {
  readonly source: string;
  readonly negated: boolean;
  matches(rel: string, isDir: boolean): boolean;
}

export function compileGlob(glob: string): GlobFilter {
  const negated = glob.startsWith("!");
  let body = negated ? glob.slice(1) : glob;
  const dirOnly = body.endsWith("/") && !body.endsWith("\\/");
  if (dirOnly) body = body.replace(/\/+$/, "");
  const anchored = body.includes("/");
  if (body.startsWith("/")) body = body.replace(/^\/+/, "");
  const test = picomatch(anchored ? body : `**/${body}`, { dot: true });
  return {
    source: glob,
    negated,
    matches: (rel, isDir) => (!dirOnly || isDir) && test(rel),
  };
}
