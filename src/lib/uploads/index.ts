/**
 * Streaming multipart uploads to R2 (see ./receive.ts for the rules they follow):
 * - receive.ts   receiveUpload(), the upload object a service takes, the per-file sink
 * - multipart.ts the multipart/form-data reader
 * - kinds.ts     kinds judged by content, file names made safe
 * - memory.ts    the isolate's admission of uploads and its pool of slots for large ones (full-size part buffers)
 * - errors.ts    the 4xx errors uploads answer
 */
export { uploadStalled, uploadTooSlow } from "./errors";
export { MAX_FILENAME_LENGTH, sanitizeFilename, sniffKind, type UploadKind } from "./kinds";
export {
  admitUpload,
  LARGE_UPLOAD_WAIT_MS,
  MAX_LARGE_UPLOADS,
  MAX_LARGE_UPLOADS_WAITING,
  MAX_UPLOADS,
  MAX_UPLOADS_PER_SENDER,
  MAX_UPLOADS_WAITING,
  SenderPlaces,
  UploadMemory,
  type UploadSlot,
  uploadAdmission,
  uploadMemory,
  uploadSenders,
  uploadsBusy,
} from "./memory";
export { MultipartReader } from "./multipart";
export {
  type IncomingUpload,
  incomingUpload,
  type KindLimit,
  PART_BYTES,
  progressReader,
  type ReceivedUpload,
  type ReceiveUploadOptions,
  receiveUpload,
  SLOT_PROGRESS_BYTES,
  SMALL_BUFFER_BYTES,
  UPLOAD_MAX_MS,
  UPLOAD_STALL_MS,
  type UploadedFile,
  type UploadTimings,
  uploadSender,
  uploadTimings,
} from "./receive";
