import { closeSync, openSync, readSync, statSync, unwatchFile, watchFile } from "node:fs";
import { readAuditLine, type AuditLog, type AuditRecord } from "./log.js";

const MAX_READ = 1024 * 1024;

/**
 * Follow the audit file for records written by other processes from now on.
 * The stdio face (`chatgpt-codex mcp`) runs in the MCP client's process tree,
 * not in the server, so a running dashboard learns of its calls only through
 * the shared file. `wanted` picks the records this process did not write
 * itself (those already reach the listeners directly). Polls; returns the stop.
 *
 * When everything new in the file is what `log` itself appended since the last
 * poll, nothing is read: a busy server would otherwise read back and parse every
 * line it wrote, twice a second, to find none. Only `log`'s own bytes count: its
 * listeners already had those records, and no other writer's (see AuditLog.appendedBytes).
 */
export function followAuditFile(log: FollowedLog, wanted: (record: AuditRecord) => boolean, onRecord: (record: AuditRecord) => void, intervalMs = 500): () => void {
  const poll = auditFollower(log, wanted, onRecord);
  watchFile(log.file, { interval: intervalMs, persistent: false }, poll);
  return () => unwatchFile(log.file, poll);
}

/** The log whose file is followed: its path, and what it appended there itself. */
export type FollowedLog = Pick<AuditLog, "file" | "appendedBytes">;

/** followAuditFile's reader without its timer: each call hands over what is new since the last. */
export function auditFollower(log: FollowedLog, wanted: (record: AuditRecord) => boolean, onRecord: (record: AuditRecord) => void): () => void {
  const file = log.file;
  let offset = sizeOf(file);
  let pending = "";
  let ours = log.appendedBytes();
  const poll = () => {
    const size = sizeOf(file);
    const oursNow = log.appendedBytes();
    const oursNew = oursNow - ours;
    ours = oursNow;
    // Smaller than what we read: the file was rotated; the new one is read from its start.
    const rotated = size < offset;
    if (rotated) {
      offset = 0;
      pending = "";
    }
    if (size === offset) return;
    // Not after a rotation: part of what this process appended since the last look went to
    // the old file, so the new file's size says nothing about whose its lines are (another
    // process's line of the same length as ours before the rotation would be skipped).
    if (!rotated && pending === "" && size - offset === oursNew) {
      offset = size;
      return;
    }
    // A burst larger than MAX_READ is skipped to its last part: the feed shows recent calls, the file keeps all.
    const start = size - offset > MAX_READ ? size - MAX_READ : offset;
    if (start !== offset) pending = "";
    const buffer = Buffer.alloc(size - start);
    let fd: number | undefined;
    try {
      fd = openSync(file, "r");
      const read = readSync(fd, buffer, 0, buffer.length, start);
      offset = start + read;
      pending += buffer.subarray(0, read).toString("utf8");
    } catch {
      return;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    const lines = pending.split("\n");
    // The last piece has no newline yet: a line still being written.
    pending = lines.pop() ?? "";
    for (const line of lines) {
      if (line.trim() === "") continue;
      const record = readAuditLine(line); // null: a torn or foreign line
      if (record && wanted(record)) onRecord(record);
    }
  };
  return poll;
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
