import { existsSync, lstatSync, realpathSync, statSync } from "node:fs";
import { isAbsolute, join, resolve, sep } from "node:path";
import { reconcile, type GitLayout, type Guarded } from "./facts/gitLayout.js";
import { gitProtection } from "./git.js";
import type { HiddenPath, SandboxPolicy } from "./types.js";
import { realOr } from "../ground/realPath.js";

/** Secrets every sandbox hides (API contract §9), relative to the home folder. */
export const SECRET_PATHS: readonly string[] = [
  "~/.ssh",
  "~/.aws",
  "~/.gnupg",
  "~/.config/gh",
  "~/.config/gcloud",
  "~/.kube",
  "~/.docker/config.json",
  "~/.git-credentials",
  "~/.netrc",
  "~/.npmrc",
  "~/.pypirc",
];

/**
 * System paths hidden as well: password hashes (readable by uid 0 even without
 * capabilities) and sockets of services that act for the user or for root
 * (a read-only mount does not stop connect(2) on a Unix socket): the Docker and
 * container daemons, D-Bus, and the per-user runtime folder (ssh-agent,
 * gpg-agent, user bus).
 */
export const SYSTEM_HIDDEN_PATHS: readonly string[] = [
  "/etc/shadow",
  "/etc/gshadow",
  "/run/user",
  "/run/docker.sock",
  "/var/run/docker.sock",
  "/run/containerd",
  "/run/podman",
  "/run/dbus",
  "/var/run/dbus",
  "/run/systemd/private",
];

export interface PolicyInput {
  /** Real path of the workspace root. */
  workspace: string;
  /** Real folder the command starts in. */
  cwd: string;
  home: string;
  /** The tool's config folder (token, audit log). */
  configHome: string;
  /** sandbox.hide from the config: absolute, `~/…`, or relative to the workspace. */
  hide: readonly string[];
  network: boolean;
  env?: NodeJS.ProcessEnv;
  /**
   * The git layout recorded at the owner's last act (server start, registration); null when
   * none: then no git folder outside the workspace is writable. Never read from the workspace now.
   */
  layout: GitLayout | null;
}

/** Build the one sandbox description for a command (cheap: a few stat calls). */
export function buildPolicy(input: PolicyInput): SandboxPolicy {
  const hidden = new Map<string, HiddenPath>();
  for (const candidate of hiddenCandidates(input)) {
    for (const entry of hiddenEntries(candidate)) hidden.set(entry.path, entry);
  }
  const { protection: git, untrusted } = reconcile(gitProtection(input.workspace), input.layout, guardedPaths(input, [...hidden.keys()]));
  for (const dir of git.emptyDirs) hidden.set(dir, { path: dir, kind: "dir" });
  return {
    ...(untrusted.length > 0 ? { untrustedGit: untrusted } : {}),
    workspace: input.workspace,
    writable: git.writable.filter((dir) => dir !== input.workspace),
    readOnly: git.readOnly,
    visible: git.visible,
    hidden: [...hidden.values()],
    mustNotAppear: git.mustNotAppear,
    network: input.network,
    cwd: input.cwd,
  };
}

/** Every path a sandbox hides, as configured (symlinks not yet resolved). */
function hiddenCandidates(input: Pick<PolicyInput, "home" | "workspace" | "configHome" | "hide" | "env">): string[] {
  const candidates = [
    ...SECRET_PATHS.map((p) => expand(p, input.home, input.workspace)),
    ...SYSTEM_HIDDEN_PATHS,
    input.configHome,
    ...input.hide.map((p) => expand(p, input.home, input.workspace)),
  ];
  const agent = (input.env ?? process.env).SSH_AUTH_SOCK;
  if (agent && isAbsolute(agent)) candidates.push(agent);
  return candidates;
}

/** What no git folder may be made writable over (see forbiddenWritable), as real paths. */
export function guardedPaths(input: Pick<PolicyInput, "home" | "workspace" | "configHome" | "hide" | "env">, hiddenReal?: string[]): Guarded {
  const candidates = hiddenCandidates(input);
  return {
    home: realOr(input.home),
    configHome: realOr(input.configHome),
    workspace: input.workspace,
    hidden: [...new Set([...candidates, ...candidates.map(realOr), ...(hiddenReal ?? [])])],
  };
}

/** `~/x` → home/x; relative → inside the workspace; absolute stays. */
export function expand(path: string, home: string, workspace: string): string {
  if (path === "~") return home;
  if (path.startsWith("~/")) return join(home, path.slice(2));
  return isAbsolute(path) ? path : resolve(workspace, path);
}

/**
 * The mounts that hide one path. A missing path needs none (the rest of the
 * disk is read-only, so a command cannot create it). A symlink hides its
 * target (a home folder that is a symlink, a dotfile linked into a dotfiles
 * repository); the link's own path leads there too.
 */
function hiddenEntries(path: string): HiddenPath[] {
  let link;
  try {
    link = lstatSync(path);
  } catch {
    return [];
  }
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return []; // a dangling link points nowhere readable
  }
  const stat = link.isSymbolicLink() ? statSync(real) : link;
  const kind = stat.isDirectory() ? "dir" : "file";
  // The path as written may differ from the real one (a symlinked home): one mount on the real path hides both.
  return [{ path: real, kind, ...(real !== path ? { written: path } : {}) }];
}

/** True when `path` is `dir` or inside it. */
export function isInside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

export function exists(path: string): boolean {
  return existsSync(path);
}
