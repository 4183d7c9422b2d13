import { z } from "zod";
import { accessState, publicAccess } from "../access/state.js";
import type { Config } from "../config/schema.js";
import { activeWorkspace } from "../core/context.js";
import { gitSummaryCached } from "../git/run.js";

/** Schemas shared by several actions' outputs. */
export const AccessView = z.object({
  active: z.boolean(),
  expires_at: z.string().nullable(),
  reason: z.string().nullable(),
});

export const WorkspaceStatusOutput = z.object({
  active_workspace: z.string().describe("Name of the workspace every path is relative to."),
  path: z.string().describe("Absolute folder of the active workspace on the user's computer."),
  workspaces: z.array(z.object({ name: z.string(), active: z.boolean() })),
  git: z.object({ branch: z.string().nullable(), dirty_files: z.number().int().nonnegative() }).nullable(),
  access: AccessView,
});

/** Build the workspace_status answer (also returned by switch_workspace). */
export async function workspaceStatus(config: Config): Promise<z.input<typeof WorkspaceStatusOutput>> {
  const active = activeWorkspace(config);
  return {
    active_workspace: active.name,
    path: active.root,
    workspaces: config.workspaces.map((w) => ({ name: w.name, active: w.name === active.name })),
    git: await gitSummaryCached(active.root),
    access: publicAccess(accessState(config)),
  };
}
