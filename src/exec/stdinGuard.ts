import type { ShellInput } from "../policy/shellProgram.js";
import type { Job } from "./job.js";

/**
 * What exec_command learned about a job with open stdin: the checker for its
 * shell's input, or null when no shell reads that stdin. write_stdin asks it
 * before a byte reaches the program.
 */
const guards = new WeakMap<Job, ShellInput | null>();

export function rememberShellInput(job: Job, input: ShellInput | null): void {
  guards.set(job, input);
}

/** undefined: the job was never looked at (write_stdin then reads its command itself). */
export function shellInputOf(job: Job): ShellInput | null | undefined {
  return guards.get(job);
}
