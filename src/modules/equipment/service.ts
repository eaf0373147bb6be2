/**
 * The equipment registry's rules, shared by `/api/v1/equipment` and CCbackend's `/api/equipment`.
 *
 * Every write (create, update, status change, delete) is one D1 batch that first inserts the
 * item's next log row and then moves the master row to that version. The log's unique
 * `(equipment_id, version)` index makes the batch the lock: a writer who read a version someone
 * else has since moved fails on the index, the batch rolls back whole, and the caller gets 409
 * with the current record. So `version` (`UPD_CNT`) always equals the number of log rows, the
 * log is complete, and a batch of many items is all-or-nothing even against concurrent writers.
 */
import { and, asc, count, desc, eq, gte, inArray, isNull, max, type SQL, sql } from "drizzle-orm";
import { isConstraintError } from "../../db/client";
import { type EquipmentAction, type EquipmentKind, equipment, equipmentLog, equipmentMaintenance, type FieldChanges, issueReports } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { AppError } from "../../lib/errors";
import { type Page, type PageParams, paginate } from "../../lib/pagination";
import { actorOf } from "../../lib/principal";
import { chunk, escapeLike, IDS_PER_STATEMENT, likeContains, type PagedRead, type PlainRead, pagedRead, plainRead, rowsPerInsert } from "../../lib/sql";
import type { Principal } from "../../types";
import { currentLogJoin, type EquipmentRow, equipmentColumns, equipmentNotFound, ofKind, requireEquipment, selectEquipment, toEquipment } from "./repo";
import type {
  BatchItem,
  BatchProblem,
  CreateEquipment,
  Equipment,
  EquipmentListQuery,
  EquipmentStatus,
  LogEntry,
  Maintenance,
  ScheduleMaintenance,
  UpdateEquipment,
} from "./schemas";

type DbDeps = Pick<Deps, "db" | "now">;
/** Writes that change a status also tell the item's line room (MS5's `equipment_status_update`). */
type WriteDeps = Pick<Deps, "db" | "now" | "rooms" | "waitUntil">;
type LogInsert = typeof equipmentLog.$inferInsert;
type LogRow = typeof equipmentLog.$inferSelect;

/** Log rows per multi-row insert (D1's parameter bound). */
const LOG_ROWS_PER_INSERT = rowsPerInsert(equipmentLog);

/** The master fields, API name → column key, in the order the log lists them. */
const MASTER_FIELDS = [
  ["name", "name"],
  ["production_line", "productionLine"],
  ["size", "size"],
  ["box_id", "boxId"],
  ["user_name", "userName"],
  ["start_time", "startTime"],
] as const;

type MasterInput = Partial<Record<(typeof MASTER_FIELDS)[number][0], string | null>>;
type MasterSet = Partial<Record<(typeof MASTER_FIELDS)[number][1], string | null>>;

/** What a change sets on the master row, and the log's old → new record of it. */
function masterChanges(current: EquipmentRow | undefined, input: MasterInput): { set: MasterSet; changes: FieldChanges } {
  const set: MasterSet = {};
  const changes: FieldChanges = {};
  for (const [field, key] of MASTER_FIELDS) {
    const value = input[field];
    if (value === undefined) continue;
    const before = current ? current[key] : null;
    if (value === before) continue;
    set[key] = value;
    changes[field] = { from: before, to: value };
  }
  return { set, changes };
}

/** 409: the item moved on since the caller read it. `details.current` is the record as it is now. */
const staleVersion = (current: Equipment) =>
  new AppError("CONFLICT", `Equipment '${current.code}' was changed by someone else (now version ${current.version}); reload and retry`, {
    reason: "equipment_stale",
    details: { current },
  });

/**
 * Creates an item and its first log row in one batch (CCbackend: `UPD_CNT` counts log rows, so
 * a new item is version 1). 409 when a live item has the code.
 */
