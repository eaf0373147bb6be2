/**
 * RM365's importer: its attendance database (PostgreSQL, schema `public`; helenrm365/
 * rm365-tools-testing `backend/`) into Floorline's tables. Read through the Hyperdrive binding
 * LEGACY_RM365_DB. RM365's backend creates none of these tables itself: their columns are those
 * its modules' SQL reads and writes (test/fixtures/legacy/rm365-schema.sql lists where).
 *
 *   login_users → users                 passlib bcrypt (`$2b$`) kept as stored: verified on first
 *                                       login, then rehashed; `allowed_tabs` (CSV) → allowed_tabs
 *   employees → attendance_employees     location → department, status 'inactive' → not active
 *   employees.nfc_uid → enrollment_cards (legacy table `employee_cards`: one card per employee)
 *   employee_fingerprints → enrollment_fingerprints (template kept as its SHA-256, as Floorline keeps it)
 *   attendance_logs → attendance_events  an 'in' is closed by the employee's next event when that
 *                                       is an 'out'; the employee's latest event sets their clock state
 *
 * RM365's inventory database (stock, adjustments, label jobs) is imported in the same run, after
 * these tables: ./rm365-inventory.ts, read through the LEGACY_RM365_INVENTORY_DB binding.
 *
 * A login user whose password hash is of a format Floorline's verifier does not recognise
 * (src/lib/passwords.ts `legacyHashProblem`: the shapes their writers give them) is a failed row (username + reason): imported, they could
 * never sign in.
 *
 * None of RM365's tables keeps an update time: every run reads every row and writes only those
 * whose mapped values changed (row hash).
 */
import { sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "../../db/client";
import { attendanceEmployees, attendanceEvents, enrollmentCards, enrollmentFingerprints, users } from "../../db/schema";
import { isoNow } from "../../db/schema/columns";
import { usernameKey } from "../../lib/fields";
import { isTimeZone } from "../attendance/time";
import { openPostgres } from "./postgres";
import { RM365_INVENTORY_TABLES, rm365InventoryRelations, rm365InventoryTables } from "./rm365-inventory";
import { jsonLiterals, upsertStatements } from "./runner";
import type { LegacySource, SourceReader, WriteMany, WriteRow } from "./source";
import { defineTable, type MapContext } from "./source";
import { legacyPasswordHash, writeImportedUser } from "./users";
import { BadValue, legacyKey, optionalText, optionalTime, requiredText, requiredTime, sqlLiteral } from "./values";

/** Who Floorline records as the author of rows RM365 kept no author for. */
const IMPORTER = "legacy:rm365";
const ACTOR_NAME = "RM365 (imported)";

/** A reference that must resolve (its row imported earlier). */
function mustRef(ctx: MapContext, table: string, id: unknown, what: string): string {
  const found = ctx.ref(table, id);
  if (!found) throw new BadValue(`${what} ${String(id)} was not imported`);
  return found;
}

/** RM365's comma-separated tabs → a list; empty → null (the role's tabs). */
export function tabsOf(value: unknown): string[] | null {
  const text = optionalText(value, "allowed_tabs", 5000);
  if (text === null) return null;
  const tabs = [
    ...new Set(
      text
        .split(",")
        .map((t) => t.trim())
        .filter((t) => t.length > 0),
    ),
  ];
  if (tabs.length > 100) throw new BadValue("allowed_tabs: more than 100 tabs");
  for (const tab of tabs)
    if (!/^[a-z0-9][a-z0-9._-]{0,99}$/i.test(tab)) throw new BadValue(`allowed_tabs: ${JSON.stringify(tab.slice(0, 40))} is not a tab name`);
  return tabs.length ? tabs : null;
}

/**
 * A stored password hash Floorline's verifier recognises (passlib's bcrypt as RM365 wrote it,
 * Werkzeug, native), or BadValue: a user imported with any other would never sign in. The
 * reason names no part of the hash.
 */
export function knownHash(value: unknown): string {
  return legacyPasswordHash(value, "password_hash");
}

const usersTable = defineTable({
  read: { name: "login_users", key: "username", keyType: "text", columns: ["username", "password_hash", "role", "allowed_tabs"] },
  target: { table: users, checksum: ["username", "role", "passwordHash", "allowedTabs"], write: writeImportedUser },
  map: (row) => {
    const username = requiredText(row.username, "username", 100);
    const role = optionalText(row.role, "role", 100)?.trim().toLowerCase() || "user";
    return {
      values: {
        username,
        usernameKey: usernameKey(username),
        passwordHash: knownHash(row.password_hash),
        // RM365 has `admin` and everyone else (`user`, custom names), whose rights are their tabs.
        role: role === "admin" ? "admin" : "viewer",
        allowedTabs: tabsOf(row.allowed_tabs),
        isActive: true,
      },
    };
  },
});

const employeesTable = defineTable({
  read: { name: "employees", key: "id", keyType: "int", columns: ["id", "name", "employee_code", "location", "status"] },
  target: { table: attendanceEmployees, checksum: ["code", "name", "department", "active"] },
  map: (row) => {
    const code = optionalText(row.employee_code, "employee_code", 100)?.trim();
    return {
      values: {
        // RM365's code is optional; Floorline's is the unique badge number.
        code: code || `RM365-${legacyKey(row.id)}`,
        name: requiredText(row.name, "name", 200).trim(),
        department: optionalText(row.location, "location", 100)?.trim() || null,
        active: (optionalText(row.status, "status", 50) ?? "").trim().toLowerCase() !== "inactive",
        createdBy: IMPORTER,
      },
    };
  },
});

const cardsTable = defineTable({
  read: { name: "employee_cards", key: "id", keyType: "int", columns: ["id", "nfc_uid"] },
  refs: { id: "employees" },
  target: { table: enrollmentCards, checksum: ["employeeId", "uid"] },
  map: (row, ctx) => {
    const uid = requiredText(row.nfc_uid, "nfc_uid", 64)
      .trim()
      .replace(/[\s:-]/g, "")
      .toUpperCase();
    if (!/^[0-9A-F]{4,32}$/.test(uid)) throw new BadValue("nfc_uid: not 4-32 hex digits");
    return { values: { employeeId: mustRef(ctx, "employees", row.id, "employee"), uid, label: "RM365 card", createdBy: IMPORTER } };
  },
});

const fingerprintsTable = defineTable({
  read: { name: "employee_fingerprints", key: "id", keyType: "int", columns: ["id", "employee_id", "name", "created_at", "template_sha256"] },
  refs: { employee_id: "employees" },
  target: { table: enrollmentFingerprints, checksum: ["employeeId", "templateId", "templateHash"] },
  map: (row, ctx) => ({
    values: {
      employeeId: mustRef(ctx, "employees", row.employee_id, "employee"),
      // RM365 matched templates on its host; readers enrolled anew report their own ids.
      templateId: `rm365-${legacyKey(row.id)}`,
      templateHash: optionalText(row.template_sha256, "template", 64),
      createdBy: IMPORTER,
      createdAt: optionalTime(row.created_at, "created_at") ?? undefined,
    },
  }),
});

interface EventValues extends Record<string, unknown> {
  employeeId: string;
  direction: "in" | "out";
  at: string;
  /** The legacy id of the event this one pairs with: an 'in''s closing 'out', an 'out''s 'in'. */
  pairLegacyId: string | null;
  /** The employee's latest event: it sets their clock state. */
  latest: boolean;
}

/** The join condition on an attendance_logs legacy key (`legacyId`: SQL giving the key). */
const logKey = (legacyId: string) => `lk.legacy_source = 'rm365' AND lk.legacy_table = 'attendance_logs' AND lk.legacy_id = ${legacyId}`;

/**
 * The JSON-array literals of the links a page of clock events sets. Each item is a few ids and a
 * time, far below a statement's size; one that is not (never expected) fails the page, which the
 * runner retries or reports, rather than dropping a link without a word.
 */
function literalsOf(items: readonly unknown[]): string[] {
  const { literals, large } = jsonLiterals(items);
  if (large.length > 0) throw new Error(`${large.length} clock-event link(s) too large for one statement`);
  return literals;
}

/**
 * A chunk of a page's clock events, a few statements for all of them (`writeMany`): the events in
 * multi-row upserts, then, after their legacy keys, each pair linked and each employee's clock
 * state moved by one `UPDATE … FROM json_each('[…]')` each (the rows as a JSON literal).
 * The same outcome as writing them one by one: whichever event of a pair lands second links them
 * (ids from legacy_keys, which hold the keys of this chunk by then), and the state goes to the
 * employee's latest event unless a later one set it already.
 */
export function writeEvents(db: Db, rows: readonly WriteRow<EventValues>[]): WriteMany {
  const out: BatchItem<"sqlite">[] = [];
  const events = rows.map(({ id, values: v }) => ({
    id,
    employeeId: v.employeeId,
    direction: v.direction,
    at: v.at,
    source: "manual" as const,
    actorId: null,
    actorName: ACTOR_NAME,
  }));
  const upserts = upsertStatements(attendanceEvents, events, ["id"], ["employeeId", "direction", "at"]);
  for (const text of upserts.statements) out.push(db.run(sql.raw(text)));
  for (const i of upserts.rest) {
    const { id, employeeId, direction, at, ...rest } = events[i] as (typeof events)[number];
    const row = { employeeId, direction, at };
    out.push(
      db
        .insert(attendanceEvents)
        .values({ id, ...row, ...rest })
        .onConflictDoUpdate({ target: attendanceEvents.id, set: row }),
    );
  }
  const after: BatchItem<"sqlite">[] = [];
  // An 'in' whose closing 'out' is imported: closed by it.
  const ins = rows.filter((r) => r.values.direction === "in" && r.values.pairLegacyId !== null).map((r) => [r.id, r.values.pairLegacyId]);
  for (const list of literalsOf(ins))
    after.push(
      db.run(
        sql.raw(`UPDATE attendance_events SET closed_by = p.closer
          FROM (SELECT json_extract(j.value, '$[0]') AS id, lk.floorline_id AS closer
                FROM json_each(${list}) AS j JOIN legacy_keys AS lk ON ${logKey("json_extract(j.value, '$[1]')")}) AS p
          WHERE attendance_events.id = p.id`),
      ),
    );
  // An 'out' whose 'in' is imported closes it (the last such 'out' of the chunk, as one by one).
  const outs = new Map<string, string>();
  for (const r of rows) if (r.values.direction === "out" && r.values.pairLegacyId !== null) outs.set(r.values.pairLegacyId, r.id);
  for (const list of literalsOf([...outs]))
    after.push(
      db.run(
        sql.raw(`UPDATE attendance_events SET closed_by = p.closer
          FROM (SELECT lk.floorline_id AS id, json_extract(j.value, '$[1]') AS closer
                FROM json_each(${list}) AS j JOIN legacy_keys AS lk ON ${logKey("json_extract(j.value, '$[0]')")}) AS p
          WHERE attendance_events.id = p.id AND attendance_events.direction = 'in'`),
      ),
    );
  // Each employee's latest event sets their clock state, unless a later event set it already;
  // of two for one employee (a source changed mid-run), the one that one by one would leave.
  const latest = new Map<string, WriteRow<EventValues>>();
  for (const r of rows) {
    if (!r.values.latest) continue;
    const seen = latest.get(r.values.employeeId);
    if (!seen || seen.values.at <= r.values.at) latest.set(r.values.employeeId, r);
  }
  const states = [...latest.values()].map((r) => [r.id, r.values.employeeId, r.values.direction, r.values.at]);
  for (const list of literalsOf(states))
    after.push(
      db.run(
        sql.raw(`UPDATE attendance_employees SET clock_state = p.direction, clock_since = p.at, last_event_id = p.id, updated_at = ${sqlLiteral(isoNow())}
          FROM (SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS employee_id,
                       json_extract(value, '$[2]') AS direction, json_extract(value, '$[3]') AS at
                FROM json_each(${list})) AS p
          WHERE attendance_employees.id = p.employee_id
            AND (attendance_employees.clock_since IS NULL OR attendance_employees.clock_since <= p.at)`),
      ),
    );
  return { rows: out, afterKeys: after };
}

const logsTable = defineTable<EventValues>({
  read: {
    name: "attendance_logs",
    key: "id",
    keyType: "int",
    columns: ["id", "employee_id", "log_time", "direction", "next_id", "next_direction", "prev_id", "prev_direction"],
  },
  refs: { employee_id: "employees" },
  target: { table: attendanceEvents, checksum: ["employeeId", "direction", "at"], writeMany: writeEvents },
  map: (row, ctx) => {
    const direction = row.direction === "in" || row.direction === "out" ? row.direction : undefined;
    if (!direction) throw new BadValue(`direction: ${JSON.stringify(String(row.direction)).slice(0, 20)} is not in or out`);
    const pair = direction === "in" ? (row.next_direction === "out" ? row.next_id : null) : row.prev_direction === "in" ? row.prev_id : null;
    return {
      values: {
        employeeId: mustRef(ctx, "employees", row.employee_id, "employee"),
        direction,
        at: requiredTime(row.log_time, "log_time"),
        pairLegacyId: pair === null || pair === undefined ? null : legacyKey(pair),
        latest: row.next_id === null || row.next_id === undefined,
      },
    };
  },
});

/**
 * RM365 wrote its times with `datetime.now()` into `timestamp` columns: the plant's wall clock,
 * without a zone. Read them in the plant's time zone (ATTENDANCE_TIME_ZONE) as instants. The
 * name goes into the SQL text, so only a plain IANA name is accepted.
 */
function plantTime(column: string, timeZone: string): string {
  if (!isTimeZone(timeZone) || !/^[A-Za-z0-9_+\-/]{1,64}$/.test(timeZone)) throw new Error(`Unusable plant time zone ${JSON.stringify(timeZone)}`);
  return `(${column} AT TIME ZONE '${timeZone}')`;
}

/** An employee's events in time order (ties by id): the one after and the one before each. */
const logsRelation = (timeZone: string) => `
  SELECT a.id, a.employee_id, ${plantTime("a.log_time", timeZone)} AS log_time, a.direction,
         nx.id AS next_id, nx.direction AS next_direction, pv.id AS prev_id, pv.direction AS prev_direction
  FROM public.attendance_logs a
  LEFT JOIN LATERAL (SELECT n.id, n.direction FROM public.attendance_logs n
    WHERE n.employee_id = a.employee_id AND (n.log_time, n.id) > (a.log_time, a.id) ORDER BY n.log_time, n.id LIMIT 1) nx ON true
  LEFT JOIN LATERAL (SELECT p.id, p.direction FROM public.attendance_logs p
    WHERE p.employee_id = a.employee_id AND (p.log_time, p.id) < (a.log_time, a.id) ORDER BY p.log_time DESC, p.id DESC LIMIT 1) pv ON true`;

/**
 * One reader over RM365's two databases: the inventory tables page through `inventory` (opened
 * on first use, so a run that stops before them never connects), the rest through `attendance`.
 */
export function twoDatabases(attendance: SourceReader, inventory: () => Promise<SourceReader>): SourceReader {
  let opened: Promise<SourceReader> | undefined;
  const readerOf = (table: string): Promise<SourceReader> => {
    if (!RM365_INVENTORY_TABLES.has(table)) return Promise.resolve(attendance);
    opened ??= inventory();
    return opened;
  };
  return {
    page: async (table, after, limit, since) => (await readerOf(table.name)).page(table, after, limit, since),
    count: async (table) => (await readerOf(table.name)).count(table),
    async close() {
      const second = opened;
      opened = undefined;
      await Promise.allSettled([attendance.close(), second?.then((r) => r.close())]);
    },
  };
}

export const rm365Source: LegacySource = {
  name: "rm365",
  open: async (ctx) => {
    const timeZone = ctx.plantTimeZone();
    const attendance = await openPostgres(ctx.hyperdrive("rm365").connectionString, {
      schema: "public",
      relations: {
        employee_cards: "SELECT id, nfc_uid FROM public.employees WHERE nfc_uid IS NOT NULL AND btrim(nfc_uid) <> ''",
        employee_fingerprints: `SELECT id, employee_id, name, ${plantTime("created_at", timeZone)} AS created_at, encode(sha256(template), 'hex') AS template_sha256 FROM public.employee_fingerprints`,
        attendance_logs: logsRelation(timeZone),
      },
    });
    return twoDatabases(attendance, () =>
      openPostgres(ctx.hyperdrive("rm365_inventory").connectionString, {
        schema: "public",
        relations: rm365InventoryRelations((column) => plantTime(column, timeZone)),
      }),
    );
  },
  tables: [usersTable, employeesTable, cardsTable, fingerprintsTable, logsTable, ...rm365InventoryTables],
};
