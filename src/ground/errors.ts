/** The contract's error codes with their HTTP status (API-CONTRACT §1 "Errors"). */
export const ERROR_STATUS = {
  BAD_REQUEST: 400,
  NOT_A_GIT_REPO: 400,
  UNAUTHORIZED: 401,
  ACCESS_EXPIRED: 403,
  FORBIDDEN_ORIGIN: 403,
  OUTSIDE_WORKSPACE: 403,
  BLOCKED_BY_POLICY: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PATCH_FAILED: 409,
  TOO_LARGE: 413,
  BINARY_FILE: 415,
  RATE_LIMITED: 429,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorBody {
  error: { code: ErrorCode; message: string; hint?: string; details?: unknown };
}

/**
 * An error meant for the caller. Actions throw it; every face (HTTP, MCP, CLI)
 * turns it into its own shape. The message must never hold a secret or an
 * absolute path outside the workspace.
 */
export class ActionError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, options: { hint?: string; details?: unknown } = {}) {
    super(message);
    this.name = "ActionError";
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  toBody(): ErrorBody {
    const error: ErrorBody["error"] = { code: this.code, message: this.message };
    if (this.hint !== undefined) error.hint = this.hint;
    if (this.details !== undefined) error.details = this.details;
    return { error };
  }
}

export function isActionError(value: unknown): value is ActionError {
  return value instanceof ActionError;
}
