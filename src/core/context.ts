import { realpathSync, statSync } from "node:fs";
import type { Config } from "../config/schema.js";
import type { ConfigStore } from "../config/store.js";
import { ActionError } from "../ground/errors.js";
import type { Outcome } from "../ground/outcome.js";
import type { ResourceBag } from "../ground/resources.js";
import type { InsidePath } from "../workspace/resolveInside.js";

export interface ActiveWorkspace {
  name: string;
  /** Real path (symlinks resolved) of the registered folder. */
  root: string;
}

/** What the audit log records about one call; handlers add paths or a command. */
export interface AuditNote {
  paths?: string[];
  command?: string;
  /** The job the call started or held, as it stood at the answer: its outcome is the call's (exit 3 → failed). */
  job?: { status: string; exitCode: number | null };
  detail?: Record<string, string | number | boolean>;
}

/** An audit line for something that happens after the answer (a job that ends later). */
export interface LaterEvent {
  outcome: Outcome;
  exit_code?: number;
  error_code?: string;
  duration_ms: number;
  command?: string;
  detail?: AuditNote["detail"];
}

export interface ActionContext {
  /** The config as of this request. */
  config: Config;
  store: ConfigStore;
  /** The active workspace; throws NOT_FOUND when none is registered or its folder is gone. */
  workspace(): ActiveWorkspace;
  /**
   * Confine a user-given path (or cwd) to the active workspace; throws 403
   * OUTSIDE_WORKSPACE. Every path field of every action goes through this.
   */
  resolvePath(userPath: string): InsidePath;
  /** resolvePath for a file the action will create, change or delete: also refuses `.git` internals. */
  resolveWritePath(userPath: string): InsidePath;
  /** Aborted when the request must be answered (ChatGPT gives up at 45 s). */
  signal: AbortSignal;
  /** Epoch ms by which the handler must have answered. */
  deadline: number;
  resources: ResourceBag;
  /** What the audit line of this call records (paths, command). */
  audit: AuditNote;
  /** Write an audit line for something that happens after the answer (a job that ends later). */
  auditLater(event: LaterEvent): void;
}

export function activeWorkspace(config: Config): ActiveWorkspace {
  const name = config.active_workspace;
  const entry = config.workspaces.find((w) => w.name === name) ?? (name === null ? config.workspaces[0] : undefined);
  if (!entry) {
    throw new ActionError(
      "NOT_FOUND",
      name ? `active workspace "${name}" is not registered` : "no workspace is registered",
      { hint: "Run: chatgpt-codex workspace add --name N --path /abs/path --activate" },
    );
  }
  let root: string;
  try {
    root = realFolder(entry.path);
  } catch {
    throw new ActionError("NOT_FOUND", `the folder of workspace "${entry.name}" does not exist any more`, {
      hint: "Register it again or switch to another workspace.",
    });
  }
  return { name: entry.name, root };
}

const ROOT_TTL_MS = 1_000;
const rootCache = new Map<string, { at: number; root: string }>();

/** Real path of a registered folder, re-checked at most once a second (it is on every request's path). */
function realFolder(path: string): string {
  const now = Date.now();
  const hit = rootCache.get(path);
  if (hit && now - hit.at < ROOT_TTL_MS) return hit.root;
  const root = realpathSync(path);
  if (!statSync(root).isDirectory()) throw new Error("not a folder");
  rootCache.set(path, { at: now, root });
  return root;
}