export async function createEquipment(deps: DbDeps, input: CreateEquipment, actor: Principal): Promise<Equipment> {
  const { db } = deps;
  const now = deps.now().toISOString();
  const by = actorOf(actor).name;
  const id = crypto.randomUUID();
  const { set, changes } = masterChanges(undefined, input);
  // An item on a production line is MS5's machine unless the caller says otherwise.
  const kind = input.kind ?? (input.production_line ? "ms5" : "ccbackend");
  const master = { id, code: input.code, kind, ...set, createdBy: by, createdAt: now, updatedAt: now, version: 1 };
  const log: LogInsert = {
    equipmentId: id,
    version: 1,
    action: "create",
    inputDate: input.start_time ?? now,
    status: input.status ?? null,
    subStatus: input.sub_status ?? null,
    changes,
    comment: input.comment ?? null,
    updatedBy: by,
    updatedAt: now,
  };
  try {
    await db.batch([db.insert(equipment).values(master), db.insert(equipmentLog).values(log)]);
  } catch (err) {
    if (isConstraintError(err, "UNIQUE")) {
      throw new AppError("CONFLICT", `Equipment '${input.code}' already exists`, { reason: "equipment_exists" });
    }
    throw err;
  }
  return toEquipment({
    id,
    code: input.code,
    name: set.name ?? null,
    productionLine: set.productionLine ?? null,
    size: set.size ?? null,
    boxId: set.boxId ?? null,
    userName: set.userName ?? null,
    startTime: set.startTime ?? null,
    createdBy: by,
    createdAt: now,
    version: 1,
    status: log.status ?? null,
    subStatus: log.subStatus ?? null,
    comment: log.comment ?? null,
    updatedBy: by,
    updatedAt: now,
  });
}

/** One planned change of one item: its next log row and what moves on the master row. */
interface PlannedChange {
  current: EquipmentRow;
  log: LogInsert;
  set: MasterSet & { deletedAt?: string };
}

function planChange(
  current: EquipmentRow,
  input: MasterInput & { status?: string | null; sub_status?: string | null; comment?: string | null },
  by: string,
  now: string,
  action?: EquipmentAction,
): PlannedChange {
  const { set, changes } = masterChanges(current, input);
  const status = input.status !== undefined ? input.status : current.status;
  const subStatus = input.sub_status !== undefined ? input.sub_status : current.subStatus;
  const statusMoved = status !== current.status || subStatus !== current.subStatus;
  return {
    current,
    set,
    log: {
      equipmentId: current.id,
      version: current.version + 1,
      action: action ?? (Object.keys(changes).length === 0 && statusMoved ? "status" : "update"),
      inputDate: set.startTime ?? current.startTime ?? now,
      status,
      subStatus,
      previousStatus: current.status,
      previousSubStatus: current.subStatus,
      changes,
      comment: input.comment ?? null,
      updatedBy: by,
      updatedAt: now,
    },
  };
}

/** The item after a planned change (no re-read needed: the batch committed exactly this). */
const afterChange = ({ current, set, log }: PlannedChange): Equipment =>
  toEquipment({
    ...current,
    ...set,
    version: log.version,
    status: log.status ?? null,
    subStatus: log.subStatus ?? null,
    comment: log.comment ?? null,
    updatedBy: log.updatedBy,
    updatedAt: log.updatedAt ?? current.updatedAt,
  });

/**
 * Commits planned changes in one batch: their log rows first (the unique index refuses a version
 * someone else took), then each master row moves to its new version. Throws the constraint error
 * when any item was stale; nothing is written then.
 */
async function commitChanges({ db }: Pick<Deps, "db">, planned: readonly PlannedChange[], now: string): Promise<void> {
  const inserts = chunk(
    planned.map((p) => p.log),
    LOG_ROWS_PER_INSERT,
  ).map((rows) => db.insert(equipmentLog).values(rows));
  // Items whose master fields change get their own update; the rest move together. Neither
  // needs a version check: the log rows inserted first already claimed each next version.
  const withFields = planned.filter((p) => Object.keys(p.set).length > 0);
  const bare = planned.filter((p) => Object.keys(p.set).length === 0);
  const updates = [
    ...withFields.map((p) =>
      db
        .update(equipment)
        .set({ ...p.set, version: p.log.version, updatedAt: now })
        .where(and(eq(equipment.id, p.current.id), eq(equipment.version, p.current.version))),
    ),
    ...chunk(bare, IDS_PER_STATEMENT).map((group) =>
      db
        .update(equipment)
        .set({ version: sql`${equipment.version} + 1`, updatedAt: now })
        .where(
          inArray(
            equipment.id,
            group.map((p) => p.current.id),
          ),
        ),
    ),
  ];
  const [first, ...rest] = [...inserts, ...updates];
  if (!first) return;
  await db.batch([first, ...rest]);
}

/**
 * Updates an item: master fields, status and sub-status, with a comment for the log. Omitted
 * fields keep their value. `expectedVersion` (the body's `version` or If-Match) must be the
 * current version: otherwise 409 with the current record, and nothing changes.
 */
