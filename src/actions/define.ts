import { z } from "zod";
import type { ActionContext } from "../core/context.js";
import type { CheckpointSpec } from "../checkpoints/hook.js";

/**
 * One action, declared once. Every face is derived from this: the HTTP route,
 * the OpenAPI operation, the MCP tool and the smoke client.
 */
export interface ActionDefinition<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  /**
   * The action's one name, snake_case: `read_file`. It is the path (without
   * the slash), the OpenAPI operationId and the MCP tool name, so the model
   * meets a single name in the schema, the instructions and every message.
   */
  name: string;
  /** One line, at most 300 characters, written for the model. */
  summary: string;
  /** Reads only: no file, workspace or process changes (switch_workspace counts as not read-only but safe). */
  readOnly: boolean;
  /** Default of x-openai-isConsequential; the user may relax it in config. */
  consequential: boolean;
  /** Can destroy or overwrite work (MCP destructiveHint). */
  destructive: boolean;
  input: I;
  output: O;
  /**
   * What to do when a string field is over its maxLength (say, how to send a
   * long file in parts); the 400 answer carries it as its hint.
   */
  tooLongHint?: string;
  handler: (input: z.output<I>, ctx: ActionContext) => Promise<z.input<O>>;
  /**
   * A request the smoke client can send in a fresh temporary workspace (see
   * api-smoke): it must succeed there. Omit only for actions whose success
   * needs an earlier result; then `smoke` builds it.
   */
  example?: z.input<I>;
  /**
   * Checkpoint the workspace before the handler runs (src/checkpoints/); the
   * answer then carries `checkpoint: "<id>"`. Set on actions that change files.
   */
  checkpoint?: CheckpointSpec<z.output<I>>;
}

/** Identity helper that keeps the input/output types tied to the handler. */
export function defineAction<I extends z.ZodType, O extends z.ZodType>(
  definition: ActionDefinition<I, O>,
): ActionDefinition<I, O> {
  if (definition.checkpoint && definition.output instanceof z.ZodObject) {
    // The answer's `checkpoint` field is documented from the same schema as the rest.
    const output = definition.output.extend({ checkpoint: CHECKPOINT_FIELD }) as unknown as O;
    return { ...definition, output };
  }
  return definition;
}

const CHECKPOINT_FIELD = z
  .string()
  .nullish()
  .describe("Id of the checkpoint taken just before this action (the files as they were); restore_checkpoint with it undoes the action.");

export type AnyAction = ActionDefinition<z.ZodType, z.ZodType>;
