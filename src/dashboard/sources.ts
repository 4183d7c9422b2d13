/**
 * What the dashboard shows and controls, as small providers. The core ones
 * (jobs, access, workspaces, feed, approvals, public fields) are built from the
 * running server in coreSources.ts; checkpoints, connector grants, the
 * sandbox and its workspace boxes are optional: a panel whose provider is absent says "not available".
 * Shapes follow the API contract's answer fields (§10, §11, §9).
 */
import type { AuditRecord } from "../audit/log.js";
import type { HeldCommand } from "../approvals/queue.js";

export interface JobSummary {
  id: string;
  command: string;
  status: string;
  started_at: string;
  duration_ms: number;
  exit_code: number | null;
  /** The last lines of both streams in the order they were printed (what the command is doing now). */
  output: string;
  /** The workspace box the command ran in; null for a command of its own (no box). */
  box: { id: string; started_at: string } | null;
  /** Processes the command left running in its box (listed until they end; Kill stops them). */
  background: { pid: number; command: string }[];
  /** Where the command's connections went through the box's proxy, and what was refused; null: none. */
  network: NetworkView | null;
}

/**
 * A job's traffic through the egress proxy, one row per host and port (the proxy keeps
 * a record per connection; the page sums them). `at`: the latest connection or refusal.
 */
export interface NetworkView {
  connections: { host: string; port: number; count: number; bytes_up: number; bytes_down: number; at: string }[];
  denied: { host: string; port: number; reason: string; count: number; at: string }[];
  /** The proxy keeps only a job's most recent records: older ones are not in these sums. */
  partial: boolean;
}

export interface JobsProvider {
  /** Running jobs first, then the most recent finished ones. */
  list(): JobSummary[];
  /** Stop the job and every process it started; false when no such job. */
  kill(id: string): Promise<boolean>;
}

export interface AccessView {
  /** `suspended`: the config file broke in a way that may take access away; on until it loads again. */
  state: "active" | "expired" | "revoked" | "suspended";
  active: boolean;
  expires_at: string | null;
  reason: string | null;
}

export interface AccessProvider {
  state(): AccessView;
  /** Pause access now (the token is kept; Renew resumes). */
  revoke(): AccessView;
  /** Allow access again; ttlMinutes null = no expiry. */
  renew(ttlMinutes: number | null): AccessView;
}

export interface WorkspacesView {
  active: string | null;
  workspaces: { name: string; path: string; active: boolean }[];
}

export interface WorkspacesProvider {
  list(): WorkspacesView;
  /** Throws with a message when the name is not registered. */
  switchTo(name: string): WorkspacesView;
}

export interface FeedProvider {
  /** The latest records, oldest first. */
  recent(limit: number): AuditRecord[];
  subscribe(listener: (record: AuditRecord) => void): () => void;
}

export interface ApprovalsProvider {
  mode(): "chatgpt" | "local";
  pending(): HeldCommand[];
  approve(id: string): { ok: boolean; message?: string };
  deny(id: string): { ok: boolean; message?: string };
  subscribe(listener: (held: HeldCommand) => void): () => void;
}

/**
 * The config file while it does not load (the page's banner): the server keeps the last
 * good config, with access paused when `paused_because` is set (src/config/broken.ts).
 */
export interface ConfigProblemView {
  file: string;
  kind: "missing" | "invalid" | "unreadable";
  /** The whole problem in English, naming the file and the line or fields. */
  message: string;
  /** For a file that is not JSON: where the parser stopped (1-based). */
  line: number | null;
  column: number | null;
  /** For a file that is JSON but not a valid config: `path: problem` for each field. */
  fields: string[];
  /** The parser's or the system's words (English). */
  detail: string;
  since: string;
  access_paused: boolean;
  paused_because: "gone" | "unreadable" | "token" | "access" | "workspaces" | null;
}

export interface ConfigHealthProvider {
  /** Null while the file loads. */
  problem(): ConfigProblemView | null;
}

export interface PublicFields {
  public_base_url: string | null;
  schema_url: string;
  privacy_url: string;
  mcp_url: string;
  /** The fields as GPT Builder names them, without the token. */
  auth: string;
  /** Runnable as printed: a tunnel beside this running server, or a restart with one. */
  tunnel_command: string;
  /** The tunnel this process runs (`up --tunnel …`): its kind and whether its program is alive now (null: no process to watch); null without one. */
  tunnel: { kind: string; url: string; alive: boolean | null } | null;
  restart_command: string;
}

export interface PublicProvider {
  fields(): PublicFields;
  /** Only on the owner's explicit click ("show token"). */
  token(): string;
}

// ---- optional providers, wired by the branches that own them ----

/** §10: `list_checkpoints` / `checkpoint_diff` / `restore_checkpoint`. */
export interface CheckpointSummary {
  id: string;
  created_at: string;
  action: string;
  summary: string;
  files_changed: number | null;
}

export interface CheckpointsProvider {
  list(limit: number): Promise<{ checkpoints: CheckpointSummary[] }>;
  diff(id: string, options?: { to?: string; path?: string }): Promise<{ diff: string; truncated?: boolean; files: { path: string; status: string }[] }>;
  restore(id: string, options?: { paths?: string[] }): Promise<{ restored: string[]; deleted: string[]; checkpoint: string }>;
}

/** §11: connector grants (`connector list` / `connector revoke ID`). */
export interface Grant {
  id: string;
  client_name: string;
  scopes: string[];
  created_at: string;
  last_used_at?: string | null;
}

export interface GrantsProvider {
  list(): Promise<Grant[]>;
  /** false when no such grant. */
  revoke(id: string): Promise<boolean>;
}

/** §9: how commands run now. */
export interface SandboxView {
  active: boolean;
  kind: string;
  network: boolean | "ask" | "on" | "off" | "allowlist";
  /** Commands join a long-lived box per workspace (bubblewrap with sandbox.box on). */
  box?: boolean;
}

/** Issue 20: a workspace's live box, as the page shows it. */
export interface BoxView {
  id: string;
  /** The workspace's real path, and its registered name when one matches. */
  workspace: string;
  workspace_name: string | null;
  started_at: string;
  last_used_at: string;
  processes: { pid: number; job: string | null; command: string }[];
  /** How much of the box's private /tmp is used; null when the box did not say. */
  tmp_bytes: number | null;
  /** The box's own home for tool caches (kept when the box ends), or null. */
  cache_home: string | null;
  /**
   * Its size on disk, measured now and then in the background with a bound on the entries
   * walked (`capped`: the walk stopped there, the size is at least this); null until measured.
   */
  cache: { bytes: number; entries: number; capped: boolean } | null;
}

export interface BoxesProvider {
  list(): Promise<BoxView[]>;
  /** End the live box with this id (its processes and /tmp); false when there is none. */
  reset(id: string): Promise<boolean>;
}

export interface SandboxProvider {
  status(): SandboxView | Promise<SandboxView>;
}

export interface DashboardSources {
  jobs: JobsProvider;
  access: AccessProvider;
  workspaces: WorkspacesProvider;
  feed: FeedProvider;
  approvals: ApprovalsProvider;
  publicFields: PublicProvider;
  configHealth: ConfigHealthProvider;
  checkpoints?: CheckpointsProvider;
  grants?: GrantsProvider;
  sandbox?: SandboxProvider;
  boxes?: BoxesProvider;
}
