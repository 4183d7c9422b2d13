import { z } from "zod";
import { defineAction } from "./define.js";
import { WorkspaceStatusOutput, workspaceStatus } from "./shared.js";

export default defineAction({
  name: "workspace_status",
  summary:
    "Show the active workspace (the project folder every path is relative to), the other registered workspaces, its git branch and number of changed files, and whether access is active. Call this first.",
  readOnly: true,
  consequential: false,
  destructive: false,
  input: z.object({}),
  output: WorkspaceStatusOutput,
  example: {},
  handler: async (_input, ctx) => workspaceStatus(ctx.config),
});
