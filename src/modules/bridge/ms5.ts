/**
 * MS5.0's importer (seed 004): its PostgreSQL schema `factory_telemetry` (the `001_…`–`009_…`
 * migrations of Dashboard4-0/MS5_App) into Floorline's tables. Read through the Hyperdrive
 * binding (LEGACY_DB). Tables in dependency order:
 *
 *   users → users (bcrypt/Werkzeug/passlib hashes kept as they are: verified on first login, then rehashed)
 *   production_lines → production_lines        equipment_config → equipment (kind ms5)
 *   product_types → products                   production_schedules → production_schedules
 *   job_assignments → job_assignments          andon_events → andon_events
 *   oee_calculations → oee_calculations (MS5's hypertable: the OEE history)
 *
 * Tables with `updated_at` (users, lines, equipment, schedules) are read incrementally by it; the
 * rest are compared by row hash.
 */
import {
  ANDON_PRIORITIES,
  ANDON_STATUSES,
  ANDON_TYPES,
  andonEvents,
  equipment,
  JOB_STATUSES,
  jobAssignments,
  oeeCalculations,
  productionLines,
  productionSchedules,
  products,
  SCHEDULE_STATUSES,
  users,
} from "../../db/schema";
import { usernameKey } from "../../lib/fields";
import { openPostgres } from "./postgres";
import { defineTable, type LegacyRow, type LegacySource } from "./source";
import { legacyPasswordHash, writeImportedUser } from "./users";
import { BadValue, optionalBool, optionalInt, optionalNumber, optionalText, optionalTime, requiredNumber, requiredText, requiredTime } from "./values";

const SCHEMA = "factory_telemetry";
/** Who Floorline records as the author of rows MS5 kept no author for. */
const IMPORTER = "legacy:ms5";
const MS5_ROLES = ["admin", "production_manager", "shift_manager", "engineer", "operator", "maintenance", "quality", "viewer"] as const;

function oneOf<T extends string>(value: unknown, column: string, allowed: readonly T[]): T {
  if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
  throw new BadValue(`${column}: ${JSON.stringify(String(value)).slice(0, 40)} is not one of ${allowed.join(", ")}`);
}

function textArray(value: unknown, column: string, maxItems: number, maxLength: number): string[] {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) throw new BadValue(`${column}: not an array`);
  if (value.length > maxItems) throw new BadValue(`${column}: more than ${maxItems} items`);
  return value.map((v, i) => requiredText(v, `${column}[${i}]`, maxLength));
}

/** A reference that must resolve (its row imported earlier). */
function mustRef(ctx: { ref(table: string, id: unknown): string | undefined }, table: string, id: unknown, what: string): string {
  const found = ctx.ref(table, id);
  if (!found) throw new BadValue(`${what} ${String(id)} was not imported`);
  return found;
}

const usersTable = defineTable({
  read: {
    name: "users",
    key: "id",
    keyType: "text",
    updatedAt: "updated_at",
    columns: [
      "id",
      "username",
      "email",
      "password_hash",
      "role",
      "first_name",
      "last_name",
      "employee_id",
      "department",
      "shift",
      "skills",
      "certifications",
      "is_active",
      "created_at",
      "updated_at",
      "last_login",
    ],
  },
  target: {
    table: users,
    checksum: ["username", "email", "role", "passwordHash", "isActive"],
    write: writeImportedUser,
  },
  map: (row: LegacyRow) => {
    const username = requiredText(row.username, "username", 100);
    return {
      values: {
        username,
        usernameKey: usernameKey(username),
        email: optionalText(row.email, "email", 254),
        passwordHash: legacyPasswordHash(row.password_hash, "password_hash"),
        role: oneOf(row.role ?? "operator", "role", MS5_ROLES),
        firstName: optionalText(row.first_name, "first_name", 100),
        lastName: optionalText(row.last_name, "last_name", 100),
        employeeId: optionalText(row.employee_id, "employee_id", 100),
        department: optionalText(row.department, "department", 100),
        shift: optionalText(row.shift, "shift", 50),
        skills: textArray(row.skills, "skills", 100, 100),
        certifications: textArray(row.certifications, "certifications", 100, 100),
        isActive: optionalBool(row.is_active, "is_active") ?? true,
        createdAt: optionalTime(row.created_at, "created_at") ?? undefined,
        updatedAt: optionalTime(row.updated_at, "updated_at") ?? undefined,
        lastLogin: optionalTime(row.last_login, "last_login"),
      },
    };
  },
});

