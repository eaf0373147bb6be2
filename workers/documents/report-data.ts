/**
 * What a production report shows, gathered from D1 in one batch and cut into periods (days, or
 * three 8-hour shifts a day) per line. Plain functions over a D1 binding: the documents worker
 * calls them, and tests call them directly.
 *
 * Per period and line: output (total/good), OEE and its three factors (computed by the OEE
 * module's `oeeOfWindow`, the same inputs and formula as `POST /oee/calculate`), downtime by
 * reason, and the andon calls raised in the period with their response (report → acknowledge)
 * and resolution (report → resolve) times.
 */
import { and, asc, eq, gt, gte, inArray, isNull, lt, or } from "drizzle-orm";
import { createDb } from "../../src/db/client";
import { andonEvents, downtimeEvents, productionCounts, productionLines, products, users } from "../../src/db/schema";
import type { productionReports } from "../../src/db/schema/reports";
import { type OeeFigures, oeeOfWindow } from "../../src/modules/oee/formula";

/** The part of a report row that says what to gather. */
export type ReportSpec = Pick<
  typeof productionReports.$inferSelect,
  "title" | "lineIds" | "startDate" | "endDate" | "groupBy" | "utcOffsetMinutes" | "shiftStartHour"
>;

export interface ReportPeriod {
  /** `2026-11-20` or `2026-11-20 A` (shift A starts at the report's shift start hour). */
  label: string;
  start: Date;
  /** End of the period, or the generation time for the period in progress. */
  end: Date;
}

export interface DowntimeByReason {
  reason: string;
  category: "planned" | "unplanned";
  events: number;
  /** Seconds inside the period (overlapping stops of one reason each count in full). */
  seconds: number;
}

export interface AndonCall {
  id: string;
  reportedAt: string;
  eventType: string;
  priority: string;
  status: string;
  equipmentCode: string | null;
  description: string;
  reportedBy: string;
  /** Seconds from the call to its acknowledgement; null while unacknowledged. */
  responseSeconds: number | null;
  /** Seconds from the call to its resolution; null while open. */
  resolutionSeconds: number | null;
  resolutionNotes: string | null;
}

export interface PeriodFigures {
  label: string;
  start: string;
  end: string;
  oee: OeeFigures;
  downtime: DowntimeByReason[];
  andon: AndonCall[];
}

export interface LineReport {
  id: string;
  lineCode: string;
  name: string;
  periods: PeriodFigures[];
  /** The whole report range at once. */
  total: PeriodFigures;
}

