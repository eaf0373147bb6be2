/**
 * The Part Management (seed 001) and Aerie (seed 002) importers: one SQLite `parts` table
 * (SQLAlchemy's, read by ./reader.ts) plus the part files from the seed's `uploads/` folder.
 * Pure mappers; the runner (../runner.ts) pages, hashes and writes.
 *
 * - parts → parts. Statuses and categories are the seeds' words (001's `Approved` is Aerie's
 *   `Reviewed`); `miscInfo` keeps its short values and hand workers, minus `views` (the seed's
 *   thumbnail manifest: those PNGs are not imported). Times are UTC: SQLAlchemy stored
 *   `datetime.now(timezone.utc)` as its wall time. An empty `part_id` (001's default) becomes
 *   Aerie's own rule, the first 8 characters of `uuid`, or the legacy id without one.
 *   The seeds' `updated_at` is not a change time (its `onupdate` is a constant evaluated when
 *   the server started, and the workflow routes do not set it), so each run compares rows.
 * - part_files → the part's file (STEP or PDF, judged by its bytes) and, for a STEP, a
 *   conversion job through the existing queue (workers/convert). The job is recorded queued
 *   without a message: the conversion lease (src/modules/parts/lease.ts) sends it on the part's
 *   first model or conversion read, or at the hourly sweep. An unchanged file (same SHA-256)
 *   changes nothing; a changed one replaces the old file and model (deleted through the outbox).
 */
