/** What an exec answer says about how its command ran (API contract §9). */
export type SandboxKind = "bubblewrap" | "seatbelt" | "none";

export interface SandboxInfo {
  active: boolean;
  kind: SandboxKind;
  /** Whether the command could reach the network (always true without a sandbox). */
  network: boolean;
  /** One line when the sandbox withheld something the workspace's files asked for (a git pointer that changed). */
  warning?: string;
}

export type SandboxMode = "auto" | "required" | "off";
export type NetworkMode = "ask" | "on" | "off" | "allowlist";

export interface SandboxSettings {
  mode: SandboxMode;
  network: NetworkMode;
  hide: string[];
  /** Size of the private /tmp and /dev/shm (each), in MiB. */
  tmp_size_mb: number;
  /** Processes (and threads) a command's sandbox may hold at once. */
  max_processes: number;
  /** Hosts reachable without `network: true` under network "allowlist" (extends the registries' hosts). */
  allow_hosts: string[];
  /** Loopback ports of this computer reachable through the proxy. */
  allow_local_ports: number[];
  /** One long-lived sandbox per workspace that commands join. */
  box: boolean;
  box_idle_minutes: number;
}

export const DEFAULT_SANDBOX_SETTINGS: SandboxSettings = {
  mode: "auto",
  network: "ask",
  hide: [],
  tmp_size_mb: 1024,
  max_processes: 2048,
  allow_hosts: [],
  allow_local_ports: [],
  box: true,
  box_idle_minutes: 30,
};

/** A path replaced by an empty mount: an empty folder for a folder, an empty file for a file. */
export interface HiddenPath {
  path: string;
  kind: "dir" | "file";
  /** The path as configured (before symlinks were resolved), for messages. */
  written?: string;
}

/**
 * The one description of a sandbox, shared by the Linux (bubblewrap) and
 * macOS (Seatbelt) back ends. Every path is real (symlinks resolved).
 */
export interface SandboxPolicy {
  /** The workspace: writable. */
  workspace: string;
  /** Other writable folders (a git worktree's git folders outside the workspace). */
  writable: string[];
  /** Read-only again inside a writable folder (.git/hooks, .git/config, a .git file …). */
  readOnly: string[];
  /** Must be visible (read-only) although under the private /tmp: the top folder of a repository above the workspace. */
  visible: string[];
  /** Replaced by empty mounts (secrets, the tool's config folder, sandbox.hide). */
  hidden: HiddenPath[];
  /** Files git would treat as code pointers that did not exist before the run; removed if a command plants them. */
  mustNotAppear: string[];
  network: boolean;
  /** Folder the command starts in (inside the workspace). */
  cwd: string;
  /** Git folders a pointer names now that the recorded layout does not allow: not writable (the answer says so). */
  untrustedGit?: string[];
}
