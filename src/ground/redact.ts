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

/** An error with the token removed from its message, hint and details. */
export function redactError(error: ActionError, token: string | undefined): ActionError {
  const secret = redactable(token);
  if (secret === null) return error;
  const text = JSON.stringify(error.toBody());
  if (!text.includes(secret)) return error;
  const body = JSON.parse(text.split(secret).join(REDACTED)) as ReturnType<ActionError["toBody"]>;
  return new ActionError(body.error.code, body.error.message, { hint: body.error.hint, details: body.error.details });
}
