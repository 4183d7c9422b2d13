import { closeSync, openSync, readSync, statSync } from "node:fs";
import { accessState, expiryFromTtl } from "../access/state.js";
import { approvalQueue } from "../approvals/held.js";
import { followAuditFile } from "../audit/follow.js";
import { isoNow, readAuditLine, type AuditLog, type AuditRecord } from "../audit/log.js";
import type { ConfigStore } from "../config/store.js";
import { cliCommand } from "../ground/launcher.js";
import { outcomeOf, type Outcome } from "../ground/outcome.js";
import type { ResourceBag } from "../ground/resources.js";
import type { Job } from "../exec/job.js";
import { JobManager } from "../exec/jobManager.js";
import { MCP_PATH } from "../mcp/clientConfig.js";
import { LEDGER_PER_JOB, type EgressReport } from "../sandbox/box/boxes.js";
import type { TunnelHandle } from "../tunnel/types.js";
import type { DashboardSources, JobSummary, NetworkView, PublicFields } from "./sources.js";

export interface CoreParts {
  store: ConfigStore;
  resources: ResourceBag;
  audit: AuditLog;
  /** The Actions server's own address (for the fields before a public URL is set). */
  localUrl: () => string;
  /** The tunnel this process runs, if any (`up` starts it after the dashboard). */
  route?: () => TunnelHandle | undefined;
}

const FEED_KEEP = 300;
const TAIL_CHARS = 4_000;
const TAIL_LINES = 80;
const FINISHED_SHOWN = 15;

