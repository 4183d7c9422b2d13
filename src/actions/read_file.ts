import { z } from "zod";
import { ActionError } from "../core/errors.js";
import { defineAction } from "./define.js";

// PLACEHOLDER: replaced by the issue that implements read_file.
export default defineAction({
  name: "read_file",
  operationId: "readFile",
  summary: "read_file (not implemented yet).",
  readOnly: true,
  consequential: false,
  destructive: false,
  input: z.object({}),
  output: z.object({}),
  handler: async () => {
    throw new ActionError("INTERNAL", "read_file is not implemented yet");
  },
});