export interface ReportData {
  title: string;
  generatedAt: string;
  startDate: string;
  endDate: string;
  groupBy: "day" | "shift";
  utcOffsetMinutes: number;
  lines: LineReport[];
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const SHIFT_NAMES = ["A", "B", "C"] as const;

/**
 * The periods a report covers, in order: each day from `startDate` to `endDate` (inclusive) on
 * the plant's clock (`utcOffsetMinutes` east of UTC), or each day's three 8-hour shifts from
 * `shiftStartHour`. Periods that have not begun by `now` are left out; the one in progress ends
 * at `now`.
 */
export function reportPeriods(spec: Pick<ReportSpec, "startDate" | "endDate" | "groupBy" | "utcOffsetMinutes" | "shiftStartHour">, now: Date): ReportPeriod[] {
  const offset = spec.utcOffsetMinutes * 60_000;
  const first = Date.parse(`${spec.startDate}T00:00:00.000Z`) - offset;
  const last = Date.parse(`${spec.endDate}T00:00:00.000Z`) - offset;
  const periods: ReportPeriod[] = [];
  for (let day = first; day <= last; day += DAY_MS) {
    const date = new Date(day + offset).toISOString().slice(0, 10);
    const slices =
      spec.groupBy === "day"
        ? [{ label: date, start: day, end: day + DAY_MS }]
        : SHIFT_NAMES.map((name, i) => {
            const start = day + (spec.shiftStartHour + 8 * i) * HOUR_MS;
            return { label: `${date} ${name}`, start, end: start + 8 * HOUR_MS };
          });
    for (const s of slices) {
      if (s.start >= now.getTime()) continue;
      periods.push({ label: s.label, start: new Date(s.start), end: new Date(Math.min(s.end, now.getTime())) });
    }
  }
  return periods;
}

const displayName = (u: { first: string | null; last: string | null; username: string | null }, fallback: string) => {
  const name = [u.first, u.last].filter((p) => p?.trim()).join(" ");
  return name || u.username || fallback;
};

/**
 * Gathers a report's figures from D1: one batch for the lines, their counts (with each
 * product's ideal cycle time), downtime and andon calls over the whole range, then cut per
 * period in memory. Lines that no longer exist are left out.
 */
export async function gatherReport(d1: D1Database, spec: ReportSpec, now: Date): Promise<ReportData> {
  const db = createDb(d1);
  const periods = reportPeriods(spec, now);
  const data: ReportData = {
    title: spec.title,
    generatedAt: now.toISOString(),
    startDate: spec.startDate,
    endDate: spec.endDate,
    groupBy: spec.groupBy,
    utcOffsetMinutes: spec.utcOffsetMinutes,
    lines: [],
  };
  const firstPeriod = periods[0];
  const lastPeriod = periods.at(-1);
  const ids = spec.lineIds;
  // A range entirely in the future still lists its lines, with nothing in them.
  const from = (firstPeriod?.start ?? now).toISOString();
  const to = (lastPeriod?.end ?? now).toISOString();
  const [lines, counts, downs, calls] = await db.batch([
    db.select().from(productionLines).where(inArray(productionLines.id, ids)),
    db
      .select({
        lineId: productionCounts.lineId,
        at: productionCounts.periodStart,
        total: productionCounts.totalCount,
        good: productionCounts.goodCount,
        ideal: products.idealCycleTime,
      })
      .from(productionCounts)
      .leftJoin(products, eq(products.id, productionCounts.productId))
      .where(and(inArray(productionCounts.lineId, ids), gte(productionCounts.periodStart, from), lt(productionCounts.periodStart, to))),
    db
      .select({
        lineId: downtimeEvents.lineId,
        reason: downtimeEvents.reason,
        category: downtimeEvents.category,
        start: downtimeEvents.startTime,
        end: downtimeEvents.endTime,
      })
      .from(downtimeEvents)
      .where(and(inArray(downtimeEvents.lineId, ids), lt(downtimeEvents.startTime, to), or(isNull(downtimeEvents.endTime), gt(downtimeEvents.endTime, from)))),
    db
      .select({
        event: andonEvents,
        first: users.firstName,
        last: users.lastName,
        username: users.username,
      })
      .from(andonEvents)
      .leftJoin(users, eq(users.id, andonEvents.reportedBy))
      .where(and(inArray(andonEvents.lineId, ids), gte(andonEvents.reportedAt, from), lt(andonEvents.reportedAt, to)))
      .orderBy(asc(andonEvents.reportedAt), asc(andonEvents.id)),
  ]);
  const nowMs = now.getTime();
  const byId = new Map(lines.map((l) => [l.id, l]));
  for (const id of ids) {
    const line = byId.get(id);
    if (!line) continue;
    const lineCounts = counts.filter((c) => c.lineId === id).map((c) => ({ ...c, atMs: Date.parse(c.at) }));
    const lineDowns = downs
      .filter((d) => d.lineId === id)
      .map((d) => ({ ...d, startMs: Date.parse(d.start), endMs: d.end === null ? nowMs : Date.parse(d.end) }));
    const lineCalls = calls
      .filter((c) => c.event.lineId === id)
      .map(({ event: e, ...who }) => {
        const reportedMs = Date.parse(e.reportedAt);
        const call: AndonCall = {
          id: e.id,
          reportedAt: e.reportedAt,
          eventType: e.eventType,
          priority: e.priority,
          status: e.status,
          equipmentCode: e.equipmentCode,
          description: e.description,
          reportedBy: displayName(who, e.reportedBy),
          responseSeconds: e.acknowledgedAt ? Math.max(0, (Date.parse(e.acknowledgedAt) - reportedMs) / 1000) : null,
          resolutionSeconds: e.resolvedAt ? Math.max(0, (Date.parse(e.resolvedAt) - reportedMs) / 1000) : null,
          resolutionNotes: e.resolutionNotes,
        };
        return { ...call, reportedMs };
      });

    const figuresFor = (label: string, start: Date, end: Date): PeriodFigures => {
      const [fromMs, toMs] = [start.getTime(), end.getTime()];
      const oee = oeeOfWindow({
        fromMs,
        toMs,
        counts: lineCounts.filter((c) => c.atMs >= fromMs && c.atMs < toMs),
        stops: lineDowns,
        lineIdealCycleTime: line.idealCycleTime ?? null,
      });
      const reasons = new Map<string, DowntimeByReason>();
      for (const d of lineDowns) {
        const seconds = (Math.min(d.endMs, toMs) - Math.max(d.startMs, fromMs)) / 1000;
        if (seconds <= 0) continue;
        const key = `${d.category}\u0000${d.reason}`;
        const entry = reasons.get(key) ?? { reason: d.reason, category: d.category, events: 0, seconds: 0 };
        entry.events += 1;
        entry.seconds += seconds;
        reasons.set(key, entry);
      }
      return {
        label,
        start: start.toISOString(),
        end: end.toISOString(),
        oee,
        downtime: [...reasons.values()].sort((a, b) => b.seconds - a.seconds || a.reason.localeCompare(b.reason)),
        andon: lineCalls.filter((c) => c.reportedMs >= fromMs && c.reportedMs < toMs).map(({ reportedMs: _, ...call }) => call),
      };
    };

    data.lines.push({
      id: line.id,
      lineCode: line.lineCode,
      name: line.name,
      periods: periods.map((p) => figuresFor(p.label, p.start, p.end)),
      total: figuresFor(`${spec.startDate} – ${spec.endDate}`, firstPeriod?.start ?? now, lastPeriod?.end ?? now),
    });
  }
  return data;
}