/** The providers backed by the running server: jobs, access, workspaces, feed, approvals, public fields. */
export function coreSources(parts: CoreParts): DashboardSources & { close(): void } {
  const { store, resources, audit } = parts;
  const jobs = () => resources.get("jobs", () => new JobManager());
  const approvals = approvalQueue(resources);
  const feed: AuditRecord[] = readAuditTail(audit.file, FEED_KEEP).filter(shownInFeed);
  const unsubscribe = audit.subscribe((record) => {
    if (!shownInFeed(record)) return;
    feed.push(record);
    // Trimmed in steps of FEED_KEEP: a busy server would otherwise shift 300 entries for every call.
    if (feed.length >= 2 * FEED_KEEP) feed.splice(0, feed.length - FEED_KEEP);
  });
  // The stdio face is another process writing the same file: its calls join the live feed from there.
  // This server never writes face "stdio" itself, so nothing is shown twice.
  const stopFollowing = followAuditFile(audit, (record) => record.face === "stdio", (record) => audit.relay(record));
  // These lines carry the command as the call's own line keeps it (kill, approve, deny): without the token of that
  // call, however often it was rotated since; the log also removes the token now from every record.
  const note = (action: string, outcome: Outcome, extra: Partial<AuditRecord> = {}) => {
    const config = store.current();
    audit.write({ time: isoNow(), action, workspace: config.active_workspace, outcome, duration_ms: 0, face: "dashboard", client: "owner", ...extra }, config.token);
  };
  const access = () => {
    const s = accessState(store.current());
    return { state: s.state, active: s.active, expires_at: s.expires_at, reason: s.reason };
  };
  const workspaces = () => {
    const config = store.current();
    const active = config.active_workspace ?? config.workspaces[0]?.name ?? null;
    return { active, workspaces: config.workspaces.map((w) => ({ name: w.name, path: w.path, active: w.name === active })) };
  };

  return {
    jobs: {
      list: () => {
        const all = jobs().list(Number.POSITIVE_INFINITY);
        const running = all.filter((j) => j.running).sort((a, b) => a.startedAt - b.startedAt);
        // A finished job that left processes in its box stays on the page: its Kill stops them.
        const lingering = all.filter((j) => !j.running && j.background.length > 0).sort((a, b) => (b.endedAt ?? 0) - (a.endedAt ?? 0));
        const finished = all
          .filter((j) => !j.running && j.background.length === 0)
          .sort((a, b) => (b.endedAt ?? 0) - (a.endedAt ?? 0))
          .slice(0, FINISHED_SHOWN);
        return [...running, ...lingering, ...finished].map(summarize);
      },
      kill: async (id) => {
        const job = jobs().get(id);
        if (!job) return false;
        const wasRunning = job.running;
        const background = job.background.length;
        await job.kill("killed");
        note("kill_command", "ok", { command: job.audited, detail: { job_id: id, was_running: wasRunning, ...(background > 0 ? { background } : {}) } });
        return true;
      },
    },
    access: {
      state: access,
      revoke: () => {
        store.update((c) => {
          c.access.revoked_at = new Date().toISOString();
        });
        note("access_revoke", "ok");
        return access();
      },
      renew: (ttlMinutes) => {
        store.update((c) => {
          c.access.revoked_at = null;
          c.access.expires_at = expiryFromTtl(ttlMinutes ?? undefined);
          c.access.granted_at = new Date().toISOString();
        });
        note("access_renew", "ok", { detail: { ttl_minutes: ttlMinutes ?? 0 } });
        return access();
      },
    },
    workspaces: {
      list: workspaces,
      switchTo: (name) => {
        if (!store.current().workspaces.some((w) => w.name === name)) throw new Error(`no workspace named "${name}" is registered`);
        store.update((c) => {
          c.active_workspace = name;
        });
        note("switch_workspace", "ok", { workspace: name });
        return workspaces();
      },
    },
    feed: {
      recent: (limit) => (limit > 0 ? feed.slice(-Math.min(limit, FEED_KEEP)) : []),
      subscribe: (listener) => audit.subscribe((record) => shownInFeed(record) && listener(record)),
    },
    approvals: {
      mode: () => store.current().approvals.commands,
      pending: () => approvals.pending(),
      approve: (id) => decide(id, true),
      deny: (id) => decide(id, false),
      subscribe: (listener) => approvals.subscribe(listener),
    },
    publicFields: {
      fields: () => {
        const base = store.current().public_base_url;
        const shown = base ?? parts.localUrl();
        return {
          public_base_url: base,
          schema_url: `${shown}/openapi.json`,
          privacy_url: `${shown}/privacy`,
          mcp_url: `${shown}${MCP_PATH}`,
          auth: "API Key · Bearer",
          // The page shows these only while there is no public URL, i.e. this server (serve, or
          // up without a tunnel) runs without one: "run up" would name the thing already running.
          tunnel_command: cliCommand(`tunnel --port ${new URL(parts.localUrl()).port}`),
          restart_command: cliCommand("up --tunnel cloudflared"),
          tunnel: tunnelView(parts.route?.()),
        };
      },
      token: () => store.current().token,
    },
    configHealth: {
      problem: () => {
        const trouble = store.trouble();
        if (!trouble) return null;
        const { error, since, paused } = trouble;
        return {
          file: error.file,
          kind: error.kind,
          message: error.message,
          line: error.problem.line ?? null,
          column: error.problem.column ?? null,
          fields: (error.problem.fields ?? []).map((field) => `${field.path}: ${field.message}`),
          detail: error.problem.detail,
          since,
          access_paused: paused !== null,
          paused_because: paused,
        };
      },
    },
    close: () => {
      stopFollowing();
      unsubscribe();
    },
  };

  function decide(id: string, approve: boolean): { ok: boolean; message?: string } {
    const held = approvals.get(id);
    const audited = approvals.audited(id);
    const result = approve ? approvals.approve(id, "dashboard") : approvals.deny(id, "dashboard");
    if (held && audited !== undefined && (result.ok || result.held?.status === "denied")) {
      // An approval whose command could not start: the word its error code has everywhere (access expired:
      // refused), as on the command's own line, which says why.
      const errorCode = result.ok ? undefined : (result.held?.error_code ?? "INTERNAL");
      note(approve ? "approve_command" : "deny_command", errorCode === undefined ? "ok" : (outcomeOf({ errorCode }) ?? "error"), {
        ...(errorCode === undefined ? {} : { error_code: errorCode }),
        workspace: held.workspace,
        command: audited,
        detail: { job_id: id },
      });
    }
    return result.ok ? { ok: true } : { ok: false, message: result.message };
  }
}

