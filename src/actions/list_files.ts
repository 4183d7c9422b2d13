import { z } from "zod";
import { ActionError } from "../core/errors.js";
import { defineAction } from "./define.js";

// PLACEHOLDER: replaced by the issue that implements list_files.
export default defineAction({
  name: "list_files",
  operationId: "listFiles",
  summary: "list_files (not implemented yet).",
  readOnly: true,
  consequential: false,
  destructive: false,
  input: z.object({}),
  output: z.object({}),
  handler: async () => {
    throw new ActionError("INTERNAL", "list_files is not implemented yet");
  },
});
