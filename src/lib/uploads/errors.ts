/** The upload errors, one shape for every cap and refusal (a 4xx with a field path and a code). */
import { AppError } from "../errors";

export const malformed = (message: string) =>
  new AppError("BAD_REQUEST", `Malformed multipart body: ${message}`, { details: [{ path: "body", message, code: "malformed_multipart" }] });
export const tooLarge = (path: string, message: string) => new AppError("PAYLOAD_TOO_LARGE", message, { details: [{ path, message, code: "too_large" }] });
export const unsupported = (path: string, message: string) =>
  new AppError("UNSUPPORTED_MEDIA_TYPE", message, { details: [{ path, message, code: "unsupported_type" }] });

/** A body still arriving `ms` after its admission (400 `upload_too_slow`); `what` opens the message. */
export const uploadTooSlow = (ms: number, what = "Malformed multipart body") => {
  const message = `the upload did not finish within ${ms >= 120_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`}`;
  return new AppError("BAD_REQUEST", `${what}: ${message}`, { details: [{ path: "body", message, code: "upload_too_slow" }] });
};

/** A body that brought too little in a progress window of `ms` (400 `upload_stalled`); `what` opens the message. */
export const uploadStalled = (ms: number, what = "Malformed multipart body") => {
  const message = `the upload stalled: too little arrived in ${Math.round(ms / 1000)} s`;
  return new AppError("BAD_REQUEST", `${what}: ${message}`, { details: [{ path: "body", message, code: "upload_stalled" }] });
};
