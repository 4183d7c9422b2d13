import { spawn, type ChildProcess } from "node:child_process";

/**
 * Tunnel children run in their own process group, so Ctrl-C in the terminal
 * reaches only us and we stop them in order; and stopping one kills whatever it
 * started too. Every live child is also killed when this process exits for any
 * reason, so none is left behind holding a public URL open.
 */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

const GROUPS = process.platform !== "win32";

export interface SpawnSpec {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

export function spawnTunnelChild(spec: SpawnSpec): ChildProcess {
  installExitHook();
  const child = spawn(spec.command, spec.args, {
    env: spec.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: GROUPS,
    windowsHide: true,
  });
  live.add(child);
  child.once("exit", () => live.delete(child));
  child.once("error", () => live.delete(child));
  return child;
}

/** Send a signal to the child's whole process group (or the child alone on Windows). */
export function signalChild(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    if (GROUPS) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    // already gone
  }
}

/**
 * Stop politely, then firmly: SIGTERM; a second SIGTERM (cloudflared then skips
 * its grace period for open requests); SIGKILL. Resolves once it has exited.
 */
export async function stopChild(child: ChildProcess, graceMs = 2_000): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const steps: [NodeJS.Signals, number][] = [
    ["SIGTERM", graceMs],
    ["SIGTERM", graceMs / 2],
    ["SIGKILL", graceMs],
  ];
  for (const [signal, waitMs] of steps) {
    signalChild(child, signal);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      exited.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), waitMs);
      }),
    ]);
    clearTimeout(timer);
    if (!timedOut) return;
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Only synchronous work is possible here: a last SIGKILL to each group.
  process.on("exit", () => {
    for (const child of live) signalChild(child, "SIGKILL");
  });
  // A closed terminal sends SIGHUP, whose default action skips "exit" handlers;
  // the children, in their own sessions, would never hear of it.
  process.once("SIGHUP", () => process.exit(129));
}
