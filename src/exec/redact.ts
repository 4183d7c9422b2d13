import { REDACTED } from "../ground/redact.js";

/**
 * Replaces a secret (the access token) in streamed text. The end of each
 * chunk that could be the start of the secret is held back until the next
 * chunk shows whether it is.
 */
export class SecretRedactor {
  private held = "";

  constructor(private readonly secret: string) {}

  push(chunk: string): string {
    if (this.secret.length === 0) return chunk;
    const text = (this.held + chunk).split(this.secret).join(REDACTED);
    const keep = this.partialSecretAtEnd(text);
    this.held = text.slice(text.length - keep);
    return text.slice(0, text.length - keep);
  }

  end(): string {
    const rest = this.held;
    this.held = "";
    return rest;
  }

  /** Length of the longest end of `text` that begins the secret. */
  private partialSecretAtEnd(text: string): number {
    for (let length = Math.min(this.secret.length - 1, text.length); length > 0; length--) {
      if (this.secret.startsWith(text.slice(text.length - length))) return length;
    }
    return 0;
  }
}
