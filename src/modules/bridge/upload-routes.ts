import { z } from "zod";
import { createRouter, defineRoute, json, principalOf } from "../../lib/route";
import { incomingUpload } from "../../lib/uploads";
import { storeImportFile } from "./upload";

const ImportFile = z
  .object({
    /** Pass it to `POST /imports` as `file_key`. */
    file_key: z.string(),
    size: z.number().int(),
    kind: z.enum(["sqlite", "gzip", "tar", "json"]),
  })
  .meta({ id: "ImportFile" });

/** `/api/v1/imports/files`: the legacy files the file-based importers read (Part Management/Aerie, CCbackend). */
export const importFileRoutes = createRouter().openapi(
  defineRoute({
    method: "post",
    path: "/files",
    // Same as starting an import: administrators only.
    access: "legacy:import",
    bodyLimit: "upload",
    summary: "Upload a legacy file (the body is the file: parts.db, a .tar.gz of it with uploads/, or CCbackend's JSON export); streamed to R2",
    tags: ["imports"],
    request: { headers: z.object({ "content-length": z.string().max(20).optional() }) },
    errors: { 413: "Larger than MAX_UPLOAD_BYTES", 415: "Not SQLite, tar(.gz) or JSON", 422: "No body or no Content-Length" },
    responses: { 201: json(ImportFile, "Stored; start the import with its file_key") },
  }),
  async (c) => c.json(await storeImportFile(c.get("deps"), incomingUpload(c.req.raw, principalOf(c))), 201),
);
