/** Wire shapes of attendance (`/api/v1/attendance`): RM365's clock and log shapes, snake_case. */
import { z } from "zod";
import { Code, ShortText } from "../../lib/fields";
import { PageQuery, pageOf } from "../../lib/pagination";

/** The longest range a report covers in one call (it reads every event of the range). */
export const MAX_REPORT_DAYS = 31;

const PlantDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "expected YYYY-MM-DD")
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), "not a calendar date");
const Instant = z.iso.datetime({ offset: true }).max(40);
const Reason = z.string().trim().min(1, "Reason is required").max(500, "Reason is at most 500 characters");
const Direction = z.enum(["in", "out"]);
const EmployeeName = ShortText.min(1, "Name is required").max(200);
/** An employee code (badge or payroll number): letters, digits and `. _ -`. */
export const EmployeeCode = Code.regex(/^[\p{L}\p{N}][\p{L}\p{N}._-]*$/u, "Code may contain letters, digits and . _ -");
/** An employee by id, or by code (RM365's clients send either). */
const EmployeeRef = Code;
/** RM365's clock sends `employee_id` as a number: a non-negative integer is read as that code. */
const ClockEmployeeRef = z.union([
  EmployeeRef,
  z
    .number()
    .int("employee_id must be a whole number")
    .min(0, "employee_id must not be negative")
    .max(Number.MAX_SAFE_INTEGER)
    .transform((n) => String(n)),
]);

export const Employee = z
  .object({
    id: z.string(),
    code: z.string(),
    name: z.string(),
    department: z.string().nullable(),
    active: z.boolean(),
    /** Where the employee stands now. */
    status: Direction,
    status_since: z.string().nullable(),
    version: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: "AttendanceEmployee" });
export type Employee = z.infer<typeof Employee>;

export const CreateEmployee = z
  .object({ code: EmployeeCode, name: EmployeeName, department: ShortText.nullable().optional(), active: z.boolean().default(true) })
  .strict();
export type CreateEmployee = z.infer<typeof CreateEmployee>;

export const UpdateEmployee = z
  .object({ code: EmployeeCode.optional(), name: EmployeeName.optional(), department: ShortText.nullable().optional(), active: z.boolean().optional() })
  .strict()
  .refine((b) => Object.keys(b).length > 0, "Nothing to update");
export type UpdateEmployee = z.infer<typeof UpdateEmployee>;

export const EmployeeParams = z.object({ id: Code });
export const EventParams = z.object({ id: Code });

const Flag = z
  .enum(["true", "false"])
  .optional()
  .transform((v) => (v === undefined ? undefined : v === "true"));

export const EmployeeListQuery = PageQuery.extend({
  search: z.string().trim().max(100).optional(),
  department: ShortText.optional(),
  active: Flag,
});
export type EmployeeListQuery = z.infer<typeof EmployeeListQuery>;
export const EmployeePage = pageOf(Employee).meta({ id: "AttendanceEmployeePage" });

// ---------------------------------------------------------------------------------------------
// Clocking

/**
 * RM365's `POST /attendance/clock {employee_id}` (a string, or the integer RM365 sends, read as
 * its decimal code); `direction` makes it an explicit in or out.
 */
export const ClockBody = z.object({ employee_id: ClockEmployeeRef, direction: Direction.optional() }).strict();
export type ClockBody = z.infer<typeof ClockBody>;

/** A card's UID as the reader reports it (hex, separators allowed); normalised by enrollment. */
export const CardUid = z.string().trim().min(1, "Card UID is required").max(64, "Card UID is at most 64 characters");
export const ClockByCardBody = z.object({ card_uid: CardUid, direction: Direction.optional() }).strict();
export type ClockByCardBody = z.infer<typeof ClockByCardBody>;

/** RM365's `{template_b64}`, or the reader's template id; exactly one. */
export const ClockByFingerprintBody = z
  .object({
    template_id: Code.optional(),
    template_b64: z.base64().max(16_384).optional(),
    direction: Direction.optional(),
  })
  .strict()
  .refine((b) => (b.template_id === undefined) !== (b.template_b64 === undefined), "Give exactly one of template_id and template_b64");
export type ClockByFingerprintBody = z.infer<typeof ClockByFingerprintBody>;

/** RM365's `{status, direction}`, plus what a reader's display shows. */
export const ClockResult = z
  .object({
    status: z.literal("success"),
    direction: Direction,
    message: z.string(),
    employee_id: z.string(),
    employee_code: z.string(),
    employee_name: z.string(),
    event_id: z.string(),
    timestamp: z.string(),
    /**
     * True when a reader tap came within CLOCK_DEBOUNCE_SECONDS of the employee's last
     * tap: the answer is that tap's event, and nothing was written.
     */
    duplicate: z.boolean(),
  })
  .meta({ id: "ClockResult" });
export type ClockResult = z.infer<typeof ClockResult>;

// ---------------------------------------------------------------------------------------------
// Logs

export const LogQuery = PageQuery.extend({
  from_date: PlantDate.optional(),
  to_date: PlantDate.optional(),
  /** Employee name or code contains. */
  search: z.string().trim().max(100).optional(),
  employee_id: Code.optional(),
  direction: Direction.optional(),
  department: ShortText.optional(),
});
export type LogQuery = z.infer<typeof LogQuery>;

/** RM365's log row `{employee, date, time, direction}` (plant date and time), plus ids. */
export const LogEntry = z
  .object({
    id: z.string(),
    employee: z.string(),
    employee_id: z.string(),
    employee_code: z.string(),
    department: z.string().nullable(),
    date: z.string(),
    time: z.string(),
    direction: Direction,
    timestamp: z.string(),
    source: z.string(),
    recorded_by: z.string(),
  })
  .meta({ id: "AttendanceLogEntry" });