export async function updateEquipment(
  deps: WriteDeps,
  code: string,
  input: UpdateEquipment,
  actor: Principal,
  expectedVersion?: number,
  kind?: EquipmentKind,
): Promise<Equipment> {
  const current = await requireEquipment(deps, code, kind);
  const by = actorOf(actor).name;
  for (const expected of [input.version, expectedVersion]) {
    if (expected === undefined || expected === current.version) continue;
    if (isOwnReplay(current, input, by, expected)) return toEquipment(current);
    throw staleVersion(toEquipment(current));
  }
  const now = deps.now().toISOString();
  const plan = planChange(current, input, by, now);
  await commitOrStale(deps, [plan], now);
  announceStatusChanges(deps, [plan]);
  return afterChange(plan);
}

/**
 * A tablet whose response was lost sends the same write again with the version it read. When
 * that write is the item's latest (one version on, by the same person) and the item already holds
 * exactly what it asks for, the retry is answered with the item instead of a 409.
 */
function isOwnReplay(current: EquipmentRow, input: UpdateEquipment, by: string, expected: number): boolean {
  if (expected !== current.version - 1 || current.updatedBy !== by) return false;
  if (Object.keys(masterChanges(current, input).changes).length > 0) return false;
  const same = <T>(wanted: T | undefined, now: T) => wanted === undefined || wanted === now;
  return same(input.status, current.status) && same(input.sub_status, current.subStatus) && (input.comment ?? null) === current.comment;
}

/**
 * After a committed write: each item on a production line whose status moved is announced to
 * that line's room as MS5's `equipment_status_update`. Best effort, after the response (a
 * tablet that misses it resyncs from `GET /api/v1/equipment/status`).
 */
function announceStatusChanges({ rooms, waitUntil }: Pick<Deps, "rooms" | "waitUntil">, planned: readonly PlannedChange[]): void {
  for (const { current, log } of planned) {
    const line = current.productionLine;
    if (line === null || (log.status === current.status && log.subStatus === current.subStatus)) continue;
    const data = {
      equipment_code: current.code,
      status: log.status ?? null,
      sub_status: log.subStatus ?? null,
      previous_status: current.status,
      previous_sub_status: current.subStatus,
      comment: log.comment ?? null,
      version: log.version,
      updated_by: log.updatedBy,
      updated_at: log.updatedAt ?? null,
    };
    waitUntil(rooms.line.get(rooms.line.idFromName(line)).publish({ type: "equipment_status_update", line_id: line, data }));
  }
}

/** Commits; a stale item (someone wrote in between) becomes 409 with the item as it is now. */
async function commitOrStale(deps: DbDeps, planned: readonly PlannedChange[], now: string): Promise<void> {
  try {
    await commitChanges(deps, planned, now);
  } catch (err) {
    if (!isConstraintError(err, "UNIQUE")) throw err;
    const codes = planned.map((p) => p.current.code);
    const [fresh, latest] = await Promise.all([
      liveByCode(deps, codes),
      latestLogVersions(
        deps,
        planned.map((p) => p.current.id),
      ),
    ]);
    const [single] = planned;
    if (planned.length === 1 && single) {
      const item = fresh.get(single.current.code);
      throw item ? staleVersion(toEquipment(item)) : equipmentNotFound(single.current.code);
    }
    throw batchRejected(
      planned.flatMap((p, index) => {
        const item = fresh.get(p.current.code);
        if (!item || item.id !== p.current.id) return [problem(index, p.current.code, "not_found")];
        const newest = Math.max(item.version, latest.get(p.current.id) ?? 0);
        return newest === p.current.version ? [] : [problem(index, p.current.code, "stale", newest)];
      }),
    );
  }
}

/** The highest log version of each item: past the version read means someone else wrote. */
async function latestLogVersions({ db }: Pick<Deps, "db">, ids: readonly string[]): Promise<Map<string, number>> {
  const latest = new Map<string, number>();
  const [first, ...rest] = chunk(ids, IDS_PER_STATEMENT).map((group) =>
    db
      .select({ id: equipmentLog.equipmentId, version: max(equipmentLog.version) })
      .from(equipmentLog)
      .where(inArray(equipmentLog.equipmentId, group))
      .groupBy(equipmentLog.equipmentId),
  );
  if (!first) return latest;
  for (const rows of await db.batch([first, ...rest])) for (const row of rows) latest.set(row.id, row.version ?? 0);
  return latest;
}

