/** The upload errors, one shape for every cap and refusal (a 4xx with a field path and a code). */
import { AppError } from "../errors";

export const malformed = (message: string) =>
  new AppError("BAD_REQUEST", `Malformed multipart body: ${message}`, { details: [{ path: "body", message, code: "malformed_multipart" }] });
export const tooLarge = (path: string, message: string) => new AppError("PAYLOAD_TOO_LARGE", message, { details: [{ path, message, code: "too_large" }] });
export const unsupported = (path: string, message: string) =>
  new AppError("UNSUPPORTED_MEDIA_TYPE", message, { details: [{ path, message, code: "unsupported_type" }] });
