import { z } from "zod";
import { ActionError } from "../core/errors.js";
import { defineAction } from "./define.js";

// PLACEHOLDER: replaced by the issue that implements git_status.
export default defineAction({
  name: "git_status",
  operationId: "gitStatus",
  summary: "git_status (not implemented yet).",
  readOnly: true,
  consequential: false,
  destructive: false,
  input: z.object({}),
  output: z.object({}),
  handler: async () => {
    throw new ActionError("INTERNAL", "git_status is not implemented yet");
  },
});
