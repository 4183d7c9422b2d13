import { homedir } from "node:os";
import type { ActionContext } from "../core/context.js";
import { ActionError } from "../ground/errors.js";
import type { PolicyOptions, SandboxView } from "../policy/checkCommand.js";
import { cacheFolder } from "../sandbox/box/boxes.js";
import { sandboxAvailability, type Availability } from "../sandbox/detect.js";
import { layoutForCommand } from "../sandbox/facts/record.js";
import type { SandboxMode } from "../sandbox/types.js";
import { realOr } from "../ground/realPath.js";

/**
 * What the command policy is told about a command of this request (exec_command, and the input of a shell it started).
 * `sandbox`: how the sandbox shows the file system (see policySandboxView); by default what is known now without waiting.
 */
export function commandPolicyOptions(
  ctx: ActionContext,
  workspaceRoot: string,
  cwd: string,
  env: Record<string, string>,
  sandbox: SandboxView | null = policySandboxViewNow(ctx, workspaceRoot),
): PolicyOptions {
  return {
    workspaceRoot,
    cwd,
    home: homedir(),
    configHome: realOr(ctx.store.home),
    env,
    policy: ctx.config.policy,
    ...(sandbox ? { sandbox } : {}),
  };
}

/** The folders bubblewrap gives every sandbox of its own: empty tmpfs mounts (src/sandbox/bwrap.ts). Seatbelt has none. */
export const BUBBLEWRAP_PRIVATE_ROOTS: readonly string[] = ["/tmp", "/dev/shm"];

/**
 * Will a command run in bubblewrap, with a private /tmp and /dev/shm? Not with sandbox.mode
 * "off", not on macOS (Seatbelt: the host's /tmp is the real one), not where no sandbox
 * works. `availability` null: not found out yet; then only "required" on Linux is certain
 * (bubblewrap, or the command is refused before it runs).
 */
export function runsWithPrivateTmp(mode: SandboxMode, availability: Availability | null, platform: NodeJS.Platform = process.platform): boolean {
  if (mode === "off" || platform !== "linux") return false;
  if (availability === null) return mode === "required";
  return availability.available && availability.kind === "bubblewrap";
}

/**
 * The sandbox as the policy sees it: null when the command runs on this computer's file
 * system as written; else the private folders and what the sandbox mounts in them from this
 * computer: the workspace, the git folders outside it the recorded layout lets it write or
 * see, the box's cache folder. Read-only mounts the box adds for itself (node, its agent, the
 * proxy's socket folder) are left out: nothing can be deleted or changed through them.
 */
export function sandboxViewOf(ctx: ActionContext, workspaceRoot: string, availability: Availability | null): SandboxView | null {
  const settings = ctx.config.sandbox;
  if (!runsWithPrivateTmp(settings.mode, availability)) return null;
  const layout = layoutForCommand(ctx.resources, realOr(ctx.store.home), workspaceRoot, ctx.config, process.env);
  const cache = settings.box ? cacheFolder(workspaceRoot, process.env) : null;
  const mounted = [workspaceRoot, ...layout.writable, ...layout.visible, ...(cache ? [cache, realOr(cache)] : [])];
  return { privateRoots: BUBBLEWRAP_PRIVATE_ROOTS, mounted: [...new Set(mounted)] };
}

/** Availability found so far, by the detection's (cached) promise: a promise cannot be read without waiting. */
const settled = new WeakMap<Promise<Availability>, Availability>();

function availabilityKnownNow(): Availability | null {
  const pending = sandboxAvailability();
  const known = settled.get(pending);
  if (known) return known;
  pending.then((found) => settled.set(pending, found), () => undefined);
  return null;
}

/** The sandbox view for exact answers from the first command on: waits for the (cached) sandbox detection. */
export async function policySandboxView(ctx: ActionContext, workspaceRoot: string): Promise<SandboxView | null> {
  if (ctx.config.sandbox.mode === "off" || process.platform !== "linux") return null;
  const pending = sandboxAvailability();
  const found = await pending;
  settled.set(pending, found);
  return sandboxViewOf(ctx, workspaceRoot, found);
}

/**
 * The sandbox view without waiting: the detection's answer once a command of this process
 * has seen it come (the first one may not have); until then only what is certain.
 */
function policySandboxViewNow(ctx: ActionContext, workspaceRoot: string): SandboxView | null {
  if (ctx.config.sandbox.mode === "off" || process.platform !== "linux") return null;
  return sandboxViewOf(ctx, workspaceRoot, availabilityKnownNow());
}

export const DO_NOT_GET_AROUND =
  "Do not try to get around it. If this is really intended, tell the user what the command does and ask them to run it themselves in their own terminal (or to add an explicit allow to the policy in the tool's config).";

/** The 403 for a refused command line, or refused input to a shell: names the rule, and says not to work around it. */
export function blockedByPolicy(rule: string, reason: string, options: { hint?: string; details?: Record<string, unknown> } = {}): ActionError {
  return new ActionError(
    "BLOCKED_BY_POLICY",
    `Blocked by the command policy, rule "${rule}": ${reason}. The policy is a guardrail against destructive commands, not a sandbox.`,
    { hint: options.hint ?? DO_NOT_GET_AROUND, details: { rule, ...options.details } },
  );
}

/** Under local approvals the owner approves each command; a shell fed through stdin would run every later line unseen. */
export const OPEN_STDIN_SHELL_RULE = "open-stdin-shell-local-approvals";

export function openStdinShellRefusal(): ActionError {
  return blockedByPolicy(
    OPEN_STDIN_SHELL_RULE,
    'this command starts a shell that reads its commands from stdin (stdin: "open"); with local approvals the owner approves each command, and lines typed into the shell would run without their approval',
    { hint: 'Run each command through exec_command on its own (stdin closed), so the owner sees and approves it. An interactive program that is not a shell can still be started with stdin: "open".' },
  );
}

