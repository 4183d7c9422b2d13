import { createHash, randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomicSync } from "../fs/atomic.js";

/**
 * One-time login tickets, shared between the running server and the
 * `dashboard` command (another process) through the private config folder:
 * the command writes only the SHA-256 of a fresh random ticket (0600, in a
 * 0700 folder), the server hot-reads it on login and deletes it on first use.
 * The ticket itself exists only in the login URL shown to the owner.
 */

export const TICKET_TTL_MS = 5 * 60 * 1000;
const TICKET = /^[A-Za-z0-9_-]{43}$/;

export function ticketFolder(home: string): string {
  return join(home, "dashboard-tickets");
}

/** Where the running server says it listens (pid, url), for the `dashboard` command. */
export function serverStateFile(home: string): string {
  return join(home, "dashboard.json");
}

function hashOf(ticket: string): string {
  return createHash("sha256").update(ticket).digest("hex");
}

/** A fresh ticket valid for TICKET_TTL_MS; returns the ticket (only its hash is stored). */
export function createTicket(home: string, now = Date.now()): string {
  const folder = ticketFolder(home);
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  if (process.platform !== "win32") chmodSync(folder, 0o700);
  pruneTickets(home, now);
  const ticket = randomBytes(32).toString("base64url");
  writeFileSync(join(folder, hashOf(ticket)), JSON.stringify({ expires_at: new Date(now + TICKET_TTL_MS).toISOString() }), { mode: 0o600, flag: "wx" });
  return ticket;
}

/** True once per valid, unexpired ticket: the first caller's unlink wins, every later one fails. */
export function consumeTicket(home: string, ticket: unknown, now = Date.now()): boolean {
  if (typeof ticket !== "string" || !TICKET.test(ticket)) return false;
  const file = join(ticketFolder(home), hashOf(ticket));
  let expires: number;
  try {
    expires = Date.parse((JSON.parse(readFileSync(file, "utf8")) as { expires_at: string }).expires_at);
    unlinkSync(file);
  } catch {
    return false;
  }
  return Number.isFinite(expires) && expires > now;
}

function pruneTickets(home: string, now: number): void {
  const folder = ticketFolder(home);
  try {
    for (const name of readdirSync(folder)) {
      const file = join(folder, name);
      // Files older than a ticket's life are expired whatever they say.
      if (now - statSync(file).mtimeMs > TICKET_TTL_MS) rmSync(file, { force: true });
    }
  } catch {
    // nothing to prune
  }
}

export interface ServerState {
  pid: number;
  url: string;
  started_at: string;
}

export function writeServerState(home: string, state: ServerState): void {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  writeFileAtomicSync(serverStateFile(home), `${JSON.stringify(state)}\n`, 0o600);
}

export function readServerState(home: string): ServerState | null {
  try {
    const state = JSON.parse(readFileSync(serverStateFile(home), "utf8")) as ServerState;
    return typeof state.pid === "number" && typeof state.url === "string" ? state : null;
  } catch {
    return null;
  }
}

/** Remove the state file if it is still this process's (a newer server may have replaced it). */
export function clearServerState(home: string, pid = process.pid): void {
  if (readServerState(home)?.pid === pid) rmSync(serverStateFile(home), { force: true });
}