/**
 * The owner's own reads from the page (the checkpoint list every page load fetched, a Diff)
 * are not activity: older audit files have such lines, the feed leaves them out.
 */
const OWNER_READS = new Set(["list_checkpoints", "checkpoint_diff"]);
function shownInFeed(record: AuditRecord): boolean {
  return !(record.face === "dashboard" && OWNER_READS.has(record.action));
}

function summarize(job: Job): JobSummary {
  // The last lines of the job's one numbered log (both streams), as much as fits the tail.
  const lines = [...job.log.read(Math.max(1, job.log.lines - TAIL_LINES + 1), job.log.lines), ...job.log.partials()];
  return {
    id: job.id,
    command: job.command,
    status: job.status,
    started_at: new Date(job.startedAt).toISOString(),
    duration_ms: job.durationMs(),
    exit_code: job.exitCode,
    output: lines.map((line) => line.text).join("\n").slice(-TAIL_CHARS),
    box: job.box ? { id: job.box.id, started_at: new Date(job.box.startedAt).toISOString() } : null,
    background: job.background.map(({ pid, command }) => ({ pid, command })),
    network: networkView(job.egress()),
  };
}


/** The proxy's records of one job, summed per host and port (refusals per host, port and reason), newest first. */
export function networkView(report: EgressReport | undefined): NetworkView | null {
  if (!report || (report.connections.length === 0 && report.denied.length === 0)) return null;
  const connections = new Map<string, NetworkView["connections"][number]>();
  for (const c of report.connections) {
    const key = `${c.host}\n${c.port}`;
    const row = connections.get(key) ?? { host: c.host, port: c.port, count: 0, bytes_up: 0, bytes_down: 0, at: c.at };
    row.count++;
    row.bytes_up += c.bytes_up;
    row.bytes_down += c.bytes_down;
    if (c.at > row.at) row.at = c.at;
    connections.set(key, row);
  }
  const denied = new Map<string, NetworkView["denied"][number]>();
  for (const d of report.denied) {
    const key = `${d.host}\n${d.port}\n${d.reason}`;
    const row = denied.get(key) ?? { host: d.host, port: d.port, reason: d.reason, count: 0, at: d.at };
    row.count++;
    if (d.at > row.at) row.at = d.at;
    denied.set(key, row);
  }
  const newest = <T extends { at: string }>(rows: Iterable<T>) => [...rows].sort((a, b) => b.at.localeCompare(a.at));
  return {
    connections: newest(connections.values()),
    denied: newest(denied.values()),
    // The proxy keeps LEDGER_PER_JOB records per job: a list that long may have lost its oldest, so the sums say "at least".
    partial: report.connections.length >= LEDGER_PER_JOB || report.denied.length >= LEDGER_PER_JOB,
  };
}

/** The tunnel's kind and whether its program still runs (a supervisor restarting it shows not alive meanwhile). */
export function tunnelView(route: TunnelHandle | undefined): PublicFields["tunnel"] {
  if (!route) return null;
  const pid = route.pid();
  let alive: boolean | null = null;
  if (pid !== undefined) {
    try {
      process.kill(pid, 0);
      alive = true;
    } catch (error) {
      alive = (error as NodeJS.ErrnoException).code === "EPERM";
    }
  }
  return { kind: route.kind, url: route.url, alive };
}

/** The last records of the audit file (the feed's history when the page opens). */
function readAuditTail(file: string, count: number): AuditRecord[] {
  let fd: number | undefined;
  try {
    const size = statSync(file).size;
    const length = Math.min(size, 256 * 1024);
    const buffer = Buffer.alloc(length);
    fd = openSync(file, "r");
    readSync(fd, buffer, 0, length, size - length);
    const lines = buffer.toString("utf8").split("\n").slice(length < size ? 1 : 0);
    const records: AuditRecord[] = [];
    for (const line of lines) {
      // Older lines read in today's vocabulary; a torn line is skipped.
      const record = line.trim() === "" ? null : readAuditLine(line);
      if (record) records.push(record);
    }
    return records.slice(-count);
  } catch {
    return [];
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
