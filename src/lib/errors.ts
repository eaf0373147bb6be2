import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "../types";

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
  cause?: unknown;
}

/** The one error class. Throw it anywhere; `onError` renders it in the caller's surface format. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  readonly retryAfter: number | undefined;
  readonly authFailure: AuthFailure | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "AppError";
    this.code = code;
    this.details = options.details;
    this.retryAfter = options.retryAfter;
    this.authFailure = options.authFailure;
    this.headers = options.headers;
  }

  get status(): ContentfulStatusCode {
    return ERROR_STATUS[this.code];
  }
}

export const notFound = (what: string) => new AppError("NOT_FOUND", `${what} not found`);
export const conflict = (message: string, details?: unknown) => new AppError("CONFLICT", message, { details });
export const forbidden = (message = "You do not have permission to do this") => new AppError("AUTHORIZATION_ERROR", message);
export const unauthenticated = (message: string, authFailure: AuthFailure) =>
  new AppError("AUTHENTICATION_ERROR", message, { authFailure });
export const validationError = (message: string, issues: FieldIssue[]) =>
  new AppError("VALIDATION_ERROR", message, { details: issues });

/**
 * The API surfaces Floorline serves. Each renders errors the way its seed's clients read them:
 * - `v1`: MS5's `{error, message, details}` plus RM365's `detail` and the request id.
 * - `ccbackend`: `{success:false, error}`; auth failures as flask-jwt-extended's `{msg}`.
 * - `parts`: Part Management's `{error, ...}`.
 */
export type Surface = "v1" | "ccbackend" | "parts";

/** Which surface a path belongs to: one rule, used by errors, 404s and 405s alike. */
export function surfaceOf(path: string): Surface {
  if (path.startsWith("/api/parts")) return "parts";
  if (path.startsWith("/api/v1") || !path.startsWith("/api/")) {
    // `/equipment` (the seed client's missing `/api` quirk) and `/uploads` belong to CCbackend.
    if (path.startsWith("/equipment") || path.startsWith("/uploads/")) return "ccbackend";
    return "v1";
  }
  return "ccbackend";
}

const CC_AUTH_MESSAGES: Record<AuthFailure, string> = {
  missing: "Missing Authorization Header",
  expired: "Token has expired",
  malformed: "Invalid token",
  invalid: "Signature verification failed",
  revoked: "Token has been revoked",
  api_key_missing: "Missing Authorization Header",
  api_key_invalid: "Signature verification failed",
};

interface Rendered {
  status: ContentfulStatusCode;
  body: Record<string, unknown>;
}

function firstIssue(details: unknown): FieldIssue | undefined {
  return Array.isArray(details) ? (details[0] as FieldIssue | undefined) : undefined;
}

/** Renders an AppError in one surface's format (pure: no context needed). */
export function renderError(err: AppError, surface: Surface, requestId: string): Rendered {
  if (surface === "ccbackend") {
    if (err.code === "AUTHENTICATION_ERROR" && err.authFailure) {
      return { status: err.authFailure === "malformed" ? 422 : 401, body: { msg: CC_AUTH_MESSAGES[err.authFailure] } };
    }
    const status = err.code === "VALIDATION_ERROR" ? 400 : err.status;
    return { status, body: { success: false, error: err.message, requestId } };
  }
  if (surface === "parts") {
    if (err.code === "AUTHENTICATION_ERROR") {
      const missing = err.authFailure === "missing" || err.authFailure === "api_key_missing";
      const error = missing ? "API key required" : err.authFailure === "api_key_invalid" ? "Invalid API key" : err.message;
      return { status: 401, body: { error } };
    }
    if (err.code === "RATE_LIMITED") {
      return { status: 429, body: { error: "Rate limited", message: err.message, retry_after: err.retryAfter ?? 60 } };
    }
    if (err.code === "VALIDATION_ERROR") {
      const issue = firstIssue(err.details);
      return {
        status: 400,
        body: { error: "Validation Error", details: issue?.message ?? err.message, field: issue?.path.replace(/^body\./, "") ?? null },
      };
    }
    if (err.code === "NOT_FOUND" && err.message === "Route not found") return { status: 404, body: { error: "Not found" } };
    return { status: err.status, body: { error: err.message } };
  }
  const body: Record<string, unknown> = {
    error: err.code,
    message: err.message,
    detail: err.message,
    details: err.details ?? null,
    requestId,
  };
  if (err.retryAfter !== undefined) body.retry_after = err.retryAfter;
  return { status: err.status, body };
}

/** Turns anything thrown into an AppError; unknown errors become a 500 that leaks nothing. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof HTTPException) {
    if (err.status === 413) return new AppError("PAYLOAD_TOO_LARGE", "Request body is too large");
    if (err.status === 401) return unauthenticated(err.message || "Authentication required", "invalid");
    if (err.status === 400) {
      return new AppError("BAD_REQUEST", err.message || "Malformed request", { details: [{ path: "body", message: err.message }] });
    }
    return new AppError(err.status >= 500 ? "INTERNAL_ERROR" : "BAD_REQUEST", err.message);
  }
  return new AppError("INTERNAL_ERROR", "Internal server error", { cause: err });
}

/** Writes an error response for the request's surface. */
export function errorResponse(c: Context<AppEnv>, err: AppError): Response {
  const { status, body } = renderError(err, surfaceOf(c.req.path), c.get("requestId") ?? "");
  const headers: Record<string, string> = { ...err.headers };
  if (err.retryAfter !== undefined) headers["Retry-After"] = String(err.retryAfter);
  return c.json(body, status, headers);
}
