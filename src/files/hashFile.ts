import { createHash } from "node:crypto";
import { read } from "node:fs";
import { promisify } from "node:util";

const readAsync = promisify(read);
const CHUNK = 4 * 1024 * 1024;

/**
 * SHA-256 (hex) of everything readable from `fd`, streamed in constant memory.
 * `observe` sees each chunk too (valid only during the call: the buffer is reused).
 */
export async function hashFd(fd: number, observe?: (chunk: Buffer) => void): Promise<string> {
  const hash = createHash("sha256");
  const buffer = Buffer.allocUnsafe(CHUNK);
  let position = 0;
  for (;;) {
    const { bytesRead } = await readAsync(fd, buffer, 0, CHUNK, position);
    if (bytesRead === 0) break;
    const chunk = buffer.subarray(0, bytesRead);
    hash.update(chunk);
    observe?.(chunk);
    position += bytesRead;
  }
  return hash.digest("hex");
}

export function sha256Hex(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}
