import { z } from "zod";
import { ActionError } from "../core/errors.js";
import { defineAction } from "./define.js";

// PLACEHOLDER: replaced by the issue that implements apply_patch.
export default defineAction({
  name: "apply_patch",
  operationId: "applyPatch",
  summary: "apply_patch (not implemented yet).",
  readOnly: false,
  consequential: false,
  destructive: false,
  input: z.object({}),
  output: z.object({}),
  handler: async () => {
    throw new ActionError("INTERNAL", "apply_patch is not implemented yet");
  },
});
