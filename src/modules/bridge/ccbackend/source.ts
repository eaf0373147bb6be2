/**
 * The CCbackend importer (seed 000: SQL Server `CC_USER`, `CC_MASTER`, `CC_LOG`, `CC_REPORT`),
 * read from the export the README's sqlcmd command writes (./reader.ts). Pure mappers, one per
 * table; the runner (./runner.ts) pages, hashes and writes.
 *
 * - CC_USER → users, with the password hash exactly as CCbackend stored it (Werkzeug's
 *   `pbkdf2:sha256…` / `scrypt:…`, or bcrypt): the login verifies it and rehashes it natively
 *   (src/lib/passwords.ts). New accounts get the `operator` role (CCbackend had no roles; an
 *   admin promotes whoever processed reports). A hash of any other shape fails the row
 *   (../users.ts `legacyPasswordHash`). A re-import writes an existing account as every importer
 *   does (../users.ts `writeImportedUser`): never its password, role or activation, so a login or
 *   password reset in CCbackend during the cutover cannot undo a password changed in Floorline.
 * - CC_MASTER → equipment (kind `ccbackend`). `UPD_CNT` is not copied: Floorline's version
 *   counts the item's log rows, as CCbackend's `GET /api/equipment` recomputes it.
 * - CC_LOG → equipment_log, in `CCL_ID` order: a new row takes the item's next version (the
 *   first is its `create`), so the item's current status is its latest CCbackend log row.
 * - CC_REPORT → issue_reports; the status word (待處理/處理中/已完成/已處理/已忽略) maps as the
 *   CCbackend surface maps it, and is kept as the label the client sees.
 *
 * No CCbackend table keeps an update time for every change, so each run compares rows (hashes).
 */