/** Live items by code, in as few queries as the parameter limit allows (one batch). */
async function liveByCode(deps: Pick<Deps, "db">, codes: readonly string[], kind?: EquipmentKind): Promise<Map<string, EquipmentRow>> {
  const { db } = deps;
  const groups = chunk([...new Set(codes)], IDS_PER_STATEMENT);
  const found = new Map<string, EquipmentRow>();
  const [first, ...rest] = groups.map((group) => selectEquipment(deps, and(inArray(equipment.code, group), ofKind(kind))));
  if (!first) return found;
  const results = await db.batch([first, ...rest]);
  for (const rows of results) for (const row of rows) found.set(row.code, row);
  return found;
}

const PROBLEM_TEXT: Record<BatchProblem["problem"], string> = {
  not_found: "not found",
  stale: "was changed by someone else",
  duplicate: "appears more than once",
  no_change: "gives no status, sub-status or comment",
};

function problem(index: number, code: string, kind: BatchProblem["problem"], currentVersion?: number): BatchProblem {
  const version = currentVersion === undefined ? "" : ` (now version ${currentVersion})`;
  return {
    index,
    code,
    problem: kind,
    message: `${code}: ${PROBLEM_TEXT[kind]}${version}`,
    ...(currentVersion === undefined ? {} : { current_version: currentVersion }),
  };
}

/** 409 naming every refused item; the batch changed nothing. */
const batchRejected = (problems: BatchProblem[]) =>
  new AppError("CONFLICT", `Batch rejected, nothing was changed: ${problems.map((p) => p.message).join("; ")}`, {
    reason: "batch_rejected",
    details: problems,
  });

/**
 * Changes the status of many items at once (CCbackend's batch): all or nothing. Each item needs
 * a status, sub-status or comment; `sub_status` defaults to `status`. Any unknown, duplicated,
 * empty or stale item refuses the whole batch with a 409 naming each one.
 */
export async function batchUpdateEquipment(deps: WriteDeps, items: readonly BatchItem[], actor: Principal, kind?: EquipmentKind): Promise<Equipment[]> {
  const problems: BatchProblem[] = [];
  const seen = new Set<string>();
  items.forEach((item, index) => {
    if (seen.has(item.code)) problems.push(problem(index, item.code, "duplicate"));
    seen.add(item.code);
    if (item.status == null && item.sub_status == null && item.comment == null) problems.push(problem(index, item.code, "no_change"));
  });
  const live = await liveByCode(
    deps,
    items.map((i) => i.code),
    kind,
  );
  items.forEach((item, index) => {
    const current = live.get(item.code);
    if (!current) problems.push(problem(index, item.code, "not_found"));
    else if (item.version !== undefined && item.version !== current.version) problems.push(problem(index, item.code, "stale", current.version));
  });
  if (problems.length > 0) throw batchRejected(problems.sort((a, b) => a.index - b.index));

  const now = deps.now().toISOString();
  const by = actorOf(actor).name;
  const planned = items.map((item) => {
    const current = live.get(item.code) as EquipmentRow;
    const status = item.status ?? current.status;
    const plan = planChange(
      current,
      { status, sub_status: item.sub_status ?? item.status ?? current.subStatus, comment: item.comment ?? null },
      by,
      now,
      "status",
    );
    plan.log.inputDate = now;
    return plan;
  });
  await commitOrStale(deps, planned, now);
  announceStatusChanges(deps, planned);
  return planned.map(afterChange);
}

/**
 * Deletes an item softly: it leaves the registry (lists, lookups, counts) and its code is free
 * again, while its log and issue reports stay (the log is never deleted; reports keep their
 * photos until deleted themselves). The deletion is a log row of its own.
 */
export async function deleteEquipment(deps: DbDeps, code: string, actor: Principal, expectedVersion?: number, kind?: EquipmentKind) {
  const current = await requireEquipment(deps, code, kind);
  if (expectedVersion !== undefined && expectedVersion !== current.version) throw staleVersion(toEquipment(current));
  const now = deps.now().toISOString();
  const plan = planChange(current, {}, actorOf(actor).name, now, "delete");
  plan.set.deletedAt = now;
  await commitOrStale(deps, [plan], now);
  return { code: current.code, deleted_at: now, version: plan.log.version };
}

/** One live item. */
export async function getEquipment(deps: Pick<Deps, "db">, code: string): Promise<Equipment> {
  return toEquipment(await requireEquipment(deps, code));
}

