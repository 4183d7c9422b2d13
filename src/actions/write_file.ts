import { z } from "zod";
import { ActionError } from "../core/errors.js";
import { defineAction } from "./define.js";

// PLACEHOLDER: replaced by the issue that implements write_file.
export default defineAction({
  name: "write_file",
  operationId: "writeFile",
  summary: "write_file (not implemented yet).",
  readOnly: false,
  consequential: false,
  destructive: false,
  input: z.object({}),
  output: z.object({}),
  handler: async () => {
    throw new ActionError("INTERNAL", "write_file is not implemented yet");
  },
});
