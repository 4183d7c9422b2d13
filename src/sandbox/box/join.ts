import { homedir } from "node:os";
import type { ActionContext } from "../../core/context.js";
import { ActionError } from "../../ground/errors.js";
import type { BoxLaunch } from "../../exec/job.js";
import { guardedPaths } from "../policy.js";
import type { BoxPlan } from "../plan.js";
import type { SandboxSettings } from "../types.js";
import type { Box } from "./box.js";
import { boxes, type Boxes } from "./boxes.js";

/** A command's seat in its workspace's box. */
export interface Joined {
  box: Box;
  /** Set when the box had to be started anew although the workspace had one (crash, idle end, changed mounts). */
  note?: string;
  /** The variables a job's command gets in the box: proxy credentials and the cache home. */
  envFor(jobId: string): Record<string, string>;
  launch(jobId: string): BoxLaunch;
  /** The job never started: its credentials end now. */
  abandon(jobId: string): void;
}

/** Where the loopback of a box reaches the proxy: only names on the box's own loopback skip it. */
const NO_PROXY = "localhost,127.0.0.1,::1";

export async function joinBox(ctx: ActionContext, input: { workspace: string; plan: BoxPlan; settings: SandboxSettings; configHome: string }): Promise<Joined> {
  const table = boxes(ctx.resources, () => ctx.config.sandbox.box_idle_minutes);
  let acquired;
  try {
    acquired = await table.acquire({
      workspace: input.workspace,
      policy: input.plan.policy,
      settings: input.settings,
      program: input.plan.program,
      features: input.plan.features,
      guarded: guardedPaths({ workspace: input.workspace, home: homedir(), configHome: input.configHome, hide: input.settings.hide, env: process.env }),
    });
  } catch (error) {
    throw new ActionError("INTERNAL", `the workspace's sandbox could not start: ${(error as Error).message}`, {
      hint: "Try again; if it keeps failing the user can run `chatgpt-codex sandbox status` and `chatgpt-codex doctor` on the computer, or set sandbox.box to false (a fresh sandbox per command).",
    });
  }
  const { box } = acquired;
  return {
    box,
    ...(acquired.note ? { note: acquired.note } : {}),
    envFor: (jobId) => boxEnvironment(table, box, jobId, input.plan, input.settings),
    launch: (jobId) => ({
      jobId,
      id: box.id,
      startedAt: box.startedAt,
      start: (request) => box.spawn(request),
      onGone: () => table.revoke(jobId),
      egress: () => table.report(jobId),
      onForget: () => table.forgetReport(jobId),
    }),
    abandon: (jobId) => table.revoke(jobId),
  };
}

/**
 * The environment a command gets in its box, on top of the user's:
 * - the tool caches in the box's own home (npm, pip, yarn, pnpm, cargo, go), never the user's;
 * - the egress proxy with this job's own credentials, for every client that reads the usual
 *   variables (curl, wget, git, pip, npm, go, cargo; Node's own fetch/http with
 *   NODE_USE_ENV_PROXY, set only for a command that has network: Node 22 prints an
 *   "experimental" warning for it). A program that ignores them has no network at all.
 */
function boxEnvironment(table: Boxes, box: Box, jobId: string, plan: BoxPlan, settings: SandboxSettings): Record<string, string> {
  const env: Record<string, string> = {};
  const home = box.options.cacheHome;
  if (home) {
    Object.assign(env, {
      XDG_CACHE_HOME: `${home}/cache`,
      XDG_DATA_HOME: `${home}/data`,
      npm_config_cache: `${home}/npm`,
      YARN_CACHE_FOLDER: `${home}/yarn`,
      CARGO_HOME: `${home}/cargo`,
      GOPATH: `${home}/go`,
      PIP_CACHE_DIR: `${home}/cache/pip`,
    });
  }
  env.npm_config_update_notifier = "false";
  if (box.options.hostNetwork || box.bridgePort === 0) return env;
  const { user, pass } = table.grant(jobId, plan.reach, settings.allow_hosts);
  const auth = `${encodeURIComponent(user)}:${encodeURIComponent(pass)}`;
  const http = `http://${auth}@127.0.0.1:${box.bridgePort}`;
  const socks = `socks5h://${auth}@127.0.0.1:${box.bridgePort}`;
  Object.assign(env, {
    HTTP_PROXY: http,
    HTTPS_PROXY: http,
    http_proxy: http,
    https_proxy: http,
    ALL_PROXY: socks,
    all_proxy: socks,
    NO_PROXY,
    no_proxy: NO_PROXY,
    npm_config_proxy: http,
    npm_config_https_proxy: http,
    npm_config_noproxy: NO_PROXY,
    PIP_PROXY: http,
    GIT_HTTP_PROXY_AUTHMETHOD: "basic",
  });
  if (plan.reach !== "none") env.NODE_USE_ENV_PROXY = "1";
  return env;
}