export type LogEntry = z.infer<typeof LogEntry>;

// ---------------------------------------------------------------------------------------------
// Forgotten clock-outs and corrections

export const OpenIn = z
  .object({
    event_id: z.string(),
    employee_id: z.string(),
    employee: z.string(),
    employee_code: z.string(),
    clock_in: z.string(),
    date: z.string(),
    time: z.string(),
    open_hours: z.number(),
  })
  .meta({ id: "AttendanceForgottenClockOut" });
export type OpenIn = z.infer<typeof OpenIn>;
export const OpenInPage = pageOf(OpenIn).meta({ id: "AttendanceForgottenClockOutPage" });

export const CloseOpenInBody = z.object({ clock_out: Instant, reason: Reason }).strict();
export type CloseOpenInBody = z.infer<typeof CloseOpenInBody>;

export const EditTimeBody = z.object({ timestamp: Instant, reason: Reason }).strict();
export type EditTimeBody = z.infer<typeof EditTimeBody>;

export const Correction = z
  .object({
    id: z.string(),
    employee_id: z.string(),
    event_id: z.string(),
    action: z.enum(["close_open_in", "edit_time"]),
    before: z.record(z.string(), z.unknown()),
    after: z.record(z.string(), z.unknown()),
    reason: z.string(),
    corrected_by: z.string(),
    corrected_by_id: z.string().nullable(),
    created_at: z.string(),
  })
  .meta({ id: "AttendanceCorrection" });
export type Correction = z.infer<typeof Correction>;
export const CorrectionPage = pageOf(Correction).meta({ id: "AttendanceCorrectionPage" });
export const CorrectionQuery = PageQuery.extend({ employee_id: Code.optional(), event_id: Code.optional() });
export type CorrectionQuery = z.infer<typeof CorrectionQuery>;

export const CorrectionResult = z.object({ correction: Correction, event: LogEntry }).meta({ id: "AttendanceCorrectionResult" });

// ---------------------------------------------------------------------------------------------
// Reports

export const RangeQuery = z.object({
  from_date: PlantDate.optional(),
  to_date: PlantDate.optional(),
  employee_id: Code.optional(),
  department: ShortText.optional(),
});
export type RangeQuery = z.infer<typeof RangeQuery>;

export const WorkHoursQuery = RangeQuery.extend({ group_by: z.enum(["day", "week"]).default("day") });
export type WorkHoursQuery = z.infer<typeof WorkHoursQuery>;

export const DayQuery = z.object({ date: PlantDate.optional(), department: ShortText.optional() });
export type DayQuery = z.infer<typeof DayQuery>;

export const WeekQuery = z.object({ week_start: PlantDate.optional(), department: ShortText.optional() });
export type WeekQuery = z.infer<typeof WeekQuery>;

export const Summary = z
  .object({
    date: z.string(),
    time_zone: z.string(),
    total_employees: z.number().int(),
    clocked_in_now: z.number().int(),
    present: z.number().int(),
    absent: z.number().int(),
    late: z.number().int(),
    total_hours: z.number(),
    forgotten_clock_outs: z.number().int(),
  })
  .meta({ id: "AttendanceSummary" });
export type Summary = z.infer<typeof Summary>;

export const DayStat = z
  .object({
    date: z.string(),
    weekday: z.string(),
    work_day: z.boolean(),
    present: z.number().int(),
    absent: z.number().int(),
    late: z.number().int(),
    total_hours: z.number(),
    clock_ins: z.number().int(),
    clock_outs: z.number().int(),
  })
  .meta({ id: "AttendanceDayStat" });
export type DayStat = z.infer<typeof DayStat>;

export const DailyStats = z
  .object({ from_date: z.string(), to_date: z.string(), time_zone: z.string(), days: z.array(DayStat) })
  .meta({ id: "AttendanceDailyStats" });
export type DailyStats = z.infer<typeof DailyStats>;

export const WeeklyChart = z
  .object({
    week_start: z.string(),
    time_zone: z.string(),
    labels: z.array(z.string()),
    present: z.array(z.number().int()),
    absent: z.array(z.number().int()),
    late: z.array(z.number().int()),
    hours: z.array(z.number()),
    days: z.array(DayStat),
  })
  .meta({ id: "AttendanceWeeklyChart" });
export type WeeklyChart = z.infer<typeof WeeklyChart>;

export const WorkHoursRow = z
  .object({
    employee_id: z.string(),
    employee: z.string(),
    employee_code: z.string(),
    department: z.string().nullable(),
    /** The plant date (group_by=day) or the Monday of the ISO week (group_by=week). */
    period: z.string(),
    hours: z.number(),
    days_present: z.number().int(),
    late_days: z.number().int(),
    late_minutes: z.number().int(),
    absent_days: z.number().int(),
    /** Clock-ins with no clock-out (not counted in hours until corrected). */
    open_clock_ins: z.number().int(),
    first_in: z.string().nullable(),
    last_out: z.string().nullable(),
  })
  .meta({ id: "AttendanceWorkHoursRow" });
export type WorkHoursRow = z.infer<typeof WorkHoursRow>;

export const WorkHours = z
  .object({
    from_date: z.string(),
    to_date: z.string(),
    group_by: z.enum(["day", "week"]),
    time_zone: z.string(),
    shift: z.object({ start: z.string(), end: z.string(), grace_minutes: z.number().int(), work_days: z.array(z.number().int()) }),
    rows: z.array(WorkHoursRow),
  })
  .meta({ id: "AttendanceWorkHours" });
export type WorkHours = z.infer<typeof WorkHours>;
