/**
 * Attendance settings, read from the worker's vars with defaults (all optional):
 *
 * - `ATTENDANCE_TIME_ZONE` (default `Europe/London`): the plant's IANA time zone; shifts and
 *   report days are read in it.
 * - `ATTENDANCE_SHIFT_START` / `ATTENDANCE_SHIFT_END` (`08:00` / `16:00`): the standard shift,
 *   plant time. An end before the start is a night shift ending the next day.
 * - `ATTENDANCE_GRACE_MINUTES` (5): a first clock-in later than start + grace is late.
 * - `ATTENDANCE_WORK_DAYS` (`1,2,3,4,5`): ISO weekdays (1 Monday … 7 Sunday) on which a
 *   missing clock-in counts as absent.
 * - `ATTENDANCE_MAX_SHIFT_HOURS` (16): an 'in' open longer than this is a forgotten clock-out;
 *   the employee's next tap clocks in again instead of out.
 */
import { z } from "zod";
import type { Deps } from "../../lib/deps";
import { AppError } from "../../lib/errors";
import { isTimeZone, minutesOf } from "./time";

const HHMM = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "expected HH:MM");

const AttendanceConfigSchema = z.object({
  ATTENDANCE_TIME_ZONE: z.string().max(64).refine(isTimeZone, "unknown time zone").default("Europe/London"),
  ATTENDANCE_SHIFT_START: HHMM.default("08:00"),
  ATTENDANCE_SHIFT_END: HHMM.default("16:00"),
  ATTENDANCE_GRACE_MINUTES: z.coerce.number().int().min(0).max(240).default(5),
  ATTENDANCE_WORK_DAYS: z
    .string()
    .regex(/^[1-7](,[1-7])*$/, "expected ISO weekdays, e.g. 1,2,3,4,5")
    .default("1,2,3,4,5"),
  ATTENDANCE_MAX_SHIFT_HOURS: z.coerce.number().int().min(1).max(48).default(16),
});

export interface AttendanceConfig {
  timeZone: string;
  /** Minutes after plant midnight. */
  shiftStart: number;
  /** Minutes after plant midnight; at or before `shiftStart` means the next day. */
  shiftEnd: number;
  graceMinutes: number;
  workDays: ReadonlySet<number>;
  maxShiftMs: number;
}

const cache = new WeakMap<object, AttendanceConfig>();

/** The attendance settings of this deployment; a bad value is a 503 naming the variable. */
export function attendanceConfig(deps: Pick<Deps, "env">): AttendanceConfig {
  const hit = cache.get(deps.env);
  if (hit) return hit;
  const raw: Record<string, unknown> = { ...deps.env };
  for (const [k, v] of Object.entries(raw)) if (v === "") delete raw[k];
  const parsed = AttendanceConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new AppError("SERVICE_UNAVAILABLE", `Server is misconfigured: ${parsed.error.issues.map((i) => i.path.join(".")).join(", ")}`);
  }
  const c = parsed.data;
  const config: AttendanceConfig = {
    timeZone: c.ATTENDANCE_TIME_ZONE,
    shiftStart: minutesOf(c.ATTENDANCE_SHIFT_START),
    shiftEnd: minutesOf(c.ATTENDANCE_SHIFT_END),
    graceMinutes: c.ATTENDANCE_GRACE_MINUTES,
    workDays: new Set(c.ATTENDANCE_WORK_DAYS.split(",").map(Number)),
    maxShiftMs: c.ATTENDANCE_MAX_SHIFT_HOURS * 3_600_000,
  };
  cache.set(deps.env, config);
  return config;
}
