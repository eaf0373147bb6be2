import { and, desc, eq, gt, gte, isNotNull, isNull, lt, or, type SQL } from "drizzle-orm";
import { downtimeEvents, oeeCalculations, productionCounts, products } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { AppError, notFound } from "../../lib/errors";
import { type PageParams, paginate } from "../../lib/pagination";
import type { Principal } from "../../types";
import { publishLine } from "../production/live";
import { actorId, findLine } from "../production/service";
import { oeeOfWindow } from "./formula";
import type { CalculateOee, CreateCounts, CreateDowntime, DowntimeQuery, OeeResult, UpdateDowntime } from "./schemas";

type OeeDeps = Pick<Deps, "db" | "rooms" | "requestId" | "now">;
type DowntimeRow = typeof downtimeEvents.$inferSelect;
type CalcRow = typeof oeeCalculations.$inferSelect;

const startOfUtcDay = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
const DAY_MS = 86_400_000;

const bodyError = (path: string, message: string) =>
  new AppError("VALIDATION_ERROR", `Invalid request body: ${path} ${message}`, { details: [{ path, message }] });

/** The line, or a 422 naming `body.line_id` (for writes that name a line in their body). */
async function lineFor(deps: Pick<Deps, "db">, lineId: string) {
  try {
    return await findLine(deps, lineId);
  } catch (err) {
    if (err instanceof AppError && err.code === "NOT_FOUND") throw bodyError("body.line_id", "No such production line");
    throw err;
  }
}

/**
 * The OEE of a line (optionally one equipment code's downtime) over [from, to), from D1: the
 * downtime overlapping the period, clipped to it (a running stop counts until now), and the
 * counts whose period starts inside it, each at its product's ideal cycle time or the line's.
 */
export async function measureOee(deps: Pick<Deps, "db" | "now">, lineId: string, equipmentCode: string | null, from: Date, to: Date): Promise<OeeResult> {
  const { db } = deps;
  const [fromIso, toIso] = [from.toISOString(), to.toISOString()];
  const downtimeWhere = [
    eq(downtimeEvents.lineId, lineId),
    lt(downtimeEvents.startTime, toIso),
    or(isNull(downtimeEvents.endTime), gt(downtimeEvents.endTime, fromIso)),
  ];
  if (equipmentCode !== null) downtimeWhere.push(or(isNull(downtimeEvents.equipmentCode), eq(downtimeEvents.equipmentCode, equipmentCode)));
  const line = await findLine(deps, lineId);
  const [downs, counts] = await db.batch([
    db
      .select({ start: downtimeEvents.startTime, end: downtimeEvents.endTime, category: downtimeEvents.category })
      .from(downtimeEvents)
      .where(and(...downtimeWhere)),
    db
      .select({ total: productionCounts.totalCount, good: productionCounts.goodCount, ideal: products.idealCycleTime })
      .from(productionCounts)
      .leftJoin(products, eq(products.id, productionCounts.productId))
      .where(and(eq(productionCounts.lineId, lineId), gte(productionCounts.periodStart, fromIso), lt(productionCounts.periodStart, toIso))),
  ]);
  const now = deps.now().getTime();
  const figures = oeeOfWindow({
    fromMs: from.getTime(),
    toMs: to.getTime(),
    counts,
    stops: downs.map((d) => ({ category: d.category, startMs: Date.parse(d.start), endMs: d.end === null ? now : Date.parse(d.end) })),
    lineIdealCycleTime: line.idealCycleTime ?? null,
  });
  return {
    id: null,
    line_id: lineId,
    equipment_code: equipmentCode,
    calculation_time: deps.now().toISOString(),
    period_start: fromIso,
    period_end: toIso,
    ...figures,
  };
}

/** Today (UTC) so far on a line. */
export async function currentOee(deps: Pick<Deps, "db" | "now">, lineId: string): Promise<OeeResult> {
  const now = deps.now();
  return measureOee(deps, lineId, null, startOfUtcDay(now), now);
}

/** Pushes today's running figures to the line (after counts or downtime changed). */
async function pushCurrent(deps: OeeDeps, lineId: string): Promise<void> {
  const figures = await currentOee(deps, lineId);
  await publishLine(deps, { type: "oee_update", line_id: lineId, data: figures });
}

