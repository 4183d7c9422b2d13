import { z } from "zod";
import { ActionError } from "../core/errors.js";
import { defineAction } from "./define.js";

// PLACEHOLDER: replaced by the issue that implements search_text.
export default defineAction({
  name: "search_text",
  operationId: "searchText",
  summary: "search_text (not implemented yet).",
  readOnly: true,
  consequential: false,
  destructive: false,
  input: z.object({}),
  output: z.object({}),
  handler: async () => {
    throw new ActionError("INTERNAL", "search_text is not implemented yet");
  },
});
