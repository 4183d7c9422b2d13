/**
 * Every limit ChatGPT imposes, in one place. Faces enforce them; actions read
 * them to cut their own output with a way to continue.
 */
export const LIMITS = {
  /** ChatGPT refuses an Action response of 100,000 characters or more. */
  responseChars: 100_000,
  /** What an action may spend on its payload, leaving room for the JSON envelope. */
  payloadChars: 90_000,
  /**
   * Longest string any action input takes (a field may say less): a model
   * cannot write more in one call anyway, and a bound keeps a runaway request
   * from being written. Longer content goes in parts (write_file mode "append").
   */
  inputStringChars: 100_000,
  /**
   * What a reading answer (read_file, search_text, list_files, git_diff,
   * checkpoint_diff) spends on content unless max_chars asks otherwise: the
   * model's context is the scarce resource, and every cut names the call that
   * continues. The same figures as command_output's output budget.
   */
  answerChars: { default: 24_000, min: 2_000, max: 80_000 },
  /** ChatGPT gives up after 45 s; every action answers before this. */
  answerWithinMs: 40_000,
  /** Default request body limit; configurable in config.server.body_limit_bytes. */
  bodyLimitBytes: 2 * 1024 * 1024,
  /** GPT Builder accepts at most 30 operations in one schema. */
  maxOperations: 30,
  operationSummaryChars: 300,
  propertyDescriptionChars: 700,
} as const;

/** Clamp a number into [min, max]: the contract clamps over-large limits instead of refusing them. */
export function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
