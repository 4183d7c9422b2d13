import { configLocation, migrateOldConfig, type ConfigLocation } from "../config/paths.js";
import { t } from "./i18n/index.js";

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

let location: ConfigLocation | undefined;

/** The config folder in use; on first use, moves a config an older version left inside the package (loudly). */
export function home(): string {
  return configInUse().home;
}

export function configInUse(): ConfigLocation {
  if (location) return location;
  location = configLocation();
  const old = migrateOldConfig(location);
  if (old) {
    process.stderr.write(`\n${t("config.migrated", { old, home: location.home })}\n\n`);
  }
  return location;
}

let quiet = false;

/** `--json` on a long-running command (`up`): human lines are dropped, one JSON document is printed. */
export function setQuiet(value: boolean): void {
  quiet = value;
}

export function print(text = ""): void {
  if (!quiet) process.stdout.write(`${text}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Positive whole number of minutes from a flag value. */
export function parseMinutes(value: string | undefined, flag = "--ttl-minutes"): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 525_600) {
    throw new UsageError(t("usage.minutes", { flag, value }));
  }
  return Number(value);
}

export function parsePort(value: string | undefined, flag = "--port"): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new UsageError(t("usage.port", { flag, value }));
  return Number(value);
}

/** An absolute http(s) URL without a trailing slash. */
export function parsePublicUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(t("usage.notUrl", { value }));
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new UsageError(t("usage.urlProtocol", { protocol: url.protocol }));
  if (url.username || url.password) throw new UsageError(t("usage.urlCredentials"));
  if (url.search || url.hash) throw new UsageError(t("usage.urlQuery"));
  return url.toString().replace(/\/+$/, "");
}
