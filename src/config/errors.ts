/** What exactly is wrong with a config file, for messages in either language (terminal, dashboard, doctor). */
export interface ConfigProblem {
  /** Where the JSON parser stopped (1-based), for a file that is not JSON. */
  line?: number;
  column?: number;
  /** For a file that is JSON but not a valid config: each wrong field (`server.port`) and why. */
  fields?: { path: string; message: string }[];
  /** The parser's or the system's own words (English). */
  detail: string;
}

/** A config file that is missing, unreadable or invalid. Never silently replaced. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    message: string,
    readonly kind: "missing" | "invalid" | "unreadable",
    readonly problem: ConfigProblem = { detail: message },
  ) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Long URL-safe runs (a token, new or old) never reach a message: the parser's and the validator's words can quote the file. */
export function withoutSecrets(text: string): string {
  return text.replace(/[A-Za-z0-9_-]{32,}/g, "[redacted]");
}

/**
 * Line, column and words of a JSON.parse failure, without the file's text: V8 quotes the
 * text around the error ("…\"token\": \"cgc_…\" is not valid JSON"), which may hold the
 * token, so that quote is cut, and the place is computed here when V8 gives none.
 */
export function jsonErrorPlace(text: string, message: string): { line: number; column: number; detail: string } {
  const detail =
    withoutSecrets(
      message
        .replace(/(^|, )(\.\.\.)?"[\s\S]*"(\.\.\.)?\s+is not valid JSON$/, "")
        .replace(/\s*\(line \d+ column \d+\)/, "")
        .replace(/\s+(in JSON\s+)?at position \d+/, "")
        .replace(/[\u0000-\u001f]/g, (c) => JSON.stringify(c).slice(1, -1))
        .trim(),
    ) || "not valid JSON";
  const at = /at position (\d+)/.exec(message);
  const offset = at ? Math.min(Number(at[1]), text.length) : lastViablePrefix(text);
  const before = text.slice(0, offset).split("\n");
  return { line: before.length, column: before[before.length - 1]!.length + 1, detail };
}

/** The longest start of `text` that could still become JSON: where the parser gave up. */
function lastViablePrefix(text: string): number {
  const viable = (length: number): boolean => {
    try {
      JSON.parse(text.slice(0, length));
      return true;
    } catch (error) {
      const message = (error as Error).message;
      const at = /at position (\d+)/.exec(message);
      return /Unexpected end/.test(message) || (at !== null && Number(at[1]) >= length);
    }
  };
  let low = 0;
  let high = text.length;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (viable(middle)) low = middle;
    else high = middle - 1;
  }
  return low;
}
