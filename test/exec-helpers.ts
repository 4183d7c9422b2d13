/** Helpers for the exec tests: the process table, and polling a job to its end. */
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { comesTrue, type Reply, type TestServer } from "./helpers.js";

/** Pids whose process group is `pgid`, read from the process table (/proc, or ps where there is none). */
export function groupMembers(pgid: number): number[] {
  try {
    const members: number[] = [];
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
        // Fields after the command name (which may hold spaces) start after the last ')'.
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        if (Number(fields[2]) === pgid && fields[0] !== "Z") members.push(Number(entry));
      } catch {
        // the process ended while we looked
      }
    }
    return members;
  } catch {
    const table = execFileSync("ps", ["-A", "-o", "pid=,pgid="], { encoding: "utf8" });
    return table
      .split("\n")
      .map((line) => line.trim().split(/\s+/).map(Number))
      .filter(([pid, group]) => group === pgid && pid !== undefined)
      .map(([pid]) => pid!);
  }
}

/** Wait (bounded) until the group has no live member. */
export function groupGone(pgid: number, timeoutMs = 15_000): Promise<boolean> {
  return comesTrue(() => groupMembers(pgid).length === 0, timeoutMs);
}

/** Call command_output until the job is no longer running (bounded), collecting stdout. */
export async function followJob(server: TestServer, jobId: string, maxCalls = 30): Promise<{ last: Reply; stdout: string; calls: number }> {
  let stdout = "";
  for (let calls = 1; calls <= maxCalls; calls++) {
    const last = await server.post("command_output", { job_id: jobId, wait_seconds: 2 });
    if (last.status !== 200) return { last, stdout, calls };
    stdout += last.json.stdout;
    if (last.json.status !== "running" && !last.json.has_more_output) return { last, stdout, calls };
  }
  throw new Error(`job ${jobId} still running after ${maxCalls} reads`);
}

/** The first line of output that is a number: the shell's pid, which is its process group. */
export function firstPid(text: string): number {
  const match = /^(\d+)$/m.exec(text);
  if (!match) throw new Error(`no pid in output: ${JSON.stringify(text)}`);
  return Number(match[1]);
}

/** Read stdout (through command_output) until a pid line shows up. */
export async function pidOf(server: TestServer, first: Reply): Promise<number> {
  let text = first.json.stdout as string;
  await comesTrue(async () => {
    if (/^\d+$/m.test(text)) return true;
    text += (await server.post("command_output", { job_id: first.json.job_id, wait_seconds: 0 })).json.stdout;
    return /^\d+$/m.test(text);
  });
  return firstPid(text);
}
