import { z } from "zod";
import { ActionError } from "../core/errors.js";
import { defineAction } from "./define.js";

// PLACEHOLDER: replaced by the issue that implements kill_command.
export default defineAction({
  name: "kill_command",
  operationId: "killCommand",
  summary: "kill_command (not implemented yet).",
  readOnly: false,
  consequential: false,
  destructive: false,
  input: z.object({}),
  output: z.object({}),
  handler: async () => {
    throw new ActionError("INTERNAL", "kill_command is not implemented yet");
  },
});
