import { AnsiStripper } from "./ansi.js";
import { SecretRedactor } from "./redact.js";

/**
 * Bytes from a child's pipe to safe text: UTF-8 decoded across chunk
 * boundaries (invalid bytes become U+FFFD), terminal sequences stripped,
 * the token redacted.
 */
export class OutputDecoder {
  private readonly decoder = new TextDecoder("utf-8", { fatal: false });
  private readonly ansi = new AnsiStripper();
  private readonly redactor: SecretRedactor;

  constructor(secret: string) {
    this.redactor = new SecretRedactor(secret);
  }

  push(bytes: Uint8Array): string {
    return this.redactor.push(this.ansi.push(this.decoder.decode(bytes, { stream: true })));
  }

  end(): string {
    const text = this.ansi.push(this.decoder.decode()) + this.ansi.end();
    return this.redactor.push(text) + this.redactor.end();
  }
}
