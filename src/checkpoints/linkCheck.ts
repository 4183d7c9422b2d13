import { lstatSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { hasGitPart } from "./store.js";

/**
 * Where a symbolic link that a restore is about to create would really lead.
 *
 * Normalising a link's target as text is wrong: in `A -> B/../outside` with
 * `B -> .`, the `..` applies to what `B` is, so A leads out of the workspace
 * although its text stays inside. So the target is walked component by
 * component the way the kernel does it, against a view of the tree: each
 * component that is a link is replaced by that link's target (at most
 * MAX_HOPS times, like the kernel's limit, so loops end), and `..` goes to the
 * parent of where the walk really is.
 *
 * Once a component does not exist (or is a file with more to come) the rest
 * cannot be resolved on disk; it is then followed as text, so a dangling link
 * is allowed only if its text stays inside from there. Protected places (any
 * `.git` component, the tool's config folder) are refused even when only
 * passed through, and so is a walk that leaves the workspace and comes back.
 */

export const MAX_HOPS = 40;

/** What a workspace-relative path is in the tree a link is checked against. */
export type Entry = { kind: "folder" } | { kind: "file" } | { kind: "missing" } | { kind: "link"; target: string };

export type LinkVerdict =
  | { inside: true; resolved: string; consulted: Set<string> }
  | { inside: false; why: "outside" | "protected" | "loop"; consulted: Set<string> };

/** Why a link was not restored, as the answer's `kept` names it. */
export const LINK_REASONS: Record<"outside" | "protected" | "loop", string> = {
  outside: "symbolic link pointing outside the workspace (not restored)",
  protected: "symbolic link pointing into .git or the tool's config folder (not restored)",
  loop: `symbolic link that loops or passes through more than ${MAX_HOPS} links (not restored)`,
};

/**
 * The tree as it is on disk, with `overlay` entries standing for what a
 * restore has written or will write. Disk answers are cached: the caller puts
 * every change it makes into the overlay.
 */
export class TreeView {
  readonly overlay = new Map<string, Entry>();
  private readonly disk = new Map<string, Entry>();

  constructor(private readonly root: string) {}

  /** Put `entry` at `path` and mark its folders as folders (a write through confined handles creates them). */
  set(path: string, entry: Entry): void {
    this.overlay.set(path, entry);
    for (let at = path.lastIndexOf("/"); at > 0; at = path.lastIndexOf("/", at - 1)) this.overlay.set(path.slice(0, at), { kind: "folder" });
  }

  /** Drop what the overlay says about `path` and everything read from disk (the disk changed in a way not tracked). */
  unset(path: string): void {
    this.overlay.delete(path);
    this.disk.clear();
  }

  entry(path: string): Entry {
    const planned = this.overlay.get(path);
    if (planned) return planned;
    // Below something the overlay made a non-folder (deleted, replaced by a file or a link): nothing.
    for (let at = path.lastIndexOf("/"); at > 0; at = path.lastIndexOf("/", at - 1)) {
      const above = this.overlay.get(path.slice(0, at));
      if (above) {
        if (above.kind !== "folder") return { kind: "missing" };
        break;
      }
    }
    return this.onDisk(path);
  }

  /** lstat, only below real folders: a path past a symlink on disk is not that path in the tree. */
  private onDisk(path: string): Entry {
    const cached = this.disk.get(path);
    if (cached) return cached;
    const at = path.lastIndexOf("/");
    let entry: Entry;
    if (at > 0 && this.onDisk(path.slice(0, at)).kind !== "folder") entry = { kind: "missing" };
    else {
      const real = join(this.root, ...path.split("/"));
      try {
        const st = lstatSync(real);
        if (st.isSymbolicLink()) entry = { kind: "link", target: readlinkSync(real) };
        else entry = st.isDirectory() ? { kind: "folder" } : { kind: "file" };
      } catch {
        entry = { kind: "missing" };
      }
    }
    this.disk.set(path, entry);
    return entry;
  }
}

/** Off-limits prefixes (the tool's config folder when it lies in the workspace), workspace-relative. */
export type Forbidden = readonly string[];

export function isForbidden(path: string, forbidden: Forbidden): boolean {
  return hasGitPart(path) || forbidden.some((f) => path === f || path.startsWith(`${f}/`));
}

/**
 * Resolve the link at `linkPath` (workspace-relative, its folders real) with
 * target `target` against `view`. `root` is the workspace's real path: an
 * absolute target counts only when it spells that path, then goes on from
 * the root like a relative one. `consulted` lists every path whose entry was
 * looked at, so a caller knows which later changes can alter the verdict.
 */
export function resolveLink(root: string, view: TreeView, linkPath: string, target: string, forbidden: Forbidden): LinkVerdict {
  const consulted = new Set<string>();
  const no = (why: "outside" | "protected" | "loop"): LinkVerdict => ({ inside: false, why, consulted });
  const rootParts = root.split("/").filter((p) => p !== "");
  let cur = linkPath.split("/").slice(0, -1);
  let queue: string[] = [];
  /** Begin walking `text` (a link target) from the current folder; false when it cannot stay inside. */
  const enter = (text: string): boolean => {
    if (text === "" || text.includes("\0")) return false;
    const parts = text.split("/").filter((p) => p !== "" && p !== ".");
    if (text.startsWith("/")) {
      // Only through the workspace's own real path: any other spelling (a link elsewhere, a `..`) is outside.
      if (parts.length < rootParts.length || rootParts.some((p, i) => parts[i] !== p)) return false;
      cur = [];
      queue = [...parts.slice(rootParts.length), ...queue];
    } else queue = [...parts, ...queue];
    return true;
  };
  if (!enter(target)) return no("outside");
  let hops = 0;
  let asText = false;
  while (queue.length > 0) {
    const part = queue.shift()!;
    if (part === "..") {
      if (cur.length === 0) return no("outside");
      cur.pop();
      continue;
    }
    const next = [...cur, part];
    const path = next.join("/");
    if (isForbidden(path, forbidden)) return no("protected");
    if (asText) {
      cur = next;
      continue;
    }
    consulted.add(path);
    const entry = view.entry(path);
    if (entry.kind === "link") {
      if (++hops > MAX_HOPS) return no("loop");
      if (!enter(entry.target)) return no("outside");
      continue;
    }
    // Missing, or a file with more to come: the rest is followed as text.
    if (entry.kind === "missing" || (entry.kind === "file" && queue.length > 0)) asText = true;
    cur = next;
  }
  return { inside: true, resolved: cur.join("/"), consulted };
}

export interface LinkToCheck {
  path: string;
  target: string;
}

/**
 * The links of `links` that can all exist together in `view` with every one
 * of them leading inside: each is set into the view, then the ones that lead
 * elsewhere are taken out again (`restore` puts back what their path holds
 * without them), and the rest are checked again until none is taken out. (A
 * walk that passes through a refused link fails the same way, so one round
 * is expected; the loop keeps the answer right without relying on that.)
 */
export function linksThatHold(
  root: string,
  view: TreeView,
  links: readonly LinkToCheck[],
  forbidden: Forbidden,
  restore: (path: string) => void,
): { held: LinkToCheck[]; refused: Array<{ path: string; why: "outside" | "protected" | "loop" }> } {
  for (const link of links) view.set(link.path, { kind: "link", target: link.target });
  let pending = [...links];
  const refused: Array<{ path: string; why: "outside" | "protected" | "loop" }> = [];
  for (;;) {
    const failing: LinkToCheck[] = [];
    for (const link of pending) {
      const verdict = resolveLink(root, view, link.path, link.target, forbidden);
      if (!verdict.inside) {
        failing.push(link);
        refused.push({ path: link.path, why: verdict.why });
      }
    }
    if (failing.length === 0) return { held: pending, refused };
    for (const link of failing) restore(link.path);
    pending = pending.filter((l) => !failing.includes(l));
  }
}
