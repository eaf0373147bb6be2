/**
 * The scheduled-report runner, called by the hourly cron (`scheduled()` in src/index.ts): each
 * active schedule whose latest slot (its frequency's last `hour_utc` — daily; Mondays, weekly;
 * the 1st, monthly) has passed and has not run yet gets one production report for the period
 * that slot closes (the day, the 7 days, or the month before it), queued through the report
 * queue as its creator's. A slot before the schedule existed never runs (no back-fill).
 *
 * Idempotent: the run is recorded by `enqueueScheduledRun` on the report row's unique
 * (schedule, slot), so a retried or overlapping cron makes no second report. Lease-safe: the
 * report carries the report kind's lease from its insert, so a run whose message never left is
 * re-sent by the reaper. A schedule whose template or parameters are no longer valid has its
 * slot marked run and the reason logged (it would fail the same way every hour).
 */
import { and, asc, eq, isNull, lt, or } from "drizzle-orm";
import { type REPORT_FREQUENCIES, reportTemplates, scheduledReports } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { AppError } from "../../lib/errors";
import { log } from "../../lib/logging";
import { enqueueScheduledRun } from "./service";
import { requestFromTemplate } from "./templates";

type Frequency = (typeof REPORT_FREQUENCIES)[number];
/** Schedules one cron looks at, and runs it queues (the rest wait an hour). */
export const MAX_SCHEDULES_PER_SWEEP = 500;
export const MAX_RUNS_PER_SWEEP = 50;

const DAY_MS = 86_400_000;
const ymd = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The latest slot at or before `now` of a schedule at `hourUtc`. */
export function latestSlot(frequency: Frequency, hourUtc: number, now: Date): Date {
  const day = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  let slot = day + hourUtc * 3_600_000;
  if (frequency === "daily") return new Date(slot > now.getTime() ? slot - DAY_MS : slot);
  if (frequency === "weekly") {
    const sinceMonday = (new Date(day).getUTCDay() + 6) % 7;
    slot -= sinceMonday * DAY_MS;
    return new Date(slot > now.getTime() ? slot - 7 * DAY_MS : slot);
  }
  const first = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1) + hourUtc * 3_600_000;
  return new Date(first > now.getTime() ? Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1) + hourUtc * 3_600_000 : first);
}

/** The days (inclusive) a run at `slot` reports on: the period the slot closes. */
export function periodOf(frequency: Frequency, slot: Date): { start_date: string; end_date: string } {
  const day = Date.UTC(slot.getUTCFullYear(), slot.getUTCMonth(), slot.getUTCDate());
  const end = ymd(day - DAY_MS);
  if (frequency === "daily") return { start_date: end, end_date: end };
  if (frequency === "weekly") return { start_date: ymd(day - 7 * DAY_MS), end_date: end };
  return { start_date: ymd(Date.UTC(slot.getUTCFullYear(), slot.getUTCMonth() - 1, 1)), end_date: end };
}

/** Queues every due run once; returns how many this call queued. */
export async function runScheduledReports(deps: Pick<Deps, "db" | "queues" | "requestId" | "now">): Promise<number> {
  const { db } = deps;
  const now = deps.now();
  const rows = await db
    .select({ schedule: scheduledReports, templateParameters: reportTemplates.parameters, templateActive: reportTemplates.isActive })
    .from(scheduledReports)
    .innerJoin(reportTemplates, eq(reportTemplates.id, scheduledReports.templateId))
    .where(eq(scheduledReports.isActive, true))
    .orderBy(asc(scheduledReports.lastRunAt), asc(scheduledReports.id))
    .limit(MAX_SCHEDULES_PER_SWEEP);
  let queued = 0;
  let runs = 0;
  for (const { schedule, templateParameters, templateActive } of rows) {
    if (runs >= MAX_RUNS_PER_SWEEP) break;
    const slot = latestSlot(schedule.frequency, schedule.hourUtc, now);
    const slotIso = slot.toISOString();
    if (slotIso < schedule.createdAt || (schedule.lastRunAt !== null && schedule.lastRunAt >= slotIso)) continue;
    runs += 1;
    // Moves only forward, so a late duplicate never moves it back.
    const markRun = db
      .update(scheduledReports)
      .set({ lastRunAt: slotIso })
      .where(and(eq(scheduledReports.id, schedule.id), or(isNull(scheduledReports.lastRunAt), lt(scheduledReports.lastRunAt, slotIso))));
    try {
      if (!templateActive) throw new AppError("VALIDATION_ERROR", "Its template is not active");
      const period = periodOf(schedule.frequency, slot);
      const request = requestFromTemplate(
        { parameters: templateParameters },
        { ...schedule.parameters, ...period, report_date: period.end_date } as Parameters<typeof requestFromTemplate>[1],
        `${schedule.name} ${period.start_date === period.end_date ? period.end_date : `${period.start_date} – ${period.end_date}`}`.slice(0, 100),
      );
      if (await enqueueScheduledRun(deps, request, { scheduleId: schedule.id, slot: slotIso, requestedBy: schedule.createdBy, markRun })) queued += 1;
    } catch (err) {
      if (!(err instanceof AppError && err.code === "VALIDATION_ERROR")) throw err;
      await markRun;
      log("warn", "scheduled report skipped: invalid", { scheduleId: schedule.id, slot: slotIso, error: err.message });
    }
  }
  return queued;
}
