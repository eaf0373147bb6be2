import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** MS5's error codes, plus the few the edge platform adds. */
export const ERROR_STATUS = {
  VALIDATION_ERROR: 422,
  BAD_REQUEST: 400,
  BUSINESS_LOGIC_ERROR: 400,
  AUTHENTICATION_ERROR: 401,
  AUTHORIZATION_ERROR: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
  /** An upstream service (e.g. Magento) failed, timed out or answered something unusable. */
  BAD_GATEWAY: 502,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** One field-level problem, named by its path (`body.user.email`, `query.limit`). */
export interface FieldIssue {
  path: string;
  message: string;
  code?: string;
}

/**
 * Why authentication failed. CCbackend's client tells these apart the way flask-jwt-extended
 * did (401 missing / expired, 422 malformed), so the reason travels with the error.
 */
export type AuthFailure = "missing" | "expired" | "malformed" | "invalid" | "revoked" | "api_key_missing" | "api_key_invalid";

export interface AppErrorOptions {
  details?: unknown;
  /** Seconds until a rate-limited caller may retry. */
  retryAfter?: number;
  authFailure?: AuthFailure;
  /** Extra response headers (e.g. `Allow` on 405). */
  headers?: Record<string, string>;
  /**
   * Why, in a stable word (`invalid_credentials`, `user_not_found`): compat surfaces look it up
   * in their table of seed messages and statuses, so nobody rewords errors by catching them.
   */
  reason?: string;
  cause?: unknown;
}

/** The one error class. Throw it anywhere; `onError` renders it in the caller's surface format. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  readonly retryAfter: number | undefined;
  readonly authFailure: AuthFailure | undefined;
  readonly headers: Record<string, string> | undefined;
  readonly reason: string | undefined;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "AppError";
    this.code = code;
    this.details = options.details;
    this.retryAfter = options.retryAfter;
    this.authFailure = options.authFailure;
    this.headers = options.headers;
    this.reason = options.reason;
  }

  get status(): ContentfulStatusCode {
    return ERROR_STATUS[this.code];
  }
}

export const notFound = (what: string) => new AppError("NOT_FOUND", `${what} not found`);
export const conflict = (message: string, details?: unknown) => new AppError("CONFLICT", message, { details });
export const forbidden = (message = "You do not have permission to do this") => new AppError("AUTHORIZATION_ERROR", message);
export const unauthenticated = (message: string, authFailure: AuthFailure) => new AppError("AUTHENTICATION_ERROR", message, { authFailure });
export const validationError = (message: string, issues: FieldIssue[]) => new AppError("VALIDATION_ERROR", message, { details: issues });

/** Turns anything thrown into an AppError; unknown errors become a 500 that leaks nothing. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof HTTPException) {
    if (err.status === 413) return new AppError("PAYLOAD_TOO_LARGE", "Request body is too large");
    if (err.status === 415) return new AppError("UNSUPPORTED_MEDIA_TYPE", "Unsupported Media Type: send the declared content type");
    if (err.status === 401) return unauthenticated(err.message || "Authentication required", "invalid");
    if (err.status === 400) {
      return new AppError("BAD_REQUEST", err.message || "Malformed request", { details: [{ path: "body", message: err.message }] });
    }
    return new AppError(err.status >= 500 ? "INTERNAL_ERROR" : "BAD_REQUEST", err.message);
  }
  return new AppError("INTERNAL_ERROR", "Internal server error", { cause: err });
}
