/** A test-only action for the request-path tests: read-only, asks nothing, served by listen({ actions }). */
import type { z } from "zod";
import { defineAction, type ActionDefinition, type AnyAction } from "../../src/actions/define.js";

export function probeAction<I extends z.ZodType, O extends z.ZodType>(name: string, input: I, output: O, handler: ActionDefinition<I, O>["handler"]): AnyAction {
  return defineAction({ name, summary: "test only", readOnly: true, consequential: false, destructive: false, input, output, handler }) as unknown as AnyAction;
}
