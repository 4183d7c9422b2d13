/** A config file that is missing, unreadable or invalid. Never silently replaced. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    message: string,
    readonly kind: "missing" | "invalid" | "unreadable",
  ) {
    super(message);
    this.name = "ConfigError";
  }
}
