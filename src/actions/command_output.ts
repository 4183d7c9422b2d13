import { z } from "zod";
import { approvalQueue, heldCommand, heldView } from "../approvals/held.js";
import { ActionError } from "../ground/errors.js";
import { boundedNumber, boundedNumberWithDefault } from "../exec/bounds.js";
import { DEFAULT_OUTPUT_CHARS, JobOutput, MAX_OUTPUT_CHARS, MIN_OUTPUT_CHARS, viewJob, viewLines, viewPattern } from "../exec/jobView.js";
import { DEFAULT_WAIT_SECONDS, MAX_WAIT_SECONDS, QUIET_MS, IDLE_MS, findJob, waitMs } from "../exec/jobs.js";
import { MAX_PATTERN_CHARS, checkPattern } from "../exec/search.js";
import { defineAction } from "./define.js";

export const MAX_CONTEXT_LINES = 20;
/** Line numbers above this are clamped to it (no output has that many lines). */
const MAX_LINE_NUMBER = 1_000_000_000;

export default defineAction({
  name: "command_output",
  summary:
    "Status and output of a command started by exec_command (job_id): new output, or lines by number (start_line/end_line), or lines matching a regex (pattern) with context. On a failure: look at highlights, then read around them with pattern or start_line.",
  readOnly: true,
  consequential: false,
  destructive: false,
  input: z.object({
    job_id: z.string().min(1).describe("The job_id exec_command returned."),
    wait_seconds: boundedNumber(0, MAX_WAIT_SECONDS)
      .optional()
      .describe(
        `How long to wait for a running command to finish before answering (default ${DEFAULT_WAIT_SECONDS}; 0 for start_line/end_line/pattern reads; max ${MAX_WAIT_SECONDS}, larger values are clamped). A job with open stdin answers as soon as it printed something and went quiet.`,
      ),
    from_start: z.boolean().default(false).describe("true: show the output from the beginning instead of only what is new since the previous read (still head + tail when long)."),
    start_line: boundedNumber(1, MAX_LINE_NUMBER, { int: true })
      .optional()
      .describe("Read the output by line number: first line (1-based, stdout and stderr numbered together as in highlights). Answers numbered lines in output, up to max_chars; continue with next_start_line."),
    end_line: boundedNumber(1, MAX_LINE_NUMBER, { int: true }).optional().describe("Last line to read (inclusive); default: the end of the output."),
    pattern: z
      .string()
      .min(1)
      .max(MAX_PATTERN_CHARS)
      .optional()
      .describe('JavaScript regular expression, case-insensitive, matched against each line (e.g. "not ok|FAIL|Error:"). Answers the matching lines with context_lines around each, numbered; continue with next_start_line. Combine with start_line/end_line to search a part.'),
    context_lines: boundedNumberWithDefault(0, MAX_CONTEXT_LINES, 2, { int: true }).describe(`Lines shown before and after each pattern match (default 2, max ${MAX_CONTEXT_LINES}).`),
    max_chars: boundedNumberWithDefault(MIN_OUTPUT_CHARS, MAX_OUTPUT_CHARS, DEFAULT_OUTPUT_CHARS, { int: true }).describe(
      `Characters of output this answer may spend (default ${DEFAULT_OUTPUT_CHARS}, max ${MAX_OUTPUT_CHARS}). Ask for more only when needed: a pattern or a line range usually finds what matters with less.`,
    ),
  }),
  output: JobOutput,
  handler: async (input, ctx) => {
    const held = heldCommand(ctx, input.job_id);
    if (held) {
      ctx.audit.command = held.command;
      if (held.status === "awaiting_approval") await approvalQueue(ctx.resources).wait(held.id, waitMs(ctx, input.wait_seconds ?? DEFAULT_WAIT_SECONDS), ctx.signal);
      // Approved meanwhile: it is a job now, read below like any other.
      if (held.status !== "started") return heldView(held);
    }
    const job = findJob(ctx, input.job_id);
    ctx.audit.command = job.command;
    ctx.audit.detail = { job_id: job.id, ...(input.pattern !== undefined ? { pattern: true } : {}), ...(input.start_line !== undefined ? { start_line: input.start_line } : {}) };
    if (input.pattern !== undefined) checkPattern(input.pattern);
    const explicit = input.pattern !== undefined || input.start_line !== undefined || input.end_line !== undefined;
    const wait = waitMs(ctx, input.wait_seconds ?? (explicit ? 0 : DEFAULT_WAIT_SECONDS));
    if (job.stdinMode === "open") await job.waitQuiet(wait, QUIET_MS, ctx.signal, IDLE_MS);
    else await job.wait(wait, ctx.signal);
    if (!explicit) return viewJob(job, { fromStart: input.from_start, budget: input.max_chars });
    const start = input.start_line ?? 1;
    if (input.end_line !== undefined && input.end_line < start) {
      throw new ActionError("BAD_REQUEST", `end_line (${input.end_line}) is before start_line (${start})`, {
        hint: "Lines are 1-based and inclusive: start_line ≤ end_line.",
      });
    }
    if (input.pattern !== undefined) {
      return viewPattern(job, {
        pattern: input.pattern,
        start,
        end: input.end_line,
        context: input.context_lines,
        budget: input.max_chars,
        timeLeftMs: ctx.deadline - Date.now() - 1_500,
      });
    }
    return viewLines(job, { start, end: input.end_line, budget: input.max_chars });
  },
});