function listFilters(query: Partial<Pick<EquipmentListQuery, "status" | "sub_status" | "production_line" | "q">>): SQL | undefined {
  return and(
    query.status === undefined ? undefined : eq(equipmentLog.status, query.status),
    query.sub_status === undefined ? undefined : eq(equipmentLog.subStatus, query.sub_status),
    query.production_line === undefined ? undefined : eq(equipment.productionLine, query.production_line),
    query.q === undefined ? undefined : likeContains([equipment.code, equipment.name], query.q),
  );
}

type ListFilter = Partial<Pick<EquipmentListQuery, "status" | "sub_status" | "production_line" | "q">>;

/**
 * The hot lists as plain reads (lib/sql.ts): SQL built once per combination of filters (values
 * are placeholders), rows as D1 answers them, mapped once by the caller. The conditions are
 * `listFilters`' (same columns, same LIKE escaping), `kind` and the live-item rule `selectEquipment`'s.
 */
const listReads = new Map<string, { all: PlainRead<EquipmentRow>; paged: PagedRead<EquipmentRow> }>();
function listRead(filter: ListFilter, kind: boolean) {
  const key = `${filter.status !== undefined}${filter.sub_status !== undefined}${filter.production_line !== undefined}${filter.q !== undefined}${kind}`;
  let read = listReads.get(key);
  if (!read) {
    const q = sql.placeholder("q");
    const where = and(
      isNull(equipment.deletedAt),
      filter.status === undefined ? undefined : sql`${equipmentLog.status} = ${sql.placeholder("status")}`,
      filter.sub_status === undefined ? undefined : sql`${equipmentLog.subStatus} = ${sql.placeholder("sub_status")}`,
      filter.production_line === undefined ? undefined : sql`${equipment.productionLine} = ${sql.placeholder("production_line")}`,
      filter.q === undefined ? undefined : sql`(${equipment.code} like ${q} escape '\\' or ${equipment.name} like ${q} escape '\\')`,
      kind ? sql`${equipment.kind} = ${sql.placeholder("kind")}` : undefined,
    );
    const from = sql`from ${equipment} inner join ${equipmentLog} on ${currentLogJoin} where ${where}`;
    read = { all: plainRead(equipmentColumns, sql`${from} ${ORDER}`), paged: pagedRead(equipmentColumns, from, ORDER) };
    listReads.set(key, read);
  }
  return read;
}
const listValues = (filter: ListFilter, kind?: EquipmentKind) => ({
  status: filter.status,
  sub_status: filter.sub_status,
  production_line: filter.production_line,
  q: filter.q === undefined ? undefined : `%${escapeLike(filter.q)}%`,
  kind,
});
const ORDER = sql`order by ${equipment.code} asc, ${equipment.id} asc`;

/**
 * A page of live items by code (then id), filtered by status, sub-status, line or a search text,
 * and their total: one D1 statement. Rows as `equipmentColumns` names them (map with `toEquipment`).
 */
export async function listEquipment(deps: Pick<Deps, "d1">, query: EquipmentListQuery): Promise<Page<EquipmentRow>> {
  const { rows, total } = await listRead(query, false).paged.run(deps.d1, { ...listValues(query), limit: query.limit, offset: query.offset });
  return { items: rows, total, limit: query.limit, offset: query.offset };
}

/** Every live item by code (CCbackend's list returns them all), optionally of one status: one query. */
export async function listAllEquipment(deps: Pick<Deps, "d1">, filter: { status?: string | undefined }, kind?: EquipmentKind): Promise<EquipmentRow[]> {
  return listRead(filter, kind !== undefined).all.all(deps.d1, listValues(filter, kind));
}

/** Live items by current status (`null` for items without one). */
export async function statusCounts({ db }: Pick<Deps, "db">, kind?: EquipmentKind): Promise<{ counts: Record<string, number>; total: number }> {
  const rows = await db
    .select({ status: equipmentLog.status, n: count() })
    .from(equipment)
    .innerJoin(equipmentLog, currentLogJoin)
    .where(and(isNull(equipment.deletedAt), ofKind(kind)))
    .groupBy(equipmentLog.status);
  const counts: Record<string, number> = {};
  let total = 0;
  for (const row of rows) {
    counts[row.status ?? "null"] = row.n;
    total += row.n;
  }
  return { counts, total };
}

/** The one place a log row becomes a response. */
const toLogEntry = (code: string, row: LogRow): LogEntry => ({
  id: row.id,
  equipment_code: code,
  version: row.version,
  action: row.action,
  input_date: row.inputDate,
  status: row.status,
  sub_status: row.subStatus,
  previous_status: row.previousStatus,
  previous_sub_status: row.previousSubStatus,
  changes: row.changes,
  comment: row.comment,
  updated_by: row.updatedBy,
  updated_at: row.updatedAt,
});