const linesTable = defineTable({
  read: {
    name: "production_lines",
    key: "id",
    keyType: "text",
    updatedAt: "updated_at",
    columns: ["id", "line_code", "name", "description", "equipment_codes", "target_speed", "enabled", "created_at", "updated_at"],
  },
  target: { table: productionLines, checksum: ["lineCode", "name", "equipmentCodes", "targetSpeed", "enabled"] },
  map: (row) => ({
    values: {
      lineCode: requiredText(row.line_code, "line_code", 50),
      name: requiredText(row.name, "name", 200),
      description: optionalText(row.description, "description", 2000),
      equipmentCodes: textArray(row.equipment_codes, "equipment_codes", 200, 100),
      targetSpeed: optionalNumber(row.target_speed, "target_speed"),
      enabled: optionalBool(row.enabled, "enabled") ?? true,
      createdAt: optionalTime(row.created_at, "created_at") ?? undefined,
    },
  }),
});

const equipmentTable = defineTable({
  read: {
    name: "equipment_config",
    key: "id",
    keyType: "text",
    updatedAt: "updated_at",
    columns: ["id", "equipment_code", "name", "line_code", "created_at", "updated_at"],
  },
  target: { table: equipment, checksum: ["code", "name", "productionLine"] },
  map: (row) => ({
    values: {
      kind: "ms5" as const,
      code: requiredText(row.equipment_code, "equipment_code", 100),
      name: optionalText(row.name, "name", 200),
      productionLine: optionalText(row.line_code, "line_code", 50),
      createdBy: IMPORTER,
      createdAt: optionalTime(row.created_at, "created_at") ?? undefined,
    },
  }),
});

const productsTable = defineTable({
  read: {
    name: "product_types",
    key: "id",
    keyType: "text",
    columns: ["id", "product_code", "name", "description", "cycle_time_seconds", "enabled", "created_at"],
  },
  target: { table: products, checksum: ["productCode", "name", "idealCycleTime"] },
  map: (row) => ({
    values: {
      productCode: requiredText(row.product_code, "product_code", 50),
      name: requiredText(row.name, "name", 200),
      description: optionalText(row.description, "description", 2000),
      idealCycleTime: optionalNumber(row.cycle_time_seconds, "cycle_time_seconds"),
      enabled: optionalBool(row.enabled, "enabled") ?? true,
      createdAt: optionalTime(row.created_at, "created_at") ?? undefined,
    },
  }),
});

const schedulesTable = defineTable({
  read: {
    name: "production_schedules",
    key: "id",
    keyType: "text",
    updatedAt: "updated_at",
    columns: ["id", "line_id", "product_type_id", "scheduled_start", "scheduled_end", "target_quantity", "status", "created_by", "created_at", "updated_at"],
  },
  refs: { line_id: "production_lines", product_type_id: "product_types", created_by: "users" },
  target: { table: productionSchedules, checksum: ["lineId", "productId", "scheduledStart", "targetQuantity", "status"] },
  map: (row, ctx) => {
    // MS5's `paused` has no Floorline schedule state: the schedule is still under way.
    const status = row.status === "paused" ? "in_progress" : oneOf(row.status ?? "scheduled", "status", SCHEDULE_STATUSES);
    return {
      values: {
        lineId: mustRef(ctx, "production_lines", row.line_id, "line"),
        productId: mustRef(ctx, "product_types", row.product_type_id, "product type"),
        scheduledStart: requiredTime(row.scheduled_start, "scheduled_start"),
        scheduledEnd: requiredTime(row.scheduled_end, "scheduled_end"),
        targetQuantity: optionalInt(row.target_quantity, "target_quantity") ?? 0,
        status,
        createdBy: row.created_by ? (ctx.ref("users", row.created_by) ?? null) : null,
        createdAt: optionalTime(row.created_at, "created_at") ?? undefined,
      },
    };
  },
});

const jobsTable = defineTable({
  read: {
    name: "job_assignments",
    key: "id",
    keyType: "text",
    columns: ["id", "schedule_id", "line_id", "user_id", "status", "assigned_at", "accepted_at", "started_at", "completed_at", "notes"],
  },
  refs: { schedule_id: "production_schedules", line_id: "production_lines", user_id: "users" },
  target: { table: jobAssignments, checksum: ["scheduleId", "userId", "status", "assignedAt"] },
  map: (row, ctx) => ({
    values: {
      scheduleId: mustRef(ctx, "production_schedules", row.schedule_id, "schedule"),
      lineId: mustRef(ctx, "production_lines", row.line_id, "line"),
      userId: mustRef(ctx, "users", row.user_id, "user"),
      status: oneOf(row.status ?? "assigned", "status", JOB_STATUSES),
      assignedAt: requiredTime(row.assigned_at, "assigned_at"),
      acceptedAt: optionalTime(row.accepted_at, "accepted_at"),
      startedAt: optionalTime(row.started_at, "started_at"),
      completedAt: optionalTime(row.completed_at, "completed_at"),
      notes: optionalText(row.notes, "notes", 2000),
    },
  }),
});

