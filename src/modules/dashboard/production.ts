/**
 * The tablet dashboard's production and equipment widgets (MS5's client; its backend never
 * served them), from D1 over a window:
 * - per line: parts made and good (counts whose period starts in the window), the target of the
 *   schedules overlapping it, downtime minutes clipped to it;
 * - per item: its current status, open faults, and the downtime attributed to its code.
 * Figures with nothing to divide by are null, never a made-up 0 or 100 %.
 */
import { and, asc, eq, gt, gte, inArray, isNull, lt, or, type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import { downtimeEvents, productionCounts, productionLines, productionSchedules } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { listEquipmentStatus } from "../equipment/service";
import { findLine } from "../production/service";

/** The most lines one answer covers (enabled lines, by code). */
export const MAX_DASHBOARD_LINES = 200;
/** The most items `equipment/status` lists. */
export const MAX_DASHBOARD_EQUIPMENT = 200;
/** Downtime rows one window reads (a plant's month holds far fewer). */
const MAX_STOPS = 10_000;

export const LineProduction = z
  .object({
    line_id: z.string(),
    lineId: z.string(),
    line_code: z.string(),
    lineCode: z.string(),
    name: z.string(),
    period_start: z.string(),
    period_end: z.string(),
    /** Parts made in the window (the client's `currentProduction` and `totalParts`). */
    total_parts: z.number().int(),
    totalParts: z.number().int(),
    currentProduction: z.number().int(),
    good_parts: z.number().int(),
    goodParts: z.number().int(),
    target_production: z.number().int(),
    targetProduction: z.number().int(),
    /** Made / target (null without a target). */
    efficiency: z.number().nullable(),
    /** Good / made (null when nothing was made). */
    quality_rate: z.number().nullable(),
    qualityRate: z.number().nullable(),
    downtime_minutes: z.number(),
    downtimeMinutes: z.number(),
    last_update: z.string(),
    lastUpdate: z.string(),
  })
  .meta({ id: "Ms5LineProduction" });
export type LineProduction = z.infer<typeof LineProduction>;

const round = (x: number) => Math.round(x * 10_000) / 10_000;
const ratio = (a: number, b: number) => (b > 0 ? round(a / b) : null);

type Stop = { start: string; end: string | null };
/** Minutes of `stops` inside [from, to) (a running stop counts until `to`). */
function minutesIn(stops: Stop[], from: number, to: number): number {
  const ms = stops.reduce((sum, d) => sum + Math.max(0, Math.min(d.end ? Date.parse(d.end) : to, to) - Math.max(Date.parse(d.start), from)), 0);
  return round(ms / 60_000);
}

/** Every enabled line (or the one named: 404 if unknown) with its production over [from, to). */
export async function lineProduction(deps: Pick<Deps, "db" | "now">, q: { line_id?: string | undefined; from: Date; to: Date }): Promise<LineProduction[]> {
  const { db } = deps;
  if (q.line_id) await findLine(deps, q.line_id);
  const [fromIso, toIso] = [q.from.toISOString(), q.to.toISOString()];
  const only = (column: typeof productionCounts.lineId | typeof productionSchedules.lineId | typeof downtimeEvents.lineId): SQL[] =>
    q.line_id ? [eq(column, q.line_id)] : [];
  const [lines, made, targets, downs] = await db.batch([
    db
      .select({ id: productionLines.id, lineCode: productionLines.lineCode, name: productionLines.name })
      .from(productionLines)
      .where(q.line_id ? eq(productionLines.id, q.line_id) : eq(productionLines.enabled, true))
      .orderBy(asc(productionLines.lineCode))
      .limit(MAX_DASHBOARD_LINES),
    db
      .select({
        lineId: productionCounts.lineId,
        total: sql<number>`coalesce(sum(${productionCounts.totalCount}), 0)`,
        good: sql<number>`coalesce(sum(${productionCounts.goodCount}), 0)`,
      })
      .from(productionCounts)
      .where(and(gte(productionCounts.periodStart, fromIso), lt(productionCounts.periodStart, toIso), ...only(productionCounts.lineId)))
      .groupBy(productionCounts.lineId),
    db
      .select({ lineId: productionSchedules.lineId, target: sql<number>`coalesce(sum(${productionSchedules.targetQuantity}), 0)` })
      .from(productionSchedules)
      .where(
        and(
          lt(productionSchedules.scheduledStart, toIso),
          gt(productionSchedules.scheduledEnd, fromIso),
          inArray(productionSchedules.status, ["scheduled", "in_progress", "completed"]),
          ...only(productionSchedules.lineId),
        ),
      )
      .groupBy(productionSchedules.lineId),
    db
      .select({ lineId: downtimeEvents.lineId, start: downtimeEvents.startTime, end: downtimeEvents.endTime })
      .from(downtimeEvents)
      .where(and(lt(downtimeEvents.startTime, toIso), or(isNull(downtimeEvents.endTime), gt(downtimeEvents.endTime, fromIso)), ...only(downtimeEvents.lineId)))
      .limit(MAX_STOPS),
  ]);
  const madeBy = new Map(made.map((m) => [m.lineId, { total: Number(m.total), good: Number(m.good) }]));
  const targetBy = new Map(targets.map((t) => [t.lineId, Number(t.target)]));
  const to = Math.min(q.to.getTime(), deps.now().getTime());
  const now = deps.now().toISOString();
  return lines.map((line) => {
    const { total, good } = madeBy.get(line.id) ?? { total: 0, good: 0 };
    const target = targetBy.get(line.id) ?? 0;
    const downtime = minutesIn(
      downs.filter((d) => d.lineId === line.id),
      q.from.getTime(),
      Math.max(to, q.from.getTime()),
    );
    return {
      line_id: line.id,
      lineId: line.id,
      line_code: line.lineCode,
      lineCode: line.lineCode,
      name: line.name,
      period_start: fromIso,
      period_end: toIso,
      total_parts: total,
      totalParts: total,
      currentProduction: total,
      good_parts: good,
      goodParts: good,
      target_production: target,
      targetProduction: target,
      efficiency: ratio(total, target),
      quality_rate: ratio(good, total),
      qualityRate: ratio(good, total),
      downtime_minutes: downtime,
      downtimeMinutes: downtime,
      last_update: now,
      lastUpdate: now,
    };
  });
}

/** The floor (or one line) over [from, to): totals and the per-line figures. */
export const ProductionSummary = z
  .object({
    line_id: z.string().nullable(),
    period_start: z.string(),
    period_end: z.string(),
    total_production: z.number().int(),
    good_production: z.number().int(),
    target_production: z.number().int(),
    efficiency: z.number().nullable(),
    quality_rate: z.number().nullable(),
    downtime_minutes: z.number(),
    totalProduction: z.number().int(),
    goodProduction: z.number().int(),
    targetProduction: z.number().int(),
    qualityRate: z.number().nullable(),
    downtimeMinutes: z.number(),
    lines: z.array(LineProduction),
  })
  .meta({ id: "Ms5ProductionSummary" });

export async function productionSummary(deps: Pick<Deps, "db" | "now">, q: { line_id?: string | undefined; from: Date; to: Date }) {
  const lines = await lineProduction(deps, q);
  const sum = (f: (l: LineProduction) => number) => lines.reduce((n, l) => n + f(l), 0);
  const total = sum((l) => l.total_parts);
  const good = sum((l) => l.good_parts);
  const target = sum((l) => l.target_production);
  const downtime = round(sum((l) => l.downtime_minutes));
  return {
    line_id: q.line_id ?? null,
    period_start: q.from.toISOString(),
    period_end: q.to.toISOString(),
    total_production: total,
    good_production: good,
    target_production: target,
    efficiency: ratio(total, target),
    quality_rate: ratio(good, total),
    downtime_minutes: downtime,
    totalProduction: total,
    goodProduction: good,
    targetProduction: target,
    qualityRate: ratio(good, total),
    downtimeMinutes: downtime,
    lines,
  };
}

/** An item on the dashboard's equipment widget. */
export const EquipmentDashboardItem = z
  .object({
    id: z.string(),
    code: z.string(),
    equipment_code: z.string(),
    name: z.string().nullable(),
    line_id: z.string().nullable(),
    lineId: z.string().nullable(),
    lineCode: z.string().nullable(),
    status: z.string().nullable(),
    sub_status: z.string().nullable(),
    open_faults: z.number().int(),
    faults: z.number().int(),
    /** Minutes of downtime attributed to the item's code in the window. */
    downtime: z.number(),
    /** The window's minutes less that downtime. */
    uptime: z.number(),
    /** uptime / window: the item's availability (the client's `efficiency`). */
    efficiency: z.number().nullable(),
    lastUpdate: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: "Ms5EquipmentDashboardItem" });
export type EquipmentDashboardItem = z.infer<typeof EquipmentDashboardItem>;

/** Live items (one line's, or all) by code, each with its status, open faults and the last `hours`' downtime. */
export async function equipmentDashboard(deps: Pick<Deps, "db" | "now">, q: { line_id?: string | undefined; hours: number }) {
  const { db } = deps;
  if (q.line_id) await findLine(deps, q.line_id);
  const to = deps.now();
  const from = new Date(to.getTime() - q.hours * 3_600_000);
  const page = await listEquipmentStatus(deps, { production_line: q.line_id, limit: MAX_DASHBOARD_EQUIPMENT, offset: 0 });
  const lineIds = [...new Set(page.items.map((i) => i.production_line).filter((l): l is string => l !== null))].slice(0, 100);
  const [lines, downs] = await db.batch([
    db
      .select({ id: productionLines.id, lineCode: productionLines.lineCode })
      .from(productionLines)
      .where(inArray(productionLines.id, lineIds.length ? lineIds : [""])),
    db
      .select({ code: downtimeEvents.equipmentCode, start: downtimeEvents.startTime, end: downtimeEvents.endTime })
      .from(downtimeEvents)
      .where(
        and(
          lt(downtimeEvents.startTime, to.toISOString()),
          or(isNull(downtimeEvents.endTime), gt(downtimeEvents.endTime, from.toISOString())),
          q.line_id ? eq(downtimeEvents.lineId, q.line_id) : undefined,
        ),
      )
      .limit(MAX_STOPS),
  ]);
  const codeOf = new Map(lines.map((l) => [l.id, l.lineCode]));
  const windowMinutes = (to.getTime() - from.getTime()) / 60_000;
  const items: EquipmentDashboardItem[] = page.items.map((item) => {
    const downtime = minutesIn(
      downs.filter((d) => d.code === item.code),
      from.getTime(),
      to.getTime(),
    );
    const uptime = round(Math.max(0, windowMinutes - downtime));
    return {
      id: item.id,
      code: item.code,
      equipment_code: item.code,
      name: item.name,
      line_id: item.production_line,
      lineId: item.production_line,
      lineCode: item.production_line === null ? null : (codeOf.get(item.production_line) ?? null),
      status: item.status,
      sub_status: item.sub_status,
      open_faults: item.open_faults,
      faults: item.open_faults,
      downtime,
      uptime,
      efficiency: ratio(uptime, windowMinutes),
      lastUpdate: item.updated_at,
      updated_at: item.updated_at,
    };
  });
  return { items, total: page.total };
}