import { eq, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "../../../db/client";
import { equipment, equipmentLog, issueReports, users } from "../../../db/schema";
import { Username, usernameKey } from "../../../lib/fields";
import { EquipmentCode } from "../../equipment/schemas";
import { STATUS_WORDS } from "../../issue-reports/schemas";
import { intId, type KeyedValues, keyOfInserted } from "../integer-target";
import { defineTable, type LegacyRow, type LegacySource, type MapContext, type MapResult } from "../source";
import { legacyPasswordHash, writeImportedUser } from "../users";
import { BadValue, legacyKey, optionalText, optionalTime, requiredText, requiredTime } from "../values";
import { CcExportReader } from "./reader";

const SOURCE = "ccbackend" as const;
/** Who the importer writes as, where a Floorline column names who did something. */
export const IMPORT_ACTOR = "ccbackend-import";
/** The role of accounts CCbackend users become. */
export const IMPORTED_USER_ROLE = "operator";

const issueOf = (issues: { message: string }[]): string => issues.map((i) => i.message).join("; ");

// ---------------------------------------------------------------------------------------------
// CC_USER

export interface UserValues extends Record<string, unknown> {
  username: string;
  usernameKey: string;
  passwordHash: string;
  role: string;
  isActive: boolean;
}

export function mapUser(row: LegacyRow): MapResult<UserValues> {
  const name = Username.safeParse(row.USER_NAME);
  if (!name.success) return { error: `USER_NAME ${JSON.stringify(String(row.USER_NAME)).slice(0, 80)}: ${issueOf(name.error.issues)}` };
  const hash = legacyPasswordHash(row.PASSWORD, "PASSWORD");
  return { values: { username: name.data, usernameKey: usernameKey(name.data), passwordHash: hash, role: IMPORTED_USER_ROLE, isActive: true } };
}

// ---------------------------------------------------------------------------------------------
// CC_MASTER

export interface EquipmentValues extends Record<string, unknown> {
  kind: "ccbackend";
  code: string;
  size: string | null;
  boxId: string | null;
  userName: string | null;
  startTime: string | null;
}

export function mapEquipment(row: LegacyRow): MapResult<EquipmentValues> {
  const code = EquipmentCode.safeParse(row.CCM_ID);
  if (!code.success) return { error: `CCM_ID: ${issueOf(code.error.issues)}` };
  return {
    values: {
      kind: "ccbackend",
      code: code.data,
      size: optionalText(row.CC_SIZE, "CC_SIZE", 50),
      boxId: optionalText(row.BOX_ID, "BOX_ID", 64),
      userName: optionalText(row.USER_NAME, "USER_NAME", 100),
      startTime: optionalTime(row.CC_STARTTIME, "CC_STARTTIME"),
    },
  };
}

function writeEquipment(db: Db, id: string, v: EquipmentValues, existing: boolean): BatchItem<"sqlite">[] {
  if (!existing) return [db.insert(equipment).values({ id, ...v, createdBy: IMPORT_ACTOR, version: 0 })];
  return [db.update(equipment).set({ size: v.size, boxId: v.boxId, userName: v.userName, startTime: v.startTime }).where(eq(equipment.id, id))];
}

// ---------------------------------------------------------------------------------------------
// CC_LOG

export interface LogValues extends Record<string, unknown>, KeyedValues {
  equipmentId: string;
  inputDate: string;
  status: string | null;
  subStatus: string | null;
  comment: string | null;
  updatedBy: string;
  updatedAt: string;
}

const missingItem = (code: unknown) => `equipment ${JSON.stringify(String(code)).slice(0, 80)} is not in CC_MASTER (deleted in CCbackend, or not imported)`;

export function mapLog(row: LegacyRow, ctx: MapContext): MapResult<LogValues> {
  const equipmentId = ctx.ref("CC_MASTER", row.CC_ID_FK);
  if (!equipmentId) return { error: missingItem(row.CC_ID_FK) };
  const updatedAt = optionalTime(row.UPDATE_TIME, "UPDATE_TIME") ?? requiredTime(row.INPUT_DATE, "INPUT_DATE");
  return {
    values: {
      legacyKey: legacyKey(row.CCL_ID),
      equipmentId,
      inputDate: optionalTime(row.INPUT_DATE, "INPUT_DATE") ?? updatedAt,
      status: optionalText(row.CC_STATUS, "CC_STATUS", 50),
      subStatus: optionalText(row.CC_SUBSTATUS, "CC_SUBSTATUS", 50),
      comment: optionalText(row.COMMENT, "COMMENT", 2000),
      updatedBy: optionalText(row.UPDATE_BY, "UPDATE_BY", 100) ?? IMPORT_ACTOR,
      updatedAt,
    },
  };
}

function writeLog(db: Db, id: string, v: LogValues, existing: boolean): BatchItem<"sqlite">[] {
  const fields = { inputDate: v.inputDate, status: v.status, subStatus: v.subStatus, comment: v.comment, updatedBy: v.updatedBy, updatedAt: v.updatedAt };
  if (existing)
    return [
      db
        .update(equipmentLog)
        .set(fields)
        .where(eq(equipmentLog.id, intId(id))),
    ];
  const latest = sql`(select ${equipmentLog.version} from ${equipmentLog} where ${equipmentLog.equipmentId} = ${v.equipmentId} order by ${equipmentLog.version} desc limit 1)`;
  const previous = (column: typeof equipmentLog.status | typeof equipmentLog.subStatus) =>
    sql`(select ${column} from ${equipmentLog} where ${equipmentLog.equipmentId} = ${v.equipmentId} order by ${equipmentLog.version} desc limit 1)`;
  return [
    db.insert(equipmentLog).values({
      equipmentId: v.equipmentId,
      version: sql`coalesce(${latest}, 0) + 1`,
      action: sql`case when ${latest} is null then 'create' else 'status' end`,
      previousStatus: previous(equipmentLog.status),
      previousSubStatus: previous(equipmentLog.subStatus),
      ...fields,
    }),
    keyOfInserted(db, SOURCE, "CC_LOG", "equipment_log", v.legacyKey),
    // The master's version counts its log rows (CCbackend's UPD_CNT).
    db
      .update(equipment)
      .set({ version: sql`${equipment.version} + 1`, updatedAt: sql`max(${equipment.updatedAt}, ${v.updatedAt})` })
      .where(eq(equipment.id, v.equipmentId)),
  ];
}

// ---------------------------------------------------------------------------------------------
// CC_REPORT

export interface ReportValues extends Record<string, unknown>, KeyedValues {
  equipmentId: string;
  reporter: string;
  reportedAt: string;
  issueType: string;
  description: string | null;
  status: "pending" | "processing" | "completed" | "ignored";
  statusLabel: string;
  processor: string | null;
  processedAt: string | null;
  processNotes: string | null;
}

export function mapReport(row: LegacyRow, ctx: MapContext): MapResult<ReportValues> {
  const equipmentId = ctx.ref("CC_MASTER", row.CCM_ID_FK);
  if (!equipmentId) return { error: missingItem(row.CCM_ID_FK) };
  const label = (optionalText(row.STATUS, "STATUS", 20) ?? "待處理").trim();
  const status = STATUS_WORDS[label];
  if (!status) return { error: `STATUS ${JSON.stringify(label)} is none of 待處理/處理中/已完成/已處理/已忽略` };
  return {
    values: {
      legacyKey: legacyKey(row.ID),
      equipmentId,
      reporter: optionalText(row.REPORTER, "REPORTER", 100) ?? IMPORT_ACTOR,
      reportedAt: requiredTime(row.REPORT_TIME, "REPORT_TIME"),
      issueType: requiredText(row.ISSUE_TYPE, "ISSUE_TYPE", 50),
      description: optionalText(row.ISSUE_INFO, "ISSUE_INFO", 2000),
      status,
      statusLabel: label,
      processor: optionalText(row.PROCESSER, "PROCESSER", 100),
      processedAt: optionalTime(row.PROCESS_TIME, "PROCESS_TIME"),
      processNotes: optionalText(row.PROCESS_NOTES, "PROCESS_NOTES", 2000),
    },
  };
}

function writeReport(db: Db, id: string, v: ReportValues, existing: boolean): BatchItem<"sqlite">[] {
  const { legacyKey: key, ...fields } = v;
  if (existing)
    return [
      db
        .update(issueReports)
        .set(fields)
        .where(eq(issueReports.id, intId(id))),
    ];
  return [db.insert(issueReports).values(fields), keyOfInserted(db, SOURCE, "CC_REPORT", "issue_reports", key)];
}

/** Rethrows anything but BadValue (the runner reports BadValue as the row's reason). */
export { BadValue };

export const ccbackendSource: LegacySource = {
  name: SOURCE,
  open: async (ctx) => {
    if (!ctx.input.file_key) throw new Error("A CCbackend import needs its uploaded export (file_key)");
    return CcExportReader.open(ctx.files, ctx.input.file_key);
  },
  tables: [
    defineTable<UserValues>({
      read: { name: "CC_USER", key: "USER_NAME", keyType: "text", columns: ["USER_NAME", "PASSWORD"] },
      map: mapUser,
      target: { table: users, checksum: ["username", "usernameKey"], write: writeImportedUser },
    }),
    defineTable<EquipmentValues>({
      read: { name: "CC_MASTER", key: "CCM_ID", keyType: "text", columns: ["CCM_ID", "CC_SIZE", "BOX_ID", "USER_NAME", "CC_STARTTIME", "UPD_CNT"] },
      map: mapEquipment,
      target: { table: equipment, checksum: ["code", "size", "boxId", "userName", "startTime"], write: writeEquipment },
    }),
    defineTable<LogValues>({
      read: {
        name: "CC_LOG",
        key: "CCL_ID",
        keyType: "int",
        columns: ["CCL_ID", "CC_ID_FK", "INPUT_DATE", "CC_STATUS", "CC_SUBSTATUS", "UPDATE_BY", "UPDATE_TIME", "COMMENT"],
      },
      refs: { CC_ID_FK: "CC_MASTER" },
      map: mapLog,
      target: { table: equipmentLog, checksum: ["status", "subStatus", "comment", "updatedBy", "updatedAt"], write: writeLog },
    }),
    defineTable<ReportValues>({
      read: {
        name: "CC_REPORT",
        key: "ID",
        keyType: "int",
        columns: [
          "ID",
          "CCM_ID_FK",
          "REPORTER",
          "REPORT_TIME",
          "ISSUE_TYPE",
          "ISSUE_INFO",
          "IMAGE_PATH",
          "STATUS",
          "PROCESSER",
          "PROCESS_TIME",
          "PROCESS_NOTES",
        ],
      },
      refs: { CCM_ID_FK: "CC_MASTER" },
      map: mapReport,
      target: { table: issueReports, checksum: ["issueType", "description", "status", "processor", "processedAt", "processNotes"], write: writeReport },
    }),
  ],
};