const andonTable = defineTable({
  read: {
    name: "andon_events",
    key: "id",
    keyType: "text",
    columns: [
      "id",
      "line_id",
      "equipment_code",
      "event_type",
      "priority",
      "description",
      "status",
      "reported_by",
      "reported_at",
      "acknowledged_by",
      "acknowledged_at",
      "resolved_by",
      "resolved_at",
      "resolution_notes",
      "escalation_level",
    ],
  },
  refs: { line_id: "production_lines", reported_by: "users", acknowledged_by: "users", resolved_by: "users" },
  target: { table: andonEvents, checksum: ["lineId", "eventType", "priority", "status", "reportedAt", "resolvedAt"] },
  map: (row, ctx) => ({
    values: {
      lineId: mustRef(ctx, "production_lines", row.line_id, "line"),
      equipmentCode: optionalText(row.equipment_code, "equipment_code", 100),
      eventType: oneOf(row.event_type, "event_type", ANDON_TYPES),
      priority: oneOf(row.priority, "priority", ANDON_PRIORITIES),
      description: requiredText(row.description, "description", 2000),
      status: oneOf(row.status ?? "open", "status", ANDON_STATUSES),
      escalationLevel: optionalInt(row.escalation_level, "escalation_level") ?? 0,
      reportedBy: ctx.ref("users", row.reported_by) ?? IMPORTER,
      reportedAt: requiredTime(row.reported_at, "reported_at"),
      acknowledgedBy: row.acknowledged_by ? (ctx.ref("users", row.acknowledged_by) ?? IMPORTER) : null,
      acknowledgedAt: optionalTime(row.acknowledged_at, "acknowledged_at"),
      resolvedBy: row.resolved_by ? (ctx.ref("users", row.resolved_by) ?? IMPORTER) : null,
      resolvedAt: optionalTime(row.resolved_at, "resolved_at"),
      resolutionNotes: optionalText(row.resolution_notes, "resolution_notes", 2000),
    },
  }),
});

const oeeTable = defineTable({
  read: {
    name: "oee_calculations",
    key: "id",
    keyType: "int",
    columns: [
      "id",
      "line_id",
      "equipment_code",
      "calculation_time",
      "availability",
      "performance",
      "quality",
      "oee",
      "planned_production_time",
      "actual_production_time",
      "ideal_cycle_time",
      "actual_cycle_time",
      "good_parts",
      "total_parts",
    ],
  },
  refs: { line_id: "production_lines" },
  target: { table: oeeCalculations, checksum: ["lineId", "calculationTime", "oee", "goodParts", "totalParts"] },
  map: (row, ctx) => {
    const end = requiredTime(row.calculation_time, "calculation_time");
    const planned = optionalNumber(row.planned_production_time, "planned_production_time") ?? 0;
    const actual = optionalNumber(row.actual_production_time, "actual_production_time") ?? 0;
    // MS5 keeps the calculation's time and planned seconds; the period is the planned time before it.
    const start = new Date(Date.parse(end) - planned * 1000).toISOString();
    return {
      values: {
        lineId: mustRef(ctx, "production_lines", row.line_id, "line"),
        equipmentCode: optionalText(row.equipment_code, "equipment_code", 100),
        calculationTime: end,
        periodStart: start,
        periodEnd: end,
        availability: requiredNumber(row.availability, "availability"),
        performance: requiredNumber(row.performance, "performance"),
        quality: requiredNumber(row.quality, "quality"),
        oee: requiredNumber(row.oee, "oee"),
        plannedProductionTime: planned,
        actualProductionTime: actual,
        unplannedDowntime: Math.max(0, planned - actual),
        plannedDowntime: 0,
        idealCycleTime: optionalNumber(row.ideal_cycle_time, "ideal_cycle_time"),
        actualCycleTime: optionalNumber(row.actual_cycle_time, "actual_cycle_time"),
        goodParts: optionalInt(row.good_parts, "good_parts") ?? 0,
        totalParts: optionalInt(row.total_parts, "total_parts") ?? 0,
      },
    };
  },
});

const T = (name: string) => `${SCHEMA}.${name}`;

export const ms5Source: LegacySource = {
  name: "ms5",
  open: (ctx) =>
    openPostgres(ctx.hyperdrive("ms5").connectionString, {
      schema: SCHEMA,
      relations: {
        // Floorline's equipment names its line by code; a job carries its schedule's line.
        equipment_config: `SELECT e.*, l.line_code FROM ${T("equipment_config")} e LEFT JOIN ${T("production_lines")} l ON l.id = e.production_line_id`,
        job_assignments: `SELECT j.*, s.line_id FROM ${T("job_assignments")} j LEFT JOIN ${T("production_schedules")} s ON s.id = j.schedule_id`,
        // escalation_level comes from 005's andon_escalations when present; 0 otherwise.
        andon_events: `SELECT a.*, 0 AS escalation_level FROM ${T("andon_events")} a`,
      },
    }),
  tables: [usersTable, linesTable, equipmentTable, productsTable, schedulesTable, jobsTable, andonTable, oeeTable],
};
