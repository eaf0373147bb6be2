/**
 * Part Management's error format (seeds 001/002): `{error}`; 401 "API key required" / "Invalid
 * API key"; validation as `{error:"Validation Error", details, field}` (400); 429 with
 * `retry_after`.
 */
import type { ResponseConfig } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";
import { byReason, firstIssue, jsonResponse, type ReasonEntry, type Surface } from "../../lib/surface";

export const PARTS_REASONS: Readonly<Record<string, ReasonEntry>> = {
  route_not_found: { status: 404, message: "Not found" },
  part_not_found: { status: 404, message: "Part not found" },
  part_not_completed: { status: 400, message: "Part is not completed" },
  no_file_stored: { status: 404, message: "No file associated with this part" },
  file_missing: { status: 404, message: "File not found on server" },
  no_model: { status: 404, message: "No file associated with this part" },
  conversion_failed: { status: 500, message: "Model conversion failed" },
  view_not_found: { status: 404, message: "View not found" },
};

/** Validation messages the seed answered as a bare `{error}` (not its `Validation Error` shape). */
export const NO_DATA = "No data provided";
export const ASSIGNED_REQUIRED = "Assigned user required";
const PLAIN_VALIDATION = new Set([NO_DATA, ASSIGNED_REQUIRED, "No file provided"]);

export const PartsErrorSchema = z.object({ error: z.string() }).meta({ id: "PartsError", description: "Part Management's error" });
export const PartsValidationErrorSchema = z
  .object({ error: z.literal("Validation Error"), details: z.string(), field: z.string().nullable() })
  .meta({ id: "PartsValidationError" });
export const PartsRateLimitedSchema = z
  .object({ error: z.literal("Rate limited"), message: z.string(), retry_after: z.number().int() })
  .meta({ id: "PartsRateLimited" });

const partsError = (description: string): ResponseConfig => jsonResponse(PartsErrorSchema, description);

export const partsSurface: Surface = {
  name: "parts",
  bodyApiKey: true,
  render(err) {
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
      if (issue && PLAIN_VALIDATION.has(issue.message)) return { status: 400, body: { error: issue.message } };
      return {
        status: 400,
        body: { error: "Validation Error", details: issue?.message ?? err.message, field: issue?.path.replace(/^body\./, "") ?? null },
      };
    }
    // A file that can never convert (not STEP, no solids): 422 naming why, not the seed's 500.
    if (err.reason === "conversion_unconvertible") return { status: 422, body: { error: err.message } };
    const { status, message } = byReason(PARTS_REASONS, err);
    return { status, body: { error: message } };
  },
  errorDocs({ authenticated, validates, throttled }) {
    const docs: Record<number, ResponseConfig> = {};
    if (validates) docs[400] = jsonResponse(PartsValidationErrorSchema, "Invalid request");
    if (authenticated) {
      docs[401] = partsError("API key required, or invalid");
      docs[403] = partsError("Not allowed");
    }
    if (throttled || authenticated) docs[429] = jsonResponse(PartsRateLimitedSchema, "Rate limited; see retry_after");
    return docs;
  },
  errorDoc: (_status, description) => partsError(description),
};

/** Seed 002's Onshape routes (`/api/auth/onshape/*`): Part Management's errors, no body API key. */
export const onshapeSurface: Surface = { ...partsSurface, name: "onshape", bodyApiKey: false };
