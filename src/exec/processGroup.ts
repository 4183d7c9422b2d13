import { readFileSync, readdirSync } from "node:fs";
/**
 * Signals for a whole process group: a job runs in its own group (spawned
 * detached), so kill and timeout reach every child and grandchild that did
 * not leave the group on purpose (setsid, double fork into a new session).
 */

export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH: nobody left in the group
  }
}

export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    // EPERM means a member exists but is not ours to signal: still alive.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Resolves once the group is empty, or after `timeoutMs`. */
export async function waitForGroupGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (groupAlive(pgid)) {
    if (Date.now() >= until) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return true;
}

/**
 * Tracks whether a group still has a live (non-zombie) member. `kill(-pgid, 0)`
 * also succeeds while only zombies are left (a reaper may be slow, or absent
 * in a container), so on Linux the members are confirmed in /proc; the pids
 * found are remembered, so later checks read a few files, not the whole table.
 */
export class GroupWatch {
  private known: number[] = [];

  constructor(private readonly pgid: number) {}

  alive(): boolean {
    if (!groupAlive(this.pgid)) return false;
    if (process.platform !== "linux") return true;
    this.known = this.known.filter((pid) => liveMemberOf(pid, this.pgid));
    if (this.known.length > 0) return true;
    const found = scanGroup(this.pgid);
    if (found === null) return true; // no /proc to look at: trust kill()
    this.known = found;
    return found.length > 0;
  }
}

function liveMemberOf(pid: number, pgid: number): boolean {
  const fields = statFields(pid);
  return fields !== null && fields[0] !== "Z" && Number(fields[2]) === pgid;
}

/** Fields of /proc/PID/stat after the command name (state first), or null. */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}

function scanGroup(pgid: number): number[] | null {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return null;
  }
  const members: number[] = [];
  for (const entry of entries) {
    if (entry.charCodeAt(0) < 48 || entry.charCodeAt(0) > 57) continue;
    const pid = Number(entry);
    if (liveMemberOf(pid, pgid)) members.push(pid);
  }
  return members;
}