const toResult = (row: CalcRow): OeeResult => ({
  id: row.id,
  line_id: row.lineId,
  equipment_code: row.equipmentCode,
  calculation_time: row.calculationTime,
  period_start: row.periodStart,
  period_end: row.periodEnd,
  availability: row.availability,
  performance: row.performance,
  quality: row.quality,
  oee: row.oee,
  planned_production_time: row.plannedProductionTime,
  actual_production_time: row.actualProductionTime,
  unplanned_downtime: row.unplannedDowntime,
  planned_downtime: row.plannedDowntime,
  ideal_cycle_time: row.idealCycleTime,
  actual_cycle_time: row.actualCycleTime,
  good_parts: row.goodParts,
  total_parts: row.totalParts,
});

/**
 * MS5's `POST /oee/calculate`: the OEE of a period (default: today, UTC, so far), stored in the
 * line's history and pushed as `oee_update`.
 */
export async function calculateOee(deps: OeeDeps, input: CalculateOee): Promise<OeeResult> {
  await lineFor(deps, input.line_id);
  const now = deps.now();
  const to = input.end_time ? new Date(input.end_time) : now;
  const from = input.start_time ? new Date(input.start_time) : startOfUtcDay(to);
  if (to.getTime() - from.getTime() > 31 * DAY_MS) throw bodyError("body.start_time", "A calculation covers at most 31 days");
  const result = await measureOee(deps, input.line_id, input.equipment_code ?? null, from, to);
  const id = crypto.randomUUID();
  await deps.db.insert(oeeCalculations).values({
    id,
    lineId: result.line_id,
    equipmentCode: result.equipment_code,
    calculationTime: result.calculation_time,
    periodStart: result.period_start,
    periodEnd: result.period_end,
    availability: result.availability,
    performance: result.performance,
    quality: result.quality,
    oee: result.oee,
    plannedProductionTime: result.planned_production_time,
    actualProductionTime: result.actual_production_time,
    unplannedDowntime: result.unplanned_downtime,
    plannedDowntime: result.planned_downtime,
    idealCycleTime: result.ideal_cycle_time,
    actualCycleTime: result.actual_cycle_time,
    goodParts: result.good_parts,
    totalParts: result.total_parts,
  });
  const stored = { ...result, id };
  await publishLine(deps, { type: "oee_update", line_id: stored.line_id, data: stored });
  return stored;
}

