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
  /** Default of x-openai-isConsequential; the user may relax it in config. See actionEffects. */
  consequential: boolean;
  /** Can destroy or overwrite work. Both faces read these flags through actionEffects. */
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

/**
 * What a call may do, as every face states it. The default of OpenAPI's
 * `x-openai-isConsequential` and the MCP tool annotations both come from this
 * one function, so the GPT and an MCP client are never told different things.
 * The user's `consequential` overrides in config change only whether the GPT
 * asks; they do not change what an action does, so the MCP hints ignore them.
 */
export interface ActionEffects {
  /** Changes nothing (MCP readOnlyHint). Never true for an action the GPT asks about. */
  readOnly: boolean;
  /** The GPT asks before each call unless the user relaxed it (x-openai-isConsequential). */
  consequential: boolean;
  /**
   * May delete or overwrite work, or run anything (MCP destructiveHint): true for
   * every action the GPT asks about, so an MCP client asks about the same ones.
   * write_stdin is one: text typed into a shell runs as a command.
   */
  destructive: boolean;
  /** A second identical call changes nothing more (MCP idempotentHint). */
  idempotent: boolean;
  /** May reach hosts beyond this computer (MCP openWorldHint). */
  openWorld: boolean;
}

/**
 * Changing actions that set a state rather than add to it: the active workspace,
 * a job stopped. Repeated, they find it already so. (Not restore_checkpoint: each
 * call records a new checkpoint first.)
 */
const SETS_A_STATE = new Set(["switch_workspace", "kill_command"]);
/**
 * Actions that run what the model wrote (a command line, or text typed into a
 * running program): with `network: true` or `sandbox.network` on or allowlist
 * the program can reach the internet. Every other action stays on this computer.
 */
const RUNS_PROGRAMS = new Set(["exec_command", "write_stdin"]);

export function actionEffects(action: Pick<AnyAction, "name" | "readOnly" | "consequential" | "destructive">): ActionEffects {
  // A destructive action is asked about by default, whatever its definition forgot to say.
  const consequential = action.consequential || action.destructive;
  const readOnly = action.readOnly && !consequential;
  return {
    readOnly,
    consequential,
    destructive: consequential,
    idempotent: readOnly || (!consequential && SETS_A_STATE.has(action.name)),
    openWorld: RUNS_PROGRAMS.has(action.name),
  };
}
