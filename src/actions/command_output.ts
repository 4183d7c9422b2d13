import { z } from "zod";
import { ActionError } from "../core/errors.js";
import { defineAction } from "./define.js";

// PLACEHOLDER: replaced by the issue that implements command_output.
export default defineAction({
  name: "command_output",
  operationId: "getCommandOutput",
  summary: "command_output (not implemented yet).",
  readOnly: false,
  consequential: false,
  destructive: false,
  input: z.object({}),
  output: z.object({}),
  handler: async () => {
    throw new ActionError("INTERNAL", "command_output is not implemented yet");
  },
});