/** A line's stored calculations, newest first, optionally within a time range. */
export async function oeeHistory(deps: Pick<Deps, "db">, lineId: string, q: PageParams & { start_time?: string | undefined; end_time?: string | undefined }) {
  await findLine(deps, lineId);
  const where: SQL[] = [eq(oeeCalculations.lineId, lineId)];
  if (q.start_time) where.push(gte(oeeCalculations.calculationTime, new Date(q.start_time).toISOString()));
  if (q.end_time) where.push(lt(oeeCalculations.calculationTime, new Date(q.end_time).toISOString()));
  const query = deps.db
    .select()
    .from(oeeCalculations)
    .where(and(...where))
    .$dynamic();
  const page = await paginate(deps.db, query, q, { orderBy: [desc(oeeCalculations.calculationTime)], tiebreaker: oeeCalculations.id });
  return { ...page, items: page.items.map(toResult) };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

/**
 * One UTC day: the OEE of the day from its totals, and MS5's figure beside it (the mean of the
 * day's stored calculations' A, P and Q, multiplied), so its dashboards can keep showing it.
 */
export async function dailySummary(deps: Pick<Deps, "db" | "now">, lineId: string, date: string | undefined) {
  const now = deps.now();
  const from = date ? new Date(`${date}T00:00:00.000Z`) : startOfUtcDay(now);
  const to = new Date(Math.min(from.getTime() + DAY_MS, Math.max(now.getTime(), from.getTime())));
  const day = await measureOee(deps, lineId, null, from, to);
  const calcs = await deps.db
    .select({ a: oeeCalculations.availability, p: oeeCalculations.performance, q: oeeCalculations.quality })
    .from(oeeCalculations)
    .where(
      and(
        eq(oeeCalculations.lineId, lineId),
        gte(oeeCalculations.calculationTime, from.toISOString()),
        lt(oeeCalculations.calculationTime, new Date(from.getTime() + DAY_MS).toISOString()),
      ),
    );
  const seed =
    calcs.length === 0
      ? null
      : (() => {
          const [a, p, q] = [mean(calcs.map((c) => c.a)), mean(calcs.map((c) => c.p)), mean(calcs.map((c) => c.q))];
          return { availability: round4(a), performance: round4(p), quality: round4(q), oee: round4(a * p * q), calculations: calcs.length };
        })();
  return { line_id: lineId, date: from.toISOString().slice(0, 10), day, seed_average: seed };
}

// ---------------------------------------------------------------------------------------------
// Downtime and counts

const toDowntime = (row: DowntimeRow) => ({
  id: row.id,
  line_id: row.lineId,
  equipment_code: row.equipmentCode,
  reason: row.reason,
  category: row.category,
  start_time: row.startTime,
  end_time: row.endTime,
  duration_seconds: row.endTime === null ? null : (Date.parse(row.endTime) - Date.parse(row.startTime)) / 1000,
  notes: row.notes,
  reported_by: row.reportedBy,
  confirmed_by: row.confirmedBy,
  confirmed_at: row.confirmedAt,
  created_at: row.createdAt,
});

/** Records a stop (running when it has no end); pushes `downtime_event` and the new OEE. */
export async function recordDowntime(deps: OeeDeps, input: CreateDowntime, actor: Principal) {
  const line = await lineFor(deps, input.line_id);
  const code = input.equipment_code ?? null;
  if (code !== null && !line.equipmentCodes.includes(code)) throw bodyError("body.equipment_code", `Not one of line ${line.lineCode}'s equipment codes`);
  const [row] = await deps.db
    .insert(downtimeEvents)
    .values({
      id: crypto.randomUUID(),
      lineId: line.id,
      equipmentCode: code,
      reason: input.reason,
      category: input.category,
      startTime: new Date(input.start_time).toISOString(),
      endTime: input.end_time ? new Date(input.end_time).toISOString() : null,
      notes: input.notes ?? null,
      reportedBy: actorId(actor),
    })
    .returning();
  if (!row) throw new Error("downtime insert returned nothing");
  const downtime = toDowntime(row);
  await publishLine(deps, { type: "downtime_event", line_id: line.id, data: { ...downtime, action: "started" } });
  await pushCurrent(deps, line.id);
  return downtime;
}

/** Ends a running stop (409 if it has ended; the end may not precede its start). */
export async function endDowntime(deps: OeeDeps, id: string, endTime: string | undefined) {
  const [found] = await deps.db.select().from(downtimeEvents).where(eq(downtimeEvents.id, id)).limit(1);
  if (!found) throw notFound("Downtime event");
  const end = endTime ? new Date(endTime).toISOString() : deps.now().toISOString();
  if (end < found.startTime) throw bodyError("body.end_time", "Must not be before the stop's start_time");
  const [row] = await deps.db
    .update(downtimeEvents)
    .set({ endTime: end })
    .where(and(eq(downtimeEvents.id, id), isNull(downtimeEvents.endTime)))
    .returning();
  if (!row) throw new AppError("CONFLICT", "This downtime has already ended", { details: { end_time: found.endTime } });
  const downtime = toDowntime(row);
  await publishLine(deps, { type: "downtime_event", line_id: row.lineId, data: { ...downtime, action: "ended" } });
  await pushCurrent(deps, row.lineId);
  return downtime;
}

/** Lists downtime, latest first, by line, category and overlap with a time range. */
export async function listDowntime({ db }: Pick<Deps, "db">, q: DowntimeQuery) {
  const where: SQL[] = [];
  if (q.line_id) where.push(eq(downtimeEvents.lineId, q.line_id));
  if (q.category) where.push(eq(downtimeEvents.category, q.category));
  if (q.equipment_code) where.push(eq(downtimeEvents.equipmentCode, q.equipment_code));
  if (q.status) where.push(q.status === "active" ? isNull(downtimeEvents.endTime) : isNotNull(downtimeEvents.endTime));
  if (q.end_time) where.push(lt(downtimeEvents.startTime, new Date(q.end_time).toISOString()));
  if (q.start_time) {
    const from = new Date(q.start_time).toISOString();
    const overlaps = or(isNull(downtimeEvents.endTime), gt(downtimeEvents.endTime, from));
    if (overlaps) where.push(overlaps);
  }
  const query = db
    .select()
    .from(downtimeEvents)
    .where(and(...where))
    .$dynamic();
  const page = await paginate(db, query, q, { orderBy: [desc(downtimeEvents.startTime)], tiebreaker: downtimeEvents.id });
  return { ...page, items: page.items.map(toDowntime) };
}

/** Records a count of parts made (and good) over a period; pushes the line's new OEE. */
export async function recordCounts(deps: OeeDeps, input: CreateCounts, actor: Principal) {
  const line = await lineFor(deps, input.line_id);
  if (input.product_id) {
    const [product] = await deps.db.select({ id: products.id }).from(products).where(eq(products.id, input.product_id)).limit(1);
    if (!product) throw bodyError("body.product_id", "No such product");
  }
  const [row] = await deps.db
    .insert(productionCounts)
    .values({
      id: crypto.randomUUID(),
      lineId: line.id,
      productId: input.product_id ?? null,
      periodStart: new Date(input.period_start).toISOString(),
      periodEnd: new Date(input.period_end).toISOString(),
      totalCount: input.total_count,
      goodCount: input.good_count,
      recordedBy: actorId(actor),
    })
    .returning();
  if (!row) throw new Error("count insert returned nothing");
  await pushCurrent(deps, line.id);
  return {
    id: row.id,
    line_id: row.lineId,
    product_id: row.productId,
    period_start: row.periodStart,
    period_end: row.periodEnd,
    total_count: row.totalCount,
    good_count: row.goodCount,
    recorded_by: row.recordedBy,
    created_at: row.createdAt,
  };
}

async function findDowntime({ db }: Pick<Deps, "db">, id: string): Promise<DowntimeRow> {
  const [row] = await db.select().from(downtimeEvents).where(eq(downtimeEvents.id, id)).limit(1);
  if (!row) throw notFound("Downtime event");
  return row;
}

/** One stop. */
export async function getDowntime(deps: Pick<Deps, "db">, id: string) {
  return toDowntime(await findDowntime(deps, id));
}

/**
 * Changes a stop's reason, category, end or notes. The end may not precede the start; the write
 * is conditional on the end read, so a concurrent end is 409 rather than overwritten. Pushed as
 * `downtime_event` (`action: "updated"`) with the line's new OEE.
 */
export async function updateDowntime(deps: OeeDeps, id: string, input: UpdateDowntime) {
  const found = await findDowntime(deps, id);
  const end = input.end_time === undefined ? undefined : input.end_time === null ? null : new Date(input.end_time).toISOString();
  if (end && end < found.startTime) throw bodyError("body.end_time", "Must not be before the stop's start_time");
  const [row] = await deps.db
    .update(downtimeEvents)
    .set({
      ...(input.reason !== undefined ? { reason: input.reason } : {}),
      ...(input.category !== undefined ? { category: input.category } : {}),
      ...(input.notes !== undefined ? { notes: input.notes } : {}),
      ...(end !== undefined ? { endTime: end } : {}),
    })
    .where(and(eq(downtimeEvents.id, id), found.endTime === null ? isNull(downtimeEvents.endTime) : eq(downtimeEvents.endTime, found.endTime)))
    .returning();
  if (!row) throw new AppError("CONFLICT", "This downtime was changed by someone else; reload it");
  const downtime = toDowntime(row);
  await publishLine(deps, { type: "downtime_event", line_id: row.lineId, data: { ...downtime, action: "updated" } });
  await pushCurrent(deps, row.lineId);
  return downtime;
}

/**
 * Confirms a stop's reason as the caller (MS5's `confirm`; the confirmer is always the caller,
 * whatever the body names), optionally replacing its notes. Confirming twice is 409.
 */
export async function confirmDowntime(deps: OeeDeps, id: string, notes: string | null | undefined, actor: Principal) {
  await findDowntime(deps, id);
  const [row] = await deps.db
    .update(downtimeEvents)
    .set({ confirmedBy: actorId(actor), confirmedAt: deps.now().toISOString(), ...(notes !== undefined ? { notes } : {}) })
    .where(and(eq(downtimeEvents.id, id), isNull(downtimeEvents.confirmedAt)))
    .returning();
  if (!row) throw new AppError("CONFLICT", "This downtime has already been confirmed");
  const downtime = toDowntime(row);
  await publishLine(deps, { type: "downtime_event", line_id: row.lineId, data: { ...downtime, action: "confirmed" } });
  return downtime;
}

/** Most buckets one series answers. */
export const MAX_SERIES_BUCKETS = 200;

/**
 * A line's OEE over [from, to) cut into buckets of `bucketMs` (the last may be shorter), from
 * one read of its counts and stops: each bucket is `oeeOfWindow()` of the counts starting in it
 * and the stops overlapping it (with `equipmentCode`, only the line-wide stops and that item's).
 * Nothing is stored. 422 beyond MAX_SERIES_BUCKETS buckets.
 */
export async function oeeSeries(
  deps: Pick<Deps, "db" | "now">,
  lineId: string,
  from: Date,
  to: Date,
  bucketMs: number,
  equipmentCode: string | null = null,
): Promise<OeeResult[]> {
  const { db } = deps;
  if (to.getTime() <= from.getTime()) return [];
  if (Math.ceil((to.getTime() - from.getTime()) / bucketMs) > MAX_SERIES_BUCKETS) {
    throw new AppError("VALIDATION_ERROR", `Invalid query: start_date More than ${MAX_SERIES_BUCKETS} periods; narrow the range or coarsen the granularity`, {
      details: [{ path: "query.start_date", message: `More than ${MAX_SERIES_BUCKETS} periods` }],
    });
  }
  const line = await findLine(deps, lineId);
  const [fromIso, toIso] = [from.toISOString(), to.toISOString()];
  const [downs, counts] = await db.batch([
    db
      .select({ start: downtimeEvents.startTime, end: downtimeEvents.endTime, category: downtimeEvents.category })
      .from(downtimeEvents)
      .where(
        and(
          eq(downtimeEvents.lineId, lineId),
          lt(downtimeEvents.startTime, toIso),
          or(isNull(downtimeEvents.endTime), gt(downtimeEvents.endTime, fromIso)),
          // One item's series: the line's stops with no item named, and its own (as measureOee).
          equipmentCode === null ? undefined : or(isNull(downtimeEvents.equipmentCode), eq(downtimeEvents.equipmentCode, equipmentCode)),
        ),
      )
      .limit(10_000),
    db
      .select({ at: productionCounts.periodStart, total: productionCounts.totalCount, good: productionCounts.goodCount, ideal: products.idealCycleTime })
      .from(productionCounts)
      .leftJoin(products, eq(products.id, productionCounts.productId))
      .where(and(eq(productionCounts.lineId, lineId), gte(productionCounts.periodStart, fromIso), lt(productionCounts.periodStart, toIso)))
      .limit(50_000),
  ]);
  const now = deps.now().getTime();
  const stops = downs.map((d) => ({ category: d.category, startMs: Date.parse(d.start), endMs: d.end === null ? now : Date.parse(d.end) }));
  const series: OeeResult[] = [];
  for (let start = from.getTime(); start < to.getTime(); start += bucketMs) {
    const end = Math.min(start + bucketMs, to.getTime());
    const inBucket = counts.filter((c) => Date.parse(c.at) >= start && Date.parse(c.at) < end);
    const figures = oeeOfWindow({
      fromMs: start,
      toMs: end,
      counts: inBucket,
      stops: stops.filter((s) => s.startMs < end && s.endMs > start),
      lineIdealCycleTime: line.idealCycleTime ?? null,
    });
    series.push({
      id: null,
      line_id: lineId,
      equipment_code: equipmentCode,
      calculation_time: new Date(now).toISOString(),
      period_start: new Date(start).toISOString(),
      period_end: new Date(end).toISOString(),
      ...figures,
    });
  }
  return series;
}
