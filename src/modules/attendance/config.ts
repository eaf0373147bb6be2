/**
 * Attendance settings (all optional, read from the worker's vars): the plant's time zone, its
 * standard shift, the grace before a clock-in is late, the work days and the longest shift.
 * Read them with `deps.feature(attendanceConfig)`.
 */
import { z } from "zod";
import { envDoc, featureConfig } from "../../lib/config";
import { isTimeZone, minutesOf } from "./time";

const HHMM = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "expected HH:MM");

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

/** The attendance settings of this deployment; a bad value is a 503 naming the variable. */
export const attendanceConfig = featureConfig({
  feature: "Attendance",
  schema: z.object({
    ATTENDANCE_TIME_ZONE: z
      .string()
      .max(64)
      .refine(isTimeZone, "unknown time zone")
      .default("Europe/London")
      .meta(envDoc("var, optional", "the plant's IANA time zone: attendance days, shift times and log dates/times are read in it (Intl, DST-aware)")),
    ATTENDANCE_SHIFT_START: HHMM.default("08:00").meta(
      envDoc("var, optional", "start of the standard shift, plant time (late = first clock-in after start + grace)"),
    ),
    ATTENDANCE_SHIFT_END: HHMM.default("16:00").meta(
      envDoc("var, optional", "end of the standard shift, plant time; an end before the start is a night shift ending the next day"),
    ),
    ATTENDANCE_GRACE_MINUTES: z.coerce
      .number()
      .int()
      .min(0)
      .max(240)
      .default(5)
      .meta(envDoc("var, optional", "minutes after shift start before a clock-in is late")),
    ATTENDANCE_WORK_DAYS: z
      .string()
      .regex(/^[1-7](,[1-7])*$/, "expected ISO weekdays, e.g. 1,2,3,4,5")
      .default("1,2,3,4,5")
      .meta(envDoc("var, optional", "ISO weekdays (1 Monday … 7 Sunday) on which no clock-in counts as absent")),
    ATTENDANCE_MAX_SHIFT_HOURS: z.coerce
      .number()
      .int()
      .min(1)
      .max(48)
      .default(16)
      .meta(envDoc("var, optional", "a clock-in open longer than this is a forgotten clock-out; the next tap clocks in again")),
  }),
  message: (names) => `Server is misconfigured: ${names.join(", ")}`,
  derive: (c): AttendanceConfig => ({
    timeZone: c.ATTENDANCE_TIME_ZONE,
    shiftStart: minutesOf(c.ATTENDANCE_SHIFT_START),
    shiftEnd: minutesOf(c.ATTENDANCE_SHIFT_END),
    graceMinutes: c.ATTENDANCE_GRACE_MINUTES,
    workDays: new Set(c.ATTENDANCE_WORK_DAYS.split(",").map(Number)),
    maxShiftMs: c.ATTENDANCE_MAX_SHIFT_HOURS * 3_600_000,
  }),
});
