import { and, count, eq, gt, gte, inArray, isNull, lt, or, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { andonEvents, downtimeEvents, productionCounts, productionLines, productionSchedules } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import type { LineLiveState } from "../../rooms/line-protocol";
import { FLOOR_ROOM } from "../../rooms/line-protocol";
import { currentOee } from "../oee/service";
import { roomLive } from "../production/live";
import { findLine, toLine } from "../production/service";

type DashDeps = Pick<Deps, "db" | "rooms" | "now">;

const toLive = (state: LineLiveState | undefined, seq: number) => ({
  seq,
  open_andons: Object.values(state?.andons ?? {}),
  active_jobs: Object.values(state?.jobs ?? {}),
  running_downtime: Object.values(state?.downtime ?? {}),
  equipment: Object.values(state?.equipment ?? {}),
  last_oee: state?.oee ?? null,
});

/**
 * Every enabled line with its live state. Lines come from D1 (the truth about which exist);
 * their live state from the floor room, one call for all lines, which holds what was last pushed.
 */
export async function dashboardLines(deps: DashDeps) {
  const [rows, live] = await Promise.all([
    deps.db.select().from(productionLines).where(eq(productionLines.enabled, true)).orderBy(productionLines.lineCode).limit(500),
    roomLive(deps, FLOOR_ROOM),
  ]);
  const items = rows.map((row) => ({ line: toLine(row), live: toLive(live.lines[row.id], live.seq) }));
  return { items, total: items.length };
}

/** One line and what its own room holds now (its sequence number is the line room's). */
export async function dashboardLineStatus(deps: DashDeps, lineId: string) {
  const [row, live] = await Promise.all([findLine(deps, lineId), roomLive(deps, lineId, lineId)]);
  return { line: toLine(row), live: toLive(live.lines[lineId], live.seq) };
}

/** A line's OEE today so far (from D1) and the last figure its room pushed. */
export async function dashboardLineOee(deps: DashDeps, lineId: string) {
  const [current, live] = await Promise.all([currentOee(deps, lineId), roomLive(deps, lineId, lineId)]);
  return { line_id: lineId, current, last_pushed: live.lines[lineId]?.oee ?? null };
}

/** Floor totals: lines by status and open andons from D1; active jobs and running stops from the floor room. */
export async function dashboardSummary(deps: DashDeps) {
  const { db } = deps;
  const [[lines, andons], live] = await Promise.all([
    db.batch([
      db.select({ status: productionLines.status, n: count() }).from(productionLines).where(eq(productionLines.enabled, true)).groupBy(productionLines.status),
      db
        .select({ priority: andonEvents.priority, status: andonEvents.status, n: count() })
        .from(andonEvents)
        .where(inArray(andonEvents.status, ["open", "acknowledged", "escalated"]))
        .groupBy(andonEvents.priority, andonEvents.status),
    ]),
    roomLive(deps, FLOOR_ROOM),
  ]);
  const byStatus: Record<string, number> = {};
  for (const l of lines) byStatus[l.status] = l.n;
  const byPriority: Record<string, number> = {};
  let escalated = 0;
  for (const a of andons) {
    byPriority[a.priority] = (byPriority[a.priority] ?? 0) + a.n;
    if (a.status === "escalated") escalated += a.n;
  }
  const states = Object.values(live.lines);
  return {
    lines: { total: lines.reduce((n, l) => n + l.n, 0), by_status: byStatus },
    andons: { open: andons.reduce((n, a) => n + a.n, 0), by_priority: byPriority, escalated },
    jobs: { active: states.reduce((n, s) => n + Object.keys(s.jobs).length, 0) },
    running_downtime: states.reduce((n, s) => n + Object.keys(s.downtime).length, 0),
    generated_at: deps.now().toISOString(),
  };
}

/**
 * MS5's dashboard metrics over the last `hours` (optionally one line), from D1: parts made and
 * good (production counts starting in the window), the target of the schedules overlapping it,
 * and planned/unplanned downtime clipped to it. Figures with nothing to divide by are null.
 */
export async function dashboardMetrics(deps: Pick<Deps, "db" | "now">, q: { line_id?: string | undefined; hours: number }) {
  const { db } = deps;
  if (q.line_id) await findLine(deps, q.line_id);
  const to = deps.now();
  const from = new Date(to.getTime() - q.hours * 3_600_000);
  const [fromIso, toIso] = [from.toISOString(), to.toISOString()];
  const byLine = (column: SQLiteColumn): SQL[] => (q.line_id ? [eq(column, q.line_id)] : []);
  const [[made], [target], downs] = await db.batch([
    db
      .select({ total: sql<number>`coalesce(sum(${productionCounts.totalCount}), 0)`, good: sql<number>`coalesce(sum(${productionCounts.goodCount}), 0)` })
      .from(productionCounts)
      .where(and(gte(productionCounts.periodStart, fromIso), lt(productionCounts.periodStart, toIso), ...byLine(productionCounts.lineId))),
    db
      .select({ target: sql<number>`coalesce(sum(${productionSchedules.targetQuantity}), 0)` })
      .from(productionSchedules)
      .where(
        and(
          lt(productionSchedules.scheduledStart, toIso),
          gt(productionSchedules.scheduledEnd, fromIso),
          inArray(productionSchedules.status, ["scheduled", "in_progress", "completed"]),
          ...byLine(productionSchedules.lineId),
        ),
      ),
    db
      .select({ start: downtimeEvents.startTime, end: downtimeEvents.endTime, category: downtimeEvents.category })
      .from(downtimeEvents)
      .where(
        and(lt(downtimeEvents.startTime, toIso), or(isNull(downtimeEvents.endTime), gt(downtimeEvents.endTime, fromIso)), ...byLine(downtimeEvents.lineId)),
      )
      .limit(10_000),
  ]);
  const hoursOf = (category: "planned" | "unplanned") =>
    downs
      .filter((d) => d.category === category)
      .reduce(
        (sum, d) => sum + (Math.min(d.end ? Date.parse(d.end) : to.getTime(), to.getTime()) - Math.max(Date.parse(d.start), from.getTime())) / 3_600_000,
        0,
      );
  const total = Number(made?.total ?? 0);
  const good = Number(made?.good ?? 0);
  const targetQty = Number(target?.target ?? 0);
  const round = (x: number) => Math.round(x * 10_000) / 10_000;
  const planned = round(hoursOf("planned"));
  const unplanned = round(hoursOf("unplanned"));
  return {
    line_id: q.line_id ?? null,
    period_start: fromIso,
    period_end: toIso,
    production_metrics: {
      total_production: total,
      good_production: good,
      target_production: targetQty,
      efficiency: targetQty > 0 ? round(total / targetQty) : null,
    },
    quality_metrics: { first_pass_yield: total > 0 ? round(good / total) : null, defect_rate: total > 0 ? round((total - good) / total) : null },
    maintenance_metrics: {
      planned_maintenance_hours: planned,
      unplanned_maintenance_hours: unplanned,
      maintenance_efficiency: planned + unplanned > 0 ? round(planned / (planned + unplanned)) : null,
    },
  };
}
