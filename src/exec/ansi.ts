/**
 * Strips terminal control sequences (colours, cursor moves, titles) from
 * output as it streams in. A sequence cut in two by a chunk boundary is held
 * back until the rest arrives, so no half-sequence leaks into the text.
 */

const SEQUENCE =
  "\\x1b\\[[0-?]*[ -/]*[@-~]" + // CSI: colours, cursor movement
  "|\\x1b\\][^\\x07\\x1b]*(?:\\x07|\\x1b\\\\)" + // OSC: window title, hyperlinks
  "|\\x1b[PX^_][^\\x1b]*\\x1b\\\\" + // DCS, SOS, PM, APC strings
  "|\\x1b[()*+][0-9A-Za-z]" + // character set selection
  "|\\x1b[0-9=>@-Z\\\\-_a-z]" + // two-character escapes
  "|\\x9b[0-?]*[ -/]*[@-~]"; // 8-bit CSI

const ALL_SEQUENCES = new RegExp(SEQUENCE, "g");
const SEQUENCE_AT_START = new RegExp(`^(?:${SEQUENCE})`);
/** Control characters other than tab, newline and carriage return (and stray ESC). */
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g;
/** Longer than any sequence worth waiting for: past this, a lone ESC is just dropped. */
const MAX_HELD = 256;

export function stripAnsi(text: string): string {
  return text.replace(ALL_SEQUENCES, "").replace(CONTROL, "");
}

export class AnsiStripper {
  private held = "";

  push(chunk: string): string {
    let text = this.held + chunk;
    this.held = "";
    const at = text.lastIndexOf("\x1b");
    if (at >= 0 && text.length - at < MAX_HELD && !SEQUENCE_AT_START.test(text.slice(at))) {
      this.held = text.slice(at);
      text = text.slice(0, at);
    }
    return stripAnsi(text);
  }

  end(): string {
    const rest = stripAnsi(this.held);
    this.held = "";
    return rest;
  }
}
