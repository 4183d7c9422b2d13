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
