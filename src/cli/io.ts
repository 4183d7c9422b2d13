import { configHome } from "../config/paths.js";

/** A failure to report to the user: message on stderr, then exit with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** Wrong usage (bad flag value, missing argument): exit 2. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2);
    this.name = "UsageError";
  }
}

export function home(): string {
  return configHome();
}

export function print(text = ""): void {
  process.stdout.write(`${text}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Positive whole number of minutes from a flag value. */
export function parseMinutes(value: string | undefined, flag = "--ttl-minutes"): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 525_600) {
    throw new UsageError(`${flag} needs a whole number of minutes between 1 and 525600, got "${value}"`);
  }
  return Number(value);
}

export function parsePort(value: string | undefined, flag = "--port"): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new UsageError(`${flag} needs a number 0-65535, got "${value}"`);
  return Number(value);
}

/** An absolute http(s) URL without a trailing slash. */
export function parsePublicUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`not a URL: "${value}" (expected e.g. https://your-url.example.com)`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new UsageError(`the public URL must be https://…, got ${url.protocol}`);
  if (url.username || url.password) throw new UsageError("the public URL must not contain credentials");
  if (url.search || url.hash) throw new UsageError("the public URL must not have a query or fragment");
  return url.toString().replace(/\/+$/, "");
}
