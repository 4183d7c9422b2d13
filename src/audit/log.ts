import { appendFileSync, chmodSync, existsSync, mkdirSync, renameSync, statSync } from "node:fs";
import { auditFile } from "../config/paths.js";

export interface AuditRecord {
  time: string;
  action: string;
  workspace: string | null;
  /** "ok" or the error code. */
  outcome: string;
  status: number;
  duration_ms: number;
  face: "http" | "mcp";
  paths?: string[];
  command?: string;
  detail?: Record<string, string | number | boolean>;
}

const DEFAULT_MAX_BYTES = 5 * 1024 * 1024;
const KEEP_ROTATED = 2;

/**
 * One JSON line per action in the private config folder. Records names,
 * outcomes and paths, never file contents or the token. Rotates by size:
 * audit.log → audit.log.1 → audit.log.2.
 */
export class AuditLog {
  readonly file: string;

  constructor(
    home: string,
    private readonly maxBytes = DEFAULT_MAX_BYTES,
  ) {
    this.file = auditFile(home);
  }

  write(record: AuditRecord): void {
    const line = `${JSON.stringify(record)}\n`;
    try {
      this.rotateIfNeeded(Buffer.byteLength(line));
      const fresh = !existsSync(this.file);
      if (fresh) mkdirSync(this.dirname(), { recursive: true, mode: 0o700 });
      appendFileSync(this.file, line, { mode: 0o600 });
      if (fresh && process.platform !== "win32") chmodSync(this.file, 0o600);
    } catch (error) {
      // An audit failure must not break the user's call; say so on stderr.
      process.stderr.write(`audit log write failed: ${(error as Error).message}\n`);
    }
  }

  private dirname(): string {
    return this.file.slice(0, this.file.lastIndexOf("/")) || "/";
  }

  private rotateIfNeeded(incoming: number): void {
    let size: number;
    try {
      size = statSync(this.file).size;
    } catch {
      return;
    }
    if (size + incoming <= this.maxBytes) return;
    for (let i = KEEP_ROTATED; i >= 1; i--) {
      const from = i === 1 ? this.file : `${this.file}.${i - 1}`;
      if (existsSync(from)) renameSync(from, `${this.file}.${i}`);
    }
  }
}
