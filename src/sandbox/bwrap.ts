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

/**
 * The bwrap argument list for a policy: `bwrap <these> -- <file> <args…>`.
 * Mounts are applied parent-first (sorted by depth), so a folder's
 * protections land on top of it: the workspace over the private /tmp (tests
 * keep workspaces there), a hidden config folder inside the workspace over the
 * workspace, .git/hooks over .git.
 */
export function bwrapArgs(policy: SandboxPolicy, command: { file: string; args: readonly string[] }, features: BwrapFeatures = FULL_FEATURES): string[] {
  const args = [...isolationArgs(features, policy.network), "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"];
  const mounts: Mount[] = [{ path: "/tmp", args: ["--tmpfs", "/tmp"] }];
  mounts.push({ path: policy.workspace, args: ["--bind", policy.workspace, policy.workspace] });
  for (const dir of policy.writable) mounts.push({ path: dir, args: ["--bind", dir, dir] });
  for (const path of policy.visible) if (isInside(path, "/tmp")) mounts.push({ path, args: ["--ro-bind", path, path] });
  for (const path of policy.readOnly) mounts.push({ path, args: ["--ro-bind", path, path] });
  const remount: string[] = [];
  for (const hidden of policy.hidden) {
    if (isInside(hidden.path, "/tmp") && !writableCovers(policy, hidden.path)) continue; // the private /tmp already hides it
    if (policy.hidden.some((other) => other.kind === "dir" && other.path !== hidden.path && isInside(hidden.path, other.path))) continue;
    if (hidden.kind === "dir") {
      mounts.push({ path: hidden.path, args: ["--perms", "0555", "--tmpfs", hidden.path] });
      remount.push("--remount-ro", hidden.path);
    } else {
      mounts.push({ path: hidden.path, args: ["--ro-bind", "/dev/null", hidden.path] });
    }
  }
  mounts.sort((a, b) => depth(a.path) - depth(b.path));
  for (const mount of mounts) args.push(...mount.args);
  args.push(...remount);
  args.push("--setenv", "TMPDIR", "/tmp", "--chdir", policy.cwd, "--", command.file, ...command.args);
  return args;
}

function writableCovers(policy: SandboxPolicy, path: string): boolean {
  return isInside(path, policy.workspace) || policy.writable.some((dir) => isInside(path, dir));
}

function depth(path: string): number {
  return path === "/" ? 0 : path.split("/").length - 1;
}
