import { z } from "zod";
import { activeWorkspace } from "../core/context.js";
import { defineAction } from "./define.js";

export default defineAction({
  name: "list_workspaces",
  summary: "List the workspaces (project folders) the user registered, and which one is active.",
  readOnly: true,
  consequential: false,
  destructive: false,
  input: z.object({}),
  output: z.object({
    active_workspace: z.string(),
    workspaces: z.array(z.object({ name: z.string(), path: z.string(), active: z.boolean() })),
  }),
  example: {},
  handler: async (_input, ctx) => {
    const active = activeWorkspace(ctx.config);
    return {
      active_workspace: active.name,
      workspaces: ctx.config.workspaces.map((w) => ({ name: w.name, path: w.path, active: w.name === active.name })),
    };
  },
});
