import { isInside } from "./policy.js";
import type { SandboxPolicy } from "./types.js";

/** bwrap options this machine's bubblewrap understands (found by the availability probe). */
export interface BwrapFeatures {
  /** `--unshare-user` works (unprivileged user namespaces, or root). */
  userNamespace: boolean;
  /** `--disable-userns` (bubblewrap ≥ 0.8): no nested user namespaces inside. */
  disableUserns: boolean;
}

export const FULL_FEATURES: BwrapFeatures = { userNamespace: true, disableUserns: true };

/** Isolation options shared by the real run and the availability probe. */
export function isolationArgs(features: BwrapFeatures, network: boolean): string[] {
  const args = ["--die-with-parent", "--new-session", "--unshare-all"];
  if (features.userNamespace) args.push("--unshare-user");
  if (features.userNamespace && features.disableUserns) args.push("--disable-userns");
  args.push("--cap-drop", "ALL");
  if (network) args.push("--share-net");
  return args;
}

interface Mount {
  path: string;
  args: string[];
}

/** Size caps of the sandbox's own tmpfs mounts, in bytes. */
export interface TmpfsLimits {
  tmpBytes: number;
}

const DEFAULT_TMPFS: TmpfsLimits = { tmpBytes: 1024 * 1024 * 1024 };

/**
 * The bwrap argument list for a policy: `bwrap <these> -- <file> <args…>`.
 * Binds are applied parent-first (sorted by depth), so a folder's protections
 * land on top of it: the workspace over the private /tmp (tests keep workspaces
 * there), .git/hooks over .git. The hiding mounts come LAST, after every bind,
 * whatever their depth: a writable bind of a folder that holds a hidden path (or
 * one inside it) can never re-expose it.
 * /tmp and /dev/shm are private and size-capped; /dev itself is read-only (device
 * nodes stay usable), so it cannot be filled either.
 */
export function bwrapArgs(policy: SandboxPolicy, command: { file: string; args: readonly string[] }, features: BwrapFeatures = FULL_FEATURES, limits: TmpfsLimits = DEFAULT_TMPFS): string[] {
  const size = String(Math.max(1, Math.floor(limits.tmpBytes)));
  const args = [...isolationArgs(features, policy.network), "--ro-bind", "/", "/", "--dev", "/dev", "--size", size, "--tmpfs", "/dev/shm", "--remount-ro", "/dev", "--proc", "/proc"];
  const binds: Mount[] = [{ path: "/tmp", args: ["--size", size, "--tmpfs", "/tmp"] }];
  binds.push({ path: policy.workspace, args: ["--bind", policy.workspace, policy.workspace] });
  for (const dir of policy.writable) binds.push({ path: dir, args: ["--bind", dir, dir] });
  for (const path of policy.visible) if (isInside(path, "/tmp")) binds.push({ path, args: ["--ro-bind", path, path] });
  for (const path of policy.readOnly) binds.push({ path, args: ["--ro-bind", path, path] });
  const hides: Mount[] = [];
  const remount: string[] = [];
  for (const hidden of policy.hidden) {
    if (isInside(hidden.path, "/tmp") && !writableCovers(policy, hidden.path)) continue; // the private /tmp already hides it
    if (policy.hidden.some((other) => other.kind === "dir" && other.path !== hidden.path && isInside(hidden.path, other.path))) continue;
    if (hidden.kind === "dir") {
      hides.push({ path: hidden.path, args: ["--perms", "0555", "--tmpfs", hidden.path] });
      remount.push("--remount-ro", hidden.path);
    } else {
      hides.push({ path: hidden.path, args: ["--ro-bind", "/dev/null", hidden.path] });
    }
  }
  for (const mount of [...byDepth(binds), ...byDepth(hides)]) args.push(...mount.args);
  args.push(...remount);
  args.push("--setenv", "TMPDIR", "/tmp", "--chdir", policy.cwd, "--", command.file, ...command.args);
  return args;
}

function byDepth(mounts: Mount[]): Mount[] {
  return [...mounts].sort((a, b) => depth(a.path) - depth(b.path));
}

function writableCovers(policy: SandboxPolicy, path: string): boolean {
  return isInside(path, policy.workspace) || policy.writable.some((dir) => isInside(path, dir));
}

function depth(path: string): number {
  return path === "/" ? 0 : path.split("/").length - 1;
}
