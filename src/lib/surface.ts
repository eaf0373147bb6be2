/**
 * API surfaces: each renders errors the way its clients read them, and documents those shapes.
 *
 * The canonical `/api/v1` surface is defined here. The seeds' own surfaces live beside their
 * routes (`src/compat/<seed>/surface.ts`) with a table from `AppError.reason` to the seed's
 * message and status, and `createApp()` says which path prefix each surface serves. So `lib/`
 * names no seed path, and no compat handler catches an error to reword it.
 */
import type { ResponseConfig } from "@asteasolutions/zod-to-openapi";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "zod";
import type { AppEnv } from "../types";
import type { AppError, ErrorReason, FieldIssue } from "./errors";

export interface RenderedError {
  status: ContentfulStatusCode;
  body: Record<string, unknown>;
}

/** What the docs need to know about a route to list the errors it can answer. */
export interface ErrorDocContext {
  authenticated: boolean;
  validates: boolean;
  throttled: boolean;
}

export interface Surface {
  name: string;
  /** Renders an AppError in this surface's format. Pure. */
  render(err: AppError, requestId: string): RenderedError;
  /** The error responses every route of this surface documents, by status. */
  errorDocs(route: ErrorDocContext): Record<number, ResponseConfig>;
  /** One more error a route declares it can answer (404, 409, …), in this surface's shape. */
  errorDoc(status: number, description: string): ResponseConfig;
  /** Seed 002: an API key may also come as `api_key` in a JSON body (see `bodyApiKeyOf`). */
  bodyApiKey?: boolean;
}

/** A surface's translation of one error reason: the seed's status and message. */
export interface ReasonEntry {
  status: ContentfulStatusCode;
  message: string;
  /** Fields the seed's client reads beside the message, from the error's details (in its shape). */
  extra?: (details: unknown) => Record<string, unknown>;
}

/** Looks an error's reason up in a surface's table; the error's own status and message otherwise. */
export function byReason(table: Readonly<Partial<Record<ErrorReason, ReasonEntry>>>, err: AppError, reason: ErrorReason | undefined = err.reason): ReasonEntry {
  const entry = reason === undefined ? undefined : table[reason];
  return entry ?? { status: err.status, message: err.message };
}

export const firstIssue = (details: unknown): FieldIssue | undefined => (Array.isArray(details) ? (details[0] as FieldIssue | undefined) : undefined);

/** A JSON response for the docs. */
export const jsonResponse = (schema: z.ZodType, description: string): ResponseConfig => ({
  description,
  content: { "application/json": { schema } },
});

export const FieldIssueSchema = z.object({ path: z.string(), message: z.string(), code: z.string().optional() }).meta({ id: "FieldIssue" });

/** The one error shape of `/api/v1`: MS5's `{error, message, details}`, RM365's `detail`. */
export const ErrorSchema = z
  .object({
    error: z
      .enum([
        "VALIDATION_ERROR",
        "BAD_REQUEST",
        "BUSINESS_LOGIC_ERROR",
        "AUTHENTICATION_ERROR",
        "AUTHORIZATION_ERROR",
        "NOT_FOUND",
        "METHOD_NOT_ALLOWED",
        "CONFLICT",
        "PAYLOAD_TOO_LARGE",
        "UNSUPPORTED_MEDIA_TYPE",
        "RATE_LIMITED",
        "INTERNAL_ERROR",
        "SERVICE_UNAVAILABLE",
        "BAD_GATEWAY",
      ])
      .describe("MS5 error code"),
    message: z.string(),
    detail: z.string().describe("Same as message (RM365 clients read `detail`)"),
    details: z
      .union([z.array(FieldIssueSchema), z.unknown()])
      .nullable()
      .describe("Field-level problems: [{path, message, code}]"),
    requestId: z.string(),
    retry_after: z.number().int().optional().describe("Seconds, on 429"),
  })
  .meta({ id: "Error" });

const v1Error = (description: string) => jsonResponse(ErrorSchema, description);

export const v1Surface: Surface = {
  name: "v1",
  render(err, requestId) {
    const body: Record<string, unknown> = {
      error: err.code,
      message: err.message,
      detail: err.message,
      details: err.details ?? null,
      requestId,
    };
    if (err.retryAfter !== undefined) body.retry_after = err.retryAfter;
    return { status: err.status, body };
  },
  errorDocs({ authenticated, validates, throttled }) {
    const docs: Record<number, ResponseConfig> = {};
    if (validates) docs[422] = v1Error("Validation failed; `details` names each field");
    if (authenticated) {
      docs[401] = v1Error("Not authenticated");
      docs[403] = v1Error("Not allowed: missing permission or tab");
    }
    if (throttled) docs[429] = v1Error("Too many requests from this client; see Retry-After");
    return docs;
  },
  errorDoc: (_status, description) => v1Error(description),
};

/**
 * Which surface serves a path: the longest registered prefix wins. Built once by createApp();
 * its middleware puts the surface on `c.get("surface")` before anything can fail.
 */
export class SurfaceMap {
  readonly #entries: [prefix: string, surface: Surface][] = [];

  constructor(readonly fallback: Surface) {}

  /** Serves `prefix` (a path, or a path and everything under it) with `surface`. */
  add(prefix: string, surface: Surface): this {
    this.#entries.push([prefix, surface]);
    this.#entries.sort((a, b) => b[0].length - a[0].length);
    return this;
  }

  of(path: string): Surface {
    for (const [prefix, surface] of this.#entries) {
      if (path === prefix || path.startsWith(prefix.endsWith("/") ? prefix : `${prefix}/`)) return surface;
    }
    return this.fallback;
  }
}

/** Writes an error response in the format of the request's surface (see lib/surface.ts). */
export function errorResponse(c: Context<AppEnv>, err: AppError): Response {
  const { status, body } = (c.get("surface") ?? v1Surface).render(err, c.get("requestId") ?? "");
  const headers: Record<string, string> = { ...err.headers };
  if (err.retryAfter !== undefined) headers["Retry-After"] = String(err.retryAfter);
  // A handler's own headers ride along on its errors (a cleared cookie), except on a pure read
  // its session check refused: that answer is built afresh (`c.json` would merge them back).
  if (c.get("discardHandlerHeaders")) return new Response(JSON.stringify(body), { status, headers: { ...headers, "Content-Type": "application/json" } });
  return c.json(body, status, headers);
}