/** A live item's history, newest first. `page` undefined: all of it (CCbackend). */
export async function equipmentLogOf(deps: Pick<Deps, "db">, code: string, page?: PageParams, kind?: EquipmentKind): Promise<Page<LogEntry>> {
  const item = await requireEquipment(deps, code, kind);
  const query = deps.db.select().from(equipmentLog).where(eq(equipmentLog.equipmentId, item.id)).$dynamic();
  if (page === undefined) {
    const rows = await query.orderBy(desc(equipmentLog.version));
    return { items: rows.map((r) => toLogEntry(item.code, r)), total: rows.length, limit: Math.max(rows.length, 1), offset: 0 };
  }
  const result = await paginate(deps.db, query, page, { orderBy: [desc(equipmentLog.version)], tiebreaker: equipmentLog.id });
  return { ...result, items: result.items.map((r) => toLogEntry(item.code, r)) };
}

/** Open faults of an item: its issue reports still pending or being processed. */
const openFaults = sql<number>`(select count(*) from ${issueReports} where ${issueReports.equipmentId} = ${equipment.id} and ${issueReports.status} in ('pending', 'processing'))`;

/** MS5's equipment status board: live items with their open faults, by code. */
export async function listEquipmentStatus(deps: Pick<Deps, "db">, query: EquipmentListQuery): Promise<Page<EquipmentStatus>> {
  const select = deps.db
    .select({ ...equipmentColumns, openFaults: openFaults.mapWith(Number).as("open_faults") })
    .from(equipment)
    .innerJoin(equipmentLog, currentLogJoin)
    .where(and(isNull(equipment.deletedAt), listFilters(query)))
    .$dynamic();
  const page = await paginate(deps.db, select, query, { orderBy: [asc(equipment.code)], tiebreaker: equipment.id });
  return { ...page, items: page.items.map((row) => ({ ...toEquipment(row), open_faults: row.openFaults })) };
}

const toMaintenance = (code: string, row: typeof equipmentMaintenance.$inferSelect): Maintenance => ({
  id: row.id,
  equipment_code: code,
  maintenance_type: row.maintenanceType,
  priority: row.priority,
  scheduled_at: row.scheduledAt,
  estimated_duration_minutes: row.estimatedDurationMinutes,
  description: row.description,
  status: row.status,
  created_by: row.createdBy,
  created_at: row.createdAt,
});

/** MS5's equipment detail: the item, its open faults and its maintenance still to come. */
export async function equipmentDetail(deps: DbDeps, code: string) {
  const { db } = deps;
  const item = await requireEquipment(deps, code);
  const [[faults], upcoming] = await db.batch([
    db
      .select({ n: count() })
      .from(issueReports)
      .where(and(eq(issueReports.equipmentId, item.id), inArray(issueReports.status, ["pending", "processing"]))),
    db
      .select()
      .from(equipmentMaintenance)
      .where(
        and(
          eq(equipmentMaintenance.equipmentId, item.id),
          eq(equipmentMaintenance.status, "scheduled"),
          gte(equipmentMaintenance.scheduledAt, deps.now().toISOString()),
        ),
      )
      .orderBy(asc(equipmentMaintenance.scheduledAt), asc(equipmentMaintenance.id))
      .limit(20),
  ]);
  return { ...toEquipment(item), open_faults: faults?.n ?? 0, upcoming_maintenance: upcoming.map((m) => toMaintenance(item.code, m)) };
}

/** Schedules maintenance on a live item (MS5). It does not change the item, so no log row. */
export async function scheduleMaintenance(deps: DbDeps, code: string, input: ScheduleMaintenance, actor: Principal): Promise<Maintenance> {
  const item = await requireEquipment(deps, code);
  const [row] = await deps.db
    .insert(equipmentMaintenance)
    .values({
      id: crypto.randomUUID(),
      equipmentId: item.id,
      maintenanceType: input.maintenance_type,
      priority: input.priority,
      scheduledAt: input.scheduled_at,
      estimatedDurationMinutes: input.estimated_duration_minutes ?? null,
      description: input.description ?? null,
      createdBy: actorOf(actor).name,
      createdAt: deps.now().toISOString(),
    })
    .returning();
  if (!row) throw new Error("maintenance insert returned nothing");
  return toMaintenance(item.code, row);
}
