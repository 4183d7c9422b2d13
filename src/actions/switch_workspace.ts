import { z } from "zod";
import { ActionError } from "../ground/errors.js";
import { defineAction } from "./define.js";
import { WorkspaceStatusOutput, workspaceStatus } from "./shared.js";

export default defineAction({
  name: "switch_workspace",
  summary:
    "Make another registered workspace the active one (by name, see list_workspaces). Only workspaces the user registered on the computer can be chosen.",
  readOnly: false,
  consequential: false,
  destructive: false,
  input: z.object({
    name: z.string().min(1).max(64).describe("Name of a registered workspace, as listed by list_workspaces."),
  }),
  output: WorkspaceStatusOutput,
  handler: async (input, ctx) => {
    if (!ctx.config.workspaces.some((w) => w.name === input.name)) {
      throw new ActionError("NOT_FOUND", `no registered workspace is named "${input.name}"`, {
        hint: "Call list_workspaces to see the names; new workspaces are added by the user on the computer.",
      });
    }
    ctx.audit.detail = { to: input.name };
    const saved = ctx.store.update((config) => {
      config.active_workspace = input.name;
    });
    return workspaceStatus(saved);
  },
});
