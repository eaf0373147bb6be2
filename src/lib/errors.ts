/**
 * Errors: one class, its codes and stable reasons. A leaf: it imports nothing from the project,
 * so any file may throw an AppError without an import cycle (rendering is lib/surface.ts's).
 */
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

/**
 * Every stable reason an error can carry. Compat surfaces key their tables of seed statuses and
 * messages on these (src/compat/<seed>/surface.ts), so a reason is a name in this list, never a
 * free string: add a new one here, in the group of its domain's words.
 */
export const ERROR_REASONS = [
  "already_clocked_in",
  "andon_state",
  "assignee_cannot_pick",
  "barcode_taken",
  "batch_rejected",
  "card_not_enrolled",
  "card_not_found",
  "card_revoked",
  "card_taken",
  "checklist_completed",
  "checklist_in_use",
  "checklist_inactive",
  "checklist_incomplete",
  "checklist_instance_not_found",
  "checklist_not_assigned",
  "checklist_not_found",
  "concurrent_clock",
  "conversion_failed",
  "conversion_unconvertible",
  "defect_not_found",
  "defect_state",
  "employee_code_taken",
  "employee_inactive",
  "employee_not_found",
  "equipment_exists",
  "equipment_not_found",
  "equipment_stale",
  "escalation_not_found",
  "event_not_found",
  "file_missing",
  "fingerprint_not_enrolled",
  "fingerprint_not_found",
  "fingerprint_revoked",
  "forbidden",
  "illegal_transition",
  "image_not_found",
  "inspection_not_found",
  "inspection_state",
  "insufficient_stock",
  "invalid_credentials",
  "invoice_missing",
  "invoice_not_paid",
  "item_not_found",
  "items_incomplete",
  "label_file_missing",
  "label_items_invalid",
  "label_job_not_found",
  "label_job_not_ready",
  "label_job_not_yours",
  "label_jobs_busy",
  "magento_not_configured",
  "magento_order_not_found",
  "magento_unavailable",
  "maintenance_closed",
  "maintenance_not_found",
  "may_not_manage",
  "negative_stock",
  "no_drawing",
  "no_file",
  "no_file_stored",
  "no_model",
  "no_views",
  "not_clocked_in",
  "not_open",
  "not_session_owner",
  "nothing_to_pick",
  "onshape_bad_state",
  "onshape_denied",
  "onshape_no_access",
  "onshape_no_drawing",
  "onshape_not_configured",
  "onshape_not_connected",
  "onshape_unavailable",
  "onshape_url_invalid",
  "order_cancelled",
  "order_completed",
  "order_in_progress",
  "order_not_pickable",
  "over_pick",
  "own_password",
  "part_not_completed",
  "part_not_found",
  "password_reset",
  "password_set_by_admin",
  "rate_limited",
  "registration_closed",
  "report_failed",
  "report_in_progress",
  "report_not_found",
  "report_not_found_for_delete",
  "report_not_yours",
  "report_stale",
  "reports_busy",
  "reset_token_invalid",
  "reset_token_required",
  "route_not_found",
  "sales_rows_invalid",
  "session_already_owned",
  "session_closed",
  "session_not_claimable",
  "session_not_found",
  "sku_taken",
  "stale_event",
  "stale_version",
  "status_change_not_allowed",
  "step_too_large",
  "template_taken",
  "transition_not_allowed",
  "user_not_found",
  "username_taken",
  "view_not_found",
  "wipe_not_confirmed",
  "wrong_item",
] as const;

export type ErrorReason = (typeof ERROR_REASONS)[number];

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
  reason?: ErrorReason;
  cause?: unknown;
}

/** The one error class. Throw it anywhere; `onError` renders it in the caller's surface format. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  readonly retryAfter: number | undefined;
  readonly authFailure: AuthFailure | undefined;
  readonly headers: Record<string, string> | undefined;
  readonly reason: ErrorReason | undefined;

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
