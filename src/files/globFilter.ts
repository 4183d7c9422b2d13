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
  const test = literalTest(anchored ? body : `**/${body}`) ?? picomatch(anchored ? body : `**/${body}`, { dot: true });
  return {
    source: glob,
    negated,
    matches: (rel, isDir) => (!dirOnly || isDir) && test(rel),
  };
}

/** Characters that are plain in every glob syntax picomatch knows (no wildcards, classes, braces, extglobs, escapes). */
const PLAIN_PART = /^[A-Za-z0-9_](?:[A-Za-z0-9_.\- ]*[A-Za-z0-9_])?$/;

/**
 * A faster test, with picomatch's answers, for the globs that name paths
 * without wildcards: `a/b/name` (that path only) and `**\/name` (that name
 * at any depth, what an unanchored `name` becomes). Walk paths are plain
 * (no `.`, `..` or empty parts), where the two agree; null for anything else.
 */
function literalTest(pattern: string): ((rel: string) => boolean) | null {
  const parts = pattern.split("/");
  const anyDepth = parts[0] === "**" && parts.length === 2;
  const plain = anyDepth ? parts.slice(1) : parts;
  if (!plain.every((part) => PLAIN_PART.test(part))) return null;
  if (!anyDepth) return (rel) => rel === pattern;
  const name = plain[0]!;
  const tail = `/${name}`;
  return (rel) => rel === name || rel.endsWith(tail);
}