import { and, eq, ne, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { z } from "zod";
import type { Db } from "../../../db/client";
import { conversionJobs, PART_CATEGORIES, PART_STATUSES, PART_TYPES, type PartCategory, type PartStatus, type PartType, parts } from "../../../db/schema";
import type { MiscInfo as StoredMiscInfo } from "../../../db/schema/parts";
import { queueFileDeletionsOf } from "../../../lib/files";
import { MiscInfo } from "../../parts/schemas";
import { intId, type KeyedValues, keyOf, keyOfInserted } from "../integer-target";
import { defineTable, type LegacyRow, type LegacySource, type LegacySourceName, type MapContext, type MapResult } from "../source";
import { legacyKey, optionalInt, optionalJson, optionalText, optionalTime, requiredText } from "../values";
import { PART_FILES_TABLE, PartsUploadReader } from "./reader";

const OnshapeUrl = z.url({ protocol: /^https?$/ }).max(500);

/** 001's word for Aerie's `Reviewed`. */
const STATUS_ALIASES: Readonly<Record<string, PartStatus>> = { Approved: "Reviewed" };

export interface PartValues extends Record<string, unknown>, KeyedValues {
  type: PartType;
  name: string;
  partId: string;
  material: string;
  materialThickness: string | null;
  subsystem: string;
  assigned: string | null;
  status: PartStatus;
  category: PartCategory;
  notes: string | null;
  onshapeUrl: string | null;
  claimedDate: string | null;
  miscInfo: StoredMiscInfo | null;
  amount: number;
  createdAt: string;
  updatedAt: string;
}

const oneOf = <T extends string>(values: readonly T[], value: unknown): value is T =>
  typeof value === "string" && (values as readonly string[]).includes(value);

export function mapPart(row: LegacyRow): MapResult<PartValues> {
  const key = legacyKey(row.id);
  if (!oneOf(PART_TYPES, row.type)) return { error: `type ${JSON.stringify(row.type)} is not cnc, hand or misc` };
  const statusWord = typeof row.status === "string" ? (STATUS_ALIASES[row.status] ?? row.status) : row.status;
  if (!oneOf(PART_STATUSES, statusWord)) return { error: `status ${JSON.stringify(row.status)} is none of ${PART_STATUSES.join(", ")} (or Approved)` };
  if (!oneOf(PART_CATEGORIES, row.category)) return { error: `category ${JSON.stringify(row.category)} is none of ${PART_CATEGORIES.join(", ")}` };
  const partIdText = optionalText(row.part_id, "part_id", 100)?.trim();
  const uuid = optionalText(row.uuid, "uuid", 36);
  const onshape = optionalText(row.onshape_url, "onshape_url", 500);
  if (onshape !== null && onshape !== "" && !OnshapeUrl.safeParse(onshape).success) return { error: "onshape_url is not an http(s) URL" };
  const misc = optionalJson(row.misc_info, "misc_info", 64 * 1024);
  let miscInfo: StoredMiscInfo | null = null;
  if (misc !== null) {
    if (typeof misc !== "object" || Array.isArray(misc)) return { error: "misc_info is not a JSON object" };
    const { views: _views, ...rest } = misc as Record<string, unknown>;
    const parsed = MiscInfo.safeParse(rest);
    if (!parsed.success) return { error: `misc_info: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`.slice(0, 300) };
    miscInfo = Object.keys(parsed.data).length > 0 ? (parsed.data as StoredMiscInfo) : null;
  }
  const amount = optionalInt(row.amount, "amount");
  const createdAt = optionalTime(row.created_at, "created_at");
  const updatedAt = optionalTime(row.updated_at, "updated_at") ?? createdAt;
  if (createdAt === null || updatedAt === null) return { error: "created_at: missing" };
  return {
    values: {
      legacyKey: key,
      type: row.type,
      name: requiredText(row.name, "name", 200).trim(),
      partId: partIdText || uuid?.slice(0, 8) || key,
      material: requiredText(row.material, "material", 200).trim(),
      materialThickness: optionalText(row.material_thickness, "material_thickness", 50),
      subsystem: requiredText(row.subsystem, "subsystem", 100).trim(),
      assigned: optionalText(row.assigned, "assigned", 100) || null,
      status: statusWord,
      category: row.category,
      notes: optionalText(row.notes, "notes", 2000),
      onshapeUrl: onshape || null,
      claimedDate: optionalTime(row.claimed_date, "claimed_date"),
      miscInfo,
      // The seeds' own rule: a missing or non-positive amount is 1.
      amount: amount !== null && amount > 0 ? Math.min(amount, 1_000_000) : 1,
      createdAt,
      updatedAt,
    },
  };
}

const writePart =
  (source: LegacySourceName) =>
  (db: Db, id: string, v: PartValues, existing: boolean): BatchItem<"sqlite">[] => {
    const { legacyKey: key, ...fields } = v;
    if (existing) {
      return [
        db
          .update(parts)
          .set({ ...fields, version: sql`${parts.version} + 1` })
          .where(eq(parts.id, intId(id))),
      ];
    }
    return [db.insert(parts).values(fields), keyOfInserted(db, source, "parts", "parts", key)];
  };

export interface PartFileValues extends Record<string, unknown>, KeyedValues {
  partId: string;
  file: string;
  fileKey: string;
  fileKind: "step" | "pdf";
  fileContentType: string;
  fileSize: number;
  sha256: string;
}

export function mapPartFile(row: LegacyRow, ctx: MapContext): MapResult<PartFileValues> {
  const partId = ctx.ref("parts", row.part_id);
  if (!partId) return { error: `part ${String(row.part_id)} was not imported (see its parts row)` };
  if (typeof row.problem === "string") return { error: row.problem };
  const kind = row.kind === "step" || row.kind === "pdf" ? row.kind : null;
  if (!kind) return { error: "file is neither a STEP model nor a PDF" };
  return {
    values: {
      legacyKey: legacyKey(row.part_id),
      partId,
      file: requiredText(row.file, "file", 200),
      fileKey: requiredText(row.key, "key", 200),
      fileKind: kind,
      fileContentType: requiredText(row.content_type, "content_type", 100),
      fileSize: optionalInt(row.size, "size") ?? 0,
      sha256: requiredText(row.sha256, "sha256", 64),
    },
  };
}

const writePartFile =
  (source: LegacySourceName) =>
  (db: Db, _id: string, v: PartFileValues, existing: boolean): BatchItem<"sqlite">[] => {
    const pid = intId(v.partId);
    const statements: BatchItem<"sqlite">[] = [
      // The part's previous file and model go through the outbox (unless it is this very file).
      queueFileDeletionsOf(db, parts.fileKey, and(eq(parts.id, pid), ne(parts.fileKey, v.fileKey))),
      queueFileDeletionsOf(db, conversionJobs.glbKey, and(eq(conversionJobs.partId, pid), ne(conversionJobs.stepKey, v.fileKey))),
      db
        .update(parts)
        .set({
          file: v.file,
          fileKey: v.fileKey,
          fileKind: v.fileKind,
          fileContentType: v.fileContentType,
          fileSize: v.fileSize,
          version: sql`${parts.version} + 1`,
        })
        .where(eq(parts.id, pid)),
    ];
    if (v.fileKind === "step") {
      const jobId = crypto.randomUUID();
      statements.push(
        db
          .insert(conversionJobs)
          .values({ partId: pid, jobId, state: "queued", stepKey: v.fileKey, attempts: 0, heartbeatAt: null })
          .onConflictDoUpdate({
            target: conversionJobs.partId,
            set: {
              jobId,
              state: "queued",
              stepKey: v.fileKey,
              glbKey: null,
              glbSize: null,
              meshes: null,
              triangles: null,
              attempts: 0,
              error: null,
              unconvertible: false,
              heartbeatAt: null,
              queuedAt: sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`,
              startedAt: null,
              finishedAt: null,
            },
            // A re-run with the same file keeps the model it already has.
            setWhere: ne(conversionJobs.stepKey, v.fileKey),
          }),
      );
    } else statements.push(db.delete(conversionJobs).where(eq(conversionJobs.partId, pid)));
    // The legacy key names the part (its file is part of it).
    if (!existing) statements.push(keyOf(db, source, PART_FILES_TABLE, "parts", v.legacyKey, sql`${v.partId}`));
    return statements;
  };

/** A Part Management or Aerie importer; `wasm` is sql.js's compiled module (see ./sqlite.ts). */
export function partsSource(name: Extract<LegacySourceName, "parts" | "aerie">, wasm: () => Promise<WebAssembly.Module>): LegacySource {
  return {
    name,
    open: async (ctx) => {
      if (!ctx.input.file_key) throw new Error("A Part Management import needs its uploaded database or archive (file_key)");
      return PartsUploadReader.open(await wasm(), ctx.files, ctx.input.file_key);
    },
    tables: [
      defineTable<PartValues>({
        read: {
          name: "parts",
          key: "id",
          keyType: "int",
          columns: [
            "id",
            "uuid",
            "type",
            "material",
            "material_thickness",
            "part_id",
            "name",
            "subsystem",
            "assigned",
            "status",
            "misc_info",
            "notes",
            "file",
            "onshape_url",
            "claimed_date",
            "created_at",
            "amount",
            "updated_at",
            "category",
          ],
        },
        map: mapPart,
        target: { table: parts, checksum: ["name", "partId", "status", "category", "assigned", "amount"], write: writePart(name) },
      }),
      defineTable<PartFileValues>({
        read: {
          name: PART_FILES_TABLE,
          key: "part_id",
          keyType: "int",
          columns: ["part_id", "file", "key", "kind", "content_type", "size", "sha256", "problem"],
        },
        refs: { part_id: "parts" },
        map: mapPartFile,
        target: { table: parts, checksum: ["file", "fileKey", "fileSize"], write: writePartFile(name) },
      }),
    ],
  };
}
