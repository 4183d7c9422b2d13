import { z } from "zod";
import { ActionError } from "../core/errors.js";
import { defineAction } from "./define.js";

// PLACEHOLDER: replaced by the issue that implements git_diff.
export default defineAction({
  name: "git_diff",
  operationId: "gitDiff",
  summary: "git_diff (not implemented yet).",
  readOnly: true,
  consequential: false,
  destructive: false,
  input: z.object({}),
  output: z.object({}),
  handler: async () => {
    throw new ActionError("INTERNAL", "git_diff is not implemented yet");
  },
});
