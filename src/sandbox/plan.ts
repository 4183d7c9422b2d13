import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ActionError } from "../ground/errors.js";
import { sandboxAvailability } from "./detect.js";
import { messages } from "./messages.js";
import type { GitLayout } from "./facts/gitLayout.js";
import { shellLaunchArgs } from "./launch.js";
import { buildPolicy } from "./policy.js";
import { seatbeltArgs } from "./seatbelt.js";
import { bwrapArgs, FULL_FEATURES, type BwrapFeatures } from "./bwrap.js";
import type { Reach } from "./box/boxes.js";
import type { NetworkMode, SandboxInfo, SandboxPolicy, SandboxSettings } from "./types.js";

/** What a job needs to know about its sandbox after it started (answers, hints, audit). */
export interface SandboxRun {
  info: SandboxInfo;
  /** Said in every answer when there is no sandbox. */
  note?: string;
  /** Hidden paths, for the hint when a command trips over one. */
  hidden: string[];
  networkMode: NetworkMode;
  /** Said once when this command had to start the workspace's box anew (crash, idle end, changed mounts). */
  boxNote?: string;
}

/** How to start one command: the program and its arguments, and what the sandbox is. */
export interface ExecPlan {
  file: string;
  args: string[];
  /** Variables to set on top of the command's environment. */
  env: Record<string, string>;
  run: SandboxRun;
  policy: SandboxPolicy | null;
  /** Call when the command has ended: removes git pointer files a command planted; returns their paths. */
  afterRun(): string[];
  /** Set when the command joins the workspace's box (bubblewrap, sandbox.box on) instead of running file/args. */
  box?: BoxPlan;
}

export interface BoxPlan {
  program: string;
  features: BwrapFeatures;
  /** The box's mounts (network is the proxy's business: see reach). */
  policy: SandboxPolicy;
  /** What the command may reach through the egress proxy (unused under network "on": the box has the host's network). */
  reach: Reach;
  /** What the box's agent starts: the shell with the launch prelude (no bwrap: the box is the sandbox). */
  command: { file: string; args: string[] };
}

/** What a command may reach: config sandbox.network and the call's `network` field. */
export function reachOf(settings: SandboxSettings, networkRequested: boolean): Reach {
  if (settings.network === "on") return "all";
  if (settings.network === "off") return "none";
  if (networkRequested) return "all";
  return settings.network === "allowlist" ? "allowlist" : "none";
}

export interface PlanInput {
  command: string;
  /** The shell (bash) that runs the command line. */
  shell: string;
  cwd: string;
  workspace: string;
  home: string;
  configHome: string;
  settings: SandboxSettings;
  /** exec_command's `network` field. */
  networkRequested: boolean;
  /** The workspace's git layout as recorded at the owner's last act (null: none recorded). */
  layout: GitLayout | null;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
}

/**
 * Decide how a command runs. Throws 403 BLOCKED_BY_POLICY for `network: true`
 * under sandbox.network "off", and when sandbox.mode is "required" but there is
 * no sandbox here.
 */
export async function planCommand(input: PlanInput): Promise<ExecPlan> {
  const { settings } = input;
  if (input.networkRequested && settings.network === "off") {
    throw new ActionError("BLOCKED_BY_POLICY", messages.networkOffRefused, { hint: messages.networkOffHint, details: { rule: "sandbox-network-off" } });
  }
  const shellArgs = shellLaunchArgs(input.shell, input.command, { maxProcesses: settings.max_processes });
  const unsandboxed = (note: string): ExecPlan => ({
    file: input.shell,
    args: shellArgs,
    env: {},
    run: { info: { active: false, kind: "none", network: true }, note, hidden: [], networkMode: settings.network },
    policy: null,
    afterRun: () => [],
  });
  if (settings.mode === "off") return unsandboxed(`${messages.answerNoSandbox} ${messages.offByConfig}`);
  const available = await sandboxAvailability(input.env, input.platform);
  if (!available.available) {
    const reason = available.reason ?? "unknown";
    if (settings.mode === "required") {
      throw new ActionError("BLOCKED_BY_POLICY", messages.requiredRefused(reason, available.fix), {
        hint: messages.requiredHint(available.fix),
        details: { rule: "sandbox-required", ...(available.fix ? { fix: available.fix } : {}) },
      });
    }
    return unsandboxed(`${messages.answerNoSandbox} ${messages.unavailableAuto(reason, available.fix)}`);
  }
  const reach = reachOf(settings, input.networkRequested);
  const network = reach !== "none";
  const policy = buildPolicy({
    workspace: input.workspace,
    cwd: input.cwd,
    home: input.home,
    configHome: input.configHome,
    hide: settings.hide,
    network,
    env: input.env,
    layout: input.layout,
  });
  const warning = policy.untrustedGit ? messages.untrustedGitPointer(policy.untrustedGit) : undefined;
  const run: SandboxRun = {
    info: { active: true, kind: available.kind, network, ...(warning ? { warning } : {}) },
    hidden: policy.hidden.flatMap((h) => (h.written ? [h.written, h.path] : [h.path])),
    networkMode: settings.network,
  };
  const removePlanted = () => {
    const planted = policy.mustNotAppear.filter((path) => existsSync(path));
    for (const path of planted) rmSync(path, { recursive: true, force: true });
    return planted;
  };
  if (available.kind === "seatbelt") {
    const tmp = mkdtempSync(join(tmpdir(), "cgc-sandbox-"));
    return {
      file: available.program!,
      args: seatbeltArgs(policy, tmp, { file: input.shell, args: shellArgs }),
      env: { TMPDIR: tmp },
      run,
      policy,
      afterRun: () => {
        rmSync(tmp, { recursive: true, force: true });
        return removePlanted();
      },
    };
  }
  // Per command, bwrap's own network is the host's or none; "allowlist" needs the box's proxy.
  const perCommand = { ...policy, network: settings.network === "on" || (reach === "all" && !settings.box) };
  if (!settings.box && reach === "allowlist") run.info.network = false;
  return {
    file: available.program!,
    args: bwrapArgs(perCommand, { file: input.shell, args: shellArgs }, available.features, { tmpBytes: settings.tmp_size_mb * 1024 * 1024 }),
    env: {},
    run,
    policy,
    afterRun: removePlanted,
    ...(settings.box ? { box: { program: available.program!, features: available.features ?? FULL_FEATURES, policy, reach, command: { file: input.shell, args: shellArgs } } } : {}),
  };
}
