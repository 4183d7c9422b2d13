import { z } from "zod";
import { ActionError } from "../core/errors.js";
import { defineAction } from "./define.js";

// PLACEHOLDER: replaced by the issue that implements exec_command.
export default defineAction({
  name: "exec_command",
  operationId: "execCommand",
  summary: "exec_command (not implemented yet).",
  readOnly: false,
  consequential: false,
  destructive: false,
  input: z.object({}),
  output: z.object({}),
  handler: async () => {
    throw new ActionError("INTERNAL", "exec_command is not implemented yet");
  },
});
