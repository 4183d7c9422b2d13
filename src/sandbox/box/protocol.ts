/**
 * The box's wire: frames between the server and the agent that runs inside a
 * workspace's box, over the agent's stdin (server → agent) and stdout (agent →
 * server). A frame is a 4-byte big-endian length and that many bytes of JSON.
 *
 * The agent shares the box with the commands it starts, so whatever it sends is
 * treated as untrusted: frames are size-capped, unknown frames are ignored, and
 * a stream that breaks the framing ends the box.
 *
 * This file is also loaded inside the box by the agent: it imports nothing of the project.
 */

/** The largest frame either side accepts (output chunks are far smaller). */
export const MAX_FRAME_BYTES = 1024 * 1024;

/** The variable every command of a job carries: how processes that left its session are still found. */
export const JOB_VARIABLE = "BOX_JOB_ID";

export interface Proc {
  pid: number;
  /** The job the process belongs to (its environment or session says so), or null. */
  job: string | null;
  command: string;
}

export type ToAgent =
  | { t: "spawn"; id: string; file: string; args: string[]; cwd: string; env: Record<string, string>; stdin: boolean }
  | { t: "stdin"; id: string; data: string; end?: boolean }
  | { t: "signal"; id: string; signal: "SIGTERM" | "SIGKILL"; /** Only the processes the shell left (not its own group): false = all of the job's. */ backgroundOnly?: boolean }
  | { t: "watch"; id: string }
  | { t: "ps"; req: number }
  | { t: "shutdown" };

export type FromAgent =
  | { t: "ready"; port: number; pid: number }
  | { t: "spawned"; id: string; pid: number }
  | { t: "spawn_error"; id: string; message: string }
  | { t: "out"; id: string; fd: 1 | 2; data: string }
  | { t: "exit"; id: string; code: number | null; signal: string | null; background: Proc[] }
  | { t: "closed"; id: string }
  | { t: "gone"; id: string }
  | { t: "ps"; req: number; procs: Proc[]; tmp_bytes: number | null };

export function encodeFrame(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message), "utf8");
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length, 0);
  return Buffer.concat([head, body]);
}

/** Splits a byte stream into frames; throws on a frame over the cap or bad JSON. */
export class FrameReader {
  private buffered: Buffer[] = [];
  private size = 0;

  constructor(private readonly onFrame: (message: unknown) => void) {}

  push(chunk: Buffer): void {
    this.buffered.push(chunk);
    this.size += chunk.length;
    while (this.size >= 4) {
      const all = this.buffered.length === 1 ? this.buffered[0]! : Buffer.concat(this.buffered);
      this.buffered = [all];
      const length = all.readUInt32BE(0);
      if (length > MAX_FRAME_BYTES) throw new Error(`frame of ${length} bytes is over the ${MAX_FRAME_BYTES}-byte cap`);
      if (all.length < 4 + length) return;
      const body = all.subarray(4, 4 + length);
      const rest = all.subarray(4 + length);
      this.buffered = rest.length > 0 ? [rest] : [];
      this.size = rest.length;
      this.onFrame(JSON.parse(body.toString("utf8")) as unknown);
    }
  }
}
