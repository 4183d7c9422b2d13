import { ActionError } from "./errors.js";
import { TOKEN_PREFIX } from "./tokenPrefix.js";

/**
 * The access token never leaves in an answer or an audit record, on any face:
 * runAction passes every answer, error and audit record through here. The
 * token's random part is what is matched (so the token with or without its
 * prefix is caught); a text without it costs one `includes` scan.
 */
export const REDACTED = "[redacted]";

/** The part of the token to look for; null when there is nothing safe to match. */
export function redactable(token: string | undefined): string | null {
  if (!token) return null;
  const secret = token.startsWith(TOKEN_PREFIX) ? token.slice(TOKEN_PREFIX.length) : token;
  // A short string would match ordinary text; real tokens are 43+ characters.
  return secret.length >= 16 ? secret : null;
}

export function redactText(text: string, token: string | undefined): string {
  const secret = redactable(token);
  if (secret === null || !text.includes(secret)) return text;
  return text.split(secret).join(REDACTED);
}

/** How many characters of a command an audit record keeps. */
const AUDITED_COMMAND_CHARS = 2000;

/**
 * A command as an audit record keeps it: the token removed first, then cut. Cut first, a token
 * across the cut would keep all but its last characters, which the redaction no longer matches.
 */
export function auditedCommand(command: string, token: string | undefined): string {
  return redactText(command, token).slice(0, AUDITED_COMMAND_CHARS);
}

/**
 * The JSON text `text` with the token removed from every string in it (keys too); `text`
 * itself when it holds no token. Done on the parsed values, never on the text: there, an
 * escape such as `\n` right before the token's random part would be cut in two, leaving JSON
 * that no longer parses (and a lost audit line or a failed answer).
 */
export function redactJsonText(text: string, token: string | undefined): string {
  const secret = redactable(token);
  if (secret === null || !text.includes(secret)) return text;
  return JSON.stringify(redactStrings(JSON.parse(text), secret));
}

function redactStrings(value: unknown, secret: string): unknown {
  if (typeof value === "string") return value.includes(secret) ? value.split(secret).join(REDACTED) : value;
  if (Array.isArray(value)) return value.map((item) => redactStrings(item, secret));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [redactStrings(key, secret) as string, redactStrings(item, secret)]));
  }
  return value;
}

/** An error with the token removed from its message, hint and details. */
export function redactError(error: ActionError, token: string | undefined): ActionError {
  const text = JSON.stringify(error.toBody());
  const redacted = redactJsonText(text, token);
  if (redacted === text) return error;
  const body = JSON.parse(redacted) as ReturnType<ActionError["toBody"]>;
  return new ActionError(body.error.code, body.error.message, { hint: body.error.hint, details: body.error.details });
}
