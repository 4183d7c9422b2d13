import { z } from "zod";
import { LIMITS } from "../ground/limits.js";
import { boundedNumberWithDefault } from "../exec/bounds.js";

export const { default: DEFAULT_CHARS, min: MIN_CHARS, max: MAX_CHARS } = LIMITS.answerChars;

/**
 * The `max_chars` input of a reading action: below the minimum is 400, above
 * the maximum is clamped (the rule of every bounded number, contract §6).
 * `what` names what the characters are spent on ("file content", "matches").
 */
export function maxCharsInput(what: string) {
  return boundedNumberWithDefault(MIN_CHARS, MAX_CHARS, DEFAULT_CHARS, { int: true }).describe(
    `Characters of ${what} this answer may spend (default ${DEFAULT_CHARS}, at least ${MIN_CHARS}, max ${MAX_CHARS}; larger values are clamped). A cut answer names the call that continues it in next_call; ask for more only when a part will not do.`,
  );
}

/** The answer field every reading action sets when it cut its content. */
export const NextCallField = z
  .string()
  .optional()
  .describe('Set when this answer was cut: the exact call that continues it, action name then JSON arguments, e.g. read_file {"path": "a.ts", "start_line": 812}.');
