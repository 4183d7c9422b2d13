/**
 * The one order every listing and search result uses: a depth-first walk with
 * each folder's entries sorted by name in UTF-8 byte order, a folder's contents
 * right after the folder itself. It is the order `rg --sort path` produces, so
 * both search engines and list_files agree, and it lets a cursor skip whole
 * subtrees that come before it.
 */

/** Byte-order comparison of two names (UTF-16 order differs only for characters beyond the BMP). */
export function compareNames(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x < 0xd800 && y < 0xd800) return x - y;
    return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
  }
  return a.length - b.length;
}

/**
 * Compare two `/`-separated relative paths in tree order: component by
 * component, which is plain order with `/` below every other character.
 */
export function comparePaths(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x === 0x2f) return -1;
    if (y === 0x2f) return 1;
    if (x < 0xd800 && y < 0xd800) return x - y;
    return compareByComponents(a, b);
  }
  return a.length - b.length;
}

function compareByComponents(a: string, b: string): number {
  const left = a.split("/");
  const right = b.split("/");
  const length = Math.min(left.length, right.length);
  for (let i = 0; i < length; i++) {
    const order = compareNames(left[i]!, right[i]!);
    if (order !== 0) return order;
  }
  return left.length - right.length;
}

/** Whether `path` is `ancestor` itself or lies below it. */
export function isSameOrBelow(path: string, ancestor: string): boolean {
  return ancestor === "." || path === ancestor || path.startsWith(`${ancestor}/`);
}

/** Join a relative folder ("." for the root) and a name. */
export function joinRel(dir: string, name: string): string {
  return dir === "." || dir === "" ? name : `${dir}/${name}`;
}
