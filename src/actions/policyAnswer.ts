import { realpathSync } from "node:fs";
import { homedir } from "node:os";
import type { ActionContext } from "../core/context.js";
import { ActionError } from "../core/errors.js";
import type { PolicyOptions } from "../policy/checkCommand.js";

/** What the command policy is told about a command of this request (exec_command, and the input of a shell it started). */
export function commandPolicyOptions(ctx: ActionContext, workspaceRoot: string, cwd: string, env: Record<string, string>): PolicyOptions {
  return {
    workspaceRoot,
    cwd,
    home: homedir(),
    configHome: realOrSame(ctx.store.home),
    env,
    policy: ctx.config.policy,
  };
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

export function realOrSame(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
