import { execFile } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { FULL_FEATURES, isolationArgs, type BwrapFeatures } from "./bwrap.js";
import { INSTALL_BWRAP, messages } from "./messages.js";
import type { SandboxKind } from "./types.js";

export interface Availability {
  available: boolean;
  kind: SandboxKind;
  /** The program that runs the sandbox (bwrap, sandbox-exec). */
  program?: string;
  /** Why there is none. */
  reason?: string;
  /** The one command that fixes it. */
  fix?: string;
  features?: BwrapFeatures;
}

const PROBE_TIMEOUT_MS = 5_000;
const cache = new Map<string, Promise<Availability>>();

/**
 * Is an OS sandbox usable here? Found out once per PATH by really running it
 * (an installed bwrap can still fail: user namespaces disabled, AppArmor).
 */
export function sandboxAvailability(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): Promise<Availability> {
  const key = `${platform}\u0000${env.PATH ?? ""}`;
  let found = cache.get(key);
  if (!found) {
    found = detect(env, platform);
    cache.set(key, found);
  }
  return found;
}

/** Forget what was found (after installing bubblewrap, in tests). */
export function forgetAvailability(): void {
  cache.clear();
}

async function detect(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): Promise<Availability> {
  if (platform === "win32") return { available: false, kind: "none", reason: messages.reasons.windows };
  if (platform === "darwin") {
    const program = findOnPath("sandbox-exec", env) ?? "/usr/bin/sandbox-exec";
    const run = await tryRun(program, ["-p", "(version 1)(allow default)", "--", "/usr/bin/true"]);
    if (run === null) return { available: true, kind: "seatbelt", program };
    return { available: false, kind: "none", reason: run === "missing" ? messages.reasons.noSandboxExec : messages.reasons.sandboxExecFailed(run) };
  }
  if (platform !== "linux") return { available: false, kind: "none", reason: messages.reasons.platform(platform) };
  const program = findOnPath("bwrap", env);
  if (!program) return { available: false, kind: "none", reason: messages.reasons.noBwrap, fix: INSTALL_BWRAP };
  const candidates: BwrapFeatures[] = [FULL_FEATURES, { userNamespace: true, disableUserns: false }, { userNamespace: false, disableUserns: false }];
  let lastError = "";
  for (const features of candidates) {
    const probe = [...isolationArgs(features, false), "--ro-bind", "/", "/", "--dev", "/dev", "--size", "1048576", "--tmpfs", "/dev/shm", "--remount-ro", "/dev", "--proc", "/proc", "--size", "1048576", "--tmpfs", "/tmp", "--", "true"];
    const run = await tryRun(program, probe);
    if (run === null) return { available: true, kind: "bubblewrap", program, features };
    lastError = run;
  }
  return { available: false, kind: "none", program, reason: messages.reasons.bwrapFailed(lastError), fix: messages.fixes.userns };
}

/** null when the program ran and succeeded; "missing", or its first error line, otherwise. */
function tryRun(program: string, args: string[]): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(program, args, { timeout: PROBE_TIMEOUT_MS, encoding: "utf8" }, (error, _stdout, stderr) => {
      if (!error) return resolve(null);
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return resolve("missing");
      resolve((stderr.trim().split("\n")[0] ?? "") || error.message);
    });
  });
}

function findOnPath(name: string, env: NodeJS.ProcessEnv): string | null {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return null;
}
