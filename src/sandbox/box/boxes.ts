import { randomBytes, timingSafeEqual, createHash } from "node:crypto";
import { lookup } from "node:dns/promises";
import { chmodSync, mkdirSync, mkdtempSync, realpathSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import type { Closable, ResourceBag } from "../../ground/resources.js";
import type { BwrapFeatures } from "../bwrap.js";
import { defaultRegistryHosts } from "../egress/registries.js";
import { hostMatches, normalizeHost } from "../egress/hosts.js";
import { startEgressProxy, type EgressEvent, type EgressProxy, type Target, type Verdict } from "../egress/proxy.js";
import { isInside } from "../policy.js";
import type { Guarded } from "../facts/gitLayout.js";
import type { SandboxPolicy, SandboxSettings } from "../types.js";
import { Box, type BoxEnd } from "./box.js";
import type { Proc } from "./protocol.js";

/** What a command may reach through the proxy. */
export type Reach = "none" | "allowlist" | "all";

/** Connections and refusals of one job, as the model and the owner see them. */
export interface EgressReport {
  connections: { host: string; port: number; bytes_up: number; bytes_down: number; at: string }[];
  denied: { host: string; port: number; reason: string; at: string }[];
}

/**
 * The name under which a command reaches this computer's own loopback through the proxy
 * (127.0.0.1 inside the box is the box's own). Only ports in sandbox.allow_local_ports answer.
 */
export const HOST_LOOPBACK_NAME = "host.sandbox.internal";

/** DNS for the proxy: the host-loopback name, else the system's resolver (every address, checked by the proxy). */
async function resolveHost(host: string): Promise<string[]> {
  if (host.toLowerCase().replace(/\.$/, "") === HOST_LOOPBACK_NAME) return ["127.0.0.1"];
  const found = await lookup(host, { all: true, verbatim: true });
  return found.map((entry) => entry.address);
}

const NO_CREDENTIALS = "no valid proxy credentials (only commands started by chatgpt-codex, while they or their background processes run, may use the proxy)";
const WRONG_CREDENTIALS = "wrong proxy credentials";

/** The most connection records kept per job (the oldest go first). */
export const LEDGER_PER_JOB = 200;
const IDLE_CHECK_MS = 30_000;

export interface BoxRequest {
  workspace: string;
  policy: SandboxPolicy;
  settings: SandboxSettings;
  program: string;
  features: BwrapFeatures;
  /** What the cache home may never be, over or inside (home, config folder, hidden paths). */
  guarded: Guarded;
}

export interface Acquired {
  box: Box;
  /** Set when this command started a new box although one existed (or had ended): why, for the answer. */
  note?: string;
}

export interface BoxSummary {
  id: string;
  workspace: string;
  started_at: string;
  last_used_at: string;
  processes: Proc[];
  tmp_bytes: number | null;
  cache_home: string | null;
}

/**
 * Every workspace's box, the egress proxy they share, and who may reach what
 * through it. One per server (a resource), closed with it.
 */
export class Boxes implements Closable {
  private readonly boxes = new Map<string, Box>();
  private readonly signatures = new Map<string, Signature>();
  /** Why a workspace's last box ended, told once to the next command. */
  private readonly endings = new Map<string, string>();
  private readonly starting = new Map<string, Promise<Box>>();
  private proxy: Promise<EgressProxy> | null = null;
  private runtime: string | null = null;
  private readonly grants = new Map<string, { pass: Buffer; reach: Reach; allowHosts: readonly string[] }>();
  private readonly ledger = new Map<string, EgressReport>();
  private localPorts: readonly number[] = [];
  private readonly idleTimer: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly options: { idleMs: () => number; env?: NodeJS.ProcessEnv; checkEveryMs?: number } = { idleMs: () => 30 * 60_000 }) {
    this.idleTimer = setInterval(() => void this.endIdle(), options.checkEveryMs ?? IDLE_CHECK_MS);
    this.idleTimer.unref();
  }

  /** The workspace's box, started (or restarted when its mounts changed) as needed. */
  async acquire(request: BoxRequest): Promise<Acquired> {
    if (this.closed) throw new Error("the server is shutting down");
    this.localPorts = request.settings.allow_local_ports;
    const signature = mountSignature(request);
    const current = this.boxes.get(request.workspace);
    let note: string | undefined;
    const was = this.signatures.get(request.workspace);
    // Fewer protections than asked (writable, hidden, settings): a new box at once. New read-only
    // protections inside the workspace: a new box once no command of it runs (a running one would be killed).
    const same = was !== undefined && (was.hard === signature.hard && (was.soft === signature.soft || (current?.activeCommands() ?? 0) > 0));
    if (current?.alive && same) {
      current.lastUsedAt = Date.now();
      return { box: current };
    }
    if (current?.alive) {
      await current.end("replaced");
      note = "The workspace's sandbox box was restarted because its mounts changed (git layout or sandbox settings): processes left running by earlier commands and files in /tmp are gone.";
    } else if (this.endings.has(request.workspace)) {
      note = this.endings.get(request.workspace);
    }
    this.endings.delete(request.workspace);
    const pending = this.starting.get(request.workspace);
    if (pending) return { box: await pending, ...(note ? { note } : {}) };
    const start = this.startBox(request, signature);
    this.starting.set(request.workspace, start);
    try {
      return { box: await start, ...(note ? { note } : {}) };
    } finally {
      this.starting.delete(request.workspace);
    }
  }

  private async startBox(request: BoxRequest, signature: Signature): Promise<Box> {
    const hostNetwork = request.settings.network === "on";
    const proxySocket = hostNetwork ? null : (await this.ensureProxy()).socketPath;
    const home = cacheHome(request.workspace, request.guarded, this.options.env);
    const box = await Box.start({
      workspace: request.workspace,
      policy: request.policy,
      program: request.program,
      features: request.features,
      tmpBytes: request.settings.tmp_size_mb * 1024 * 1024,
      proxySocket,
      cacheHome: home,
      hostNetwork,
    });
    box.on("end", (reason: BoxEnd) => {
      if (this.boxes.get(request.workspace) === box) this.boxes.delete(request.workspace);
      if (reason === "crashed") this.endings.set(request.workspace, `The workspace's sandbox box ended unexpectedly (${box.crashReason}); this command started a new one: processes left running by earlier commands and files in /tmp are gone.`);
      else if (reason === "idle") this.endings.set(request.workspace, "The workspace's sandbox box had ended after its idle time; this command started a new one (earlier background processes and /tmp are gone).");
    });
    this.boxes.set(request.workspace, box);
    this.signatures.set(request.workspace, signature);
    return box;
  }

  private async ensureProxy(): Promise<EgressProxy> {
    if (!this.proxy) {
      this.runtime = mkdtempSync(join(tmpdir(), "chatgpt-codex-egress-"));
      chmodSync(this.runtime, 0o711); // the socket must be reachable by its path; the folder cannot be listed
      const socketPath = join(this.runtime, "proxy.sock");
      this.proxy = startEgressProxy({
        socketPath,
        decide: (target) => this.decide(target),
        localPorts: () => this.localPorts,
        onEvent: (event) => this.record(event),
        resolve: resolveHost,
      });
      this.proxy.catch(() => (this.proxy = null));
    }
    return await this.proxy;
  }

  /** Proxy credentials for one job: what it may reach is fixed when it starts. */
  grant(jobId: string, reach: Reach, allowHosts: readonly string[]): { user: string; pass: string } {
    const pass = randomBytes(18).toString("base64url");
    this.grants.set(jobId, { pass: Buffer.from(pass), reach, allowHosts });
    return { user: jobId, pass };
  }

  /** The job and every process it left are gone: its credentials stop working. */
  revoke(jobId: string): void {
    this.grants.delete(jobId);
  }

  report(jobId: string): EgressReport | undefined {
    return this.ledger.get(jobId);
  }

  forgetReport(jobId: string): void {
    this.ledger.delete(jobId);
  }

  private async decide(target: Target): Promise<Verdict> {
    const credentials = target.credentials;
    const grant = credentials ? this.grants.get(credentials.user) : undefined;
    if (!credentials || !grant) return { allow: false, reason: NO_CREDENTIALS };
    const given = Buffer.from(credentials.pass);
    if (given.length !== grant.pass.length || !timingSafeEqual(given, grant.pass)) return { allow: false, reason: WRONG_CREDENTIALS };
    if (grant.reach === "none") return { allow: false, reason: "this command was started without network: call exec_command again with network: true (the user sees that field when approving)" };
    if (grant.reach === "all") return { allow: true };
    const host = normalizeHost(target.host);
    if (host === null) return { allow: false, reason: "not a valid host name" };
    const defaults = await defaultRegistryHosts().then((found) => found.hosts).catch(() => [] as string[]);
    if (hostMatches(host, [...grant.allowHosts, ...defaults])) return { allow: true };
    return { allow: false, reason: `${host} is not on the allow list (sandbox.allow_hosts and the package managers' configured registries); the owner can add it, or the call can ask for network: true` };
  }

  private record(event: EgressEvent): void {
    // A refusal for credentials that do not hold is nobody's: the name in them may be another job's.
    if (!event.key || event.reason === NO_CREDENTIALS || event.reason === WRONG_CREDENTIALS) return;
    let report = this.ledger.get(event.key);
    if (!report) {
      report = { connections: [], denied: [] };
      this.ledger.set(event.key, report);
    }
    const at = new Date(event.endedAt).toISOString();
    if (event.allowed) report.connections.push({ host: event.host, port: event.port, bytes_up: event.bytesUp, bytes_down: event.bytesDown, at });
    else report.denied.push({ host: event.host, port: event.port, reason: event.reason ?? "refused", at });
    if (report.connections.length > LEDGER_PER_JOB) report.connections.splice(0, report.connections.length - LEDGER_PER_JOB);
    if (report.denied.length > LEDGER_PER_JOB) report.denied.splice(0, report.denied.length - LEDGER_PER_JOB);
  }

  /** Boxes alive now, with their processes. */
  async status(): Promise<BoxSummary[]> {
    const out: BoxSummary[] = [];
    for (const [workspace, box] of this.boxes) {
      if (!box.alive) continue;
      const { procs, tmp_bytes } = await box.ps();
      out.push({
        id: box.id,
        workspace,
        started_at: new Date(box.startedAt).toISOString(),
        last_used_at: new Date(box.lastUsedAt).toISOString(),
        processes: procs,
        tmp_bytes,
        cache_home: box.options.cacheHome,
      });
    }
    return out;
  }

  box(workspace: string): Box | undefined {
    const box = this.boxes.get(workspace);
    return box?.alive ? box : undefined;
  }

  /** Ends the box of one workspace (all when none is named); returns the ids of the boxes ended. */
  async reset(workspace?: string): Promise<string[]> {
    const ended: string[] = [];
    for (const [root, box] of [...this.boxes]) {
      if (workspace && root !== workspace) continue;
      await box.end("reset");
      this.boxes.delete(root);
      ended.push(box.id);
    }
    return ended;
  }

  private async endIdle(): Promise<void> {
    const now = Date.now();
    for (const [root, box] of [...this.boxes]) {
      if (box.alive && box.activeCommands() === 0 && now - box.lastUsedAt > this.options.idleMs()) {
        await box.end("idle");
        this.boxes.delete(root);
        this.endings.set(root, "The workspace's sandbox box had ended after its idle time; this command started a new one (earlier background processes and /tmp are gone).");
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.idleTimer);
    await Promise.allSettled([...this.boxes.values()].map((box) => box.end("stopped")));
    this.boxes.clear();
    if (this.proxy) await (await this.proxy.catch(() => null))?.close();
    if (this.runtime) rmSync(this.runtime, { recursive: true, force: true });
  }
}

export const BOXES = "sandbox-boxes";

export function boxes(resources: ResourceBag, idleMinutes: () => number): Boxes {
  return resources.get(BOXES, () => new Boxes({ idleMs: () => idleMinutes() * 60_000 }));
}

interface Signature {
  /** Writable folders, hidden paths and settings: a box that differs is less safe than asked. */
  hard: string;
  /** Read-only protections inside writable folders (.git/hooks, .git/config …). */
  soft: string;
}

/** What the box's mounts depend on. */
function mountSignature(request: BoxRequest): Signature {
  const { policy, settings } = request;
  return {
    hard: JSON.stringify({
      writable: policy.writable,
      hidden: policy.hidden.map((h) => [h.path, h.kind]),
      tmp: settings.tmp_size_mb,
      hostNetwork: settings.network === "on",
      program: request.program,
    }),
    soft: JSON.stringify({ readOnly: policy.readOnly, visible: policy.visible }),
  };
}

/** The folder for a user's tool caches: $XDG_CACHE_HOME/chatgpt-codex (else ~/.cache/chatgpt-codex). */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  return join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), ".cache"), "chatgpt-codex");
}

/** Where a workspace's box home lives (one folder per workspace, named by a hash of its path). */
export function cacheFolder(workspace: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), "boxes", createHash("sha256").update(workspace).digest("hex").slice(0, 16));
}

/**
 * A workspace's box home (its tool caches), created 0700 on first use; null when it
 * would land where a box must never write: over the home folder, the config folder,
 * the workspace or a hidden path, or inside the config folder or a hidden path.
 */
export function cacheHome(workspace: string, guarded: Guarded, env: NodeJS.ProcessEnv = process.env): string | null {
  try {
    const folder = cacheFolder(workspace, env);
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    const real = realpathSync(folder);
    if (real === "/") return null;
    for (const kept of [guarded.home, guarded.configHome, guarded.workspace, ...guarded.hidden]) if (isInside(kept, real)) return null;
    for (const secret of [guarded.configHome, ...guarded.hidden]) if (isInside(real, secret)) return null;
    return real;
  } catch {
    return null;
  }
}
