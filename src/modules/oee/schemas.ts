import { z } from "zod";
import { DOWNTIME_CATEGORIES } from "../../db/schema";
import { Code, LongText, ShortText } from "../../lib/fields";
import { PageQuery, pageOf } from "../../lib/pagination";

export const IdParam = z.object({ id: Code });
const Iso = z.iso.datetime({ offset: true }).max(40);
const Period = { start_time: Iso.optional(), end_time: Iso.optional() };
const ordered = (p: { start_time?: string | undefined; end_time?: string | undefined }) =>
  !p.start_time || !p.end_time || Date.parse(p.end_time) >= Date.parse(p.start_time);
const orderMessage = { path: ["end_time"], message: "Must not be before start_time" };

/** An OEE result with every input beside it (MS5's shape plus the period and downtime split). */
export const OeeResult = z
  .object({
    id: z.string().nullable(),
    line_id: z.string(),
    equipment_code: z.string().nullable(),
    calculation_time: z.string(),
    period_start: z.string(),
    period_end: z.string(),
    availability: z.number(),
    performance: z.number(),
    quality: z.number(),
    oee: z.number(),
    planned_production_time: z.number().meta({ description: "Seconds in the period" }),
    actual_production_time: z.number().meta({ description: "Seconds running: the period less unplanned downtime" }),
    unplanned_downtime: z.number(),
    planned_downtime: z.number().meta({ description: "Reported, not subtracted (as MS5)" }),
    ideal_cycle_time: z.number().nullable().meta({ description: "Seconds per part at full speed, weighted over products" }),
    actual_cycle_time: z.number().nullable(),
    good_parts: z.number().int(),
    total_parts: z.number().int(),
  })
  .meta({ id: "OeeResult" });
export type OeeResult = z.infer<typeof OeeResult>;

export const CalculateOee = z
  .object({ line_id: Code, equipment_code: Code.nullable().optional(), ...Period })
  .strict()
  .refine(ordered, orderMessage);
export type CalculateOee = z.infer<typeof CalculateOee>;

export const HistoryQuery = PageQuery.extend(Period).refine(ordered, orderMessage);
export const OeeHistory = pageOf(OeeResult);

export const DailyQuery = z.object({ date: z.iso.date().optional() });
export const DailySummary = z
  .object({
    line_id: z.string(),
    date: z.string(),
    /** The day computed from its totals (the correct figure). */
    day: OeeResult,
    /**
     * MS5's daily summary: the mean of the day's stored calculations' A, P and Q, multiplied
     * (quirk: not the OEE of the day). Null when nothing was calculated that day.
     */
    seed_average: z
      .object({ availability: z.number(), performance: z.number(), quality: z.number(), oee: z.number(), calculations: z.number().int() })
      .nullable(),
  })
  .meta({ id: "OeeDailySummary" });

export const Downtime = z
  .object({
    id: z.string(),
    line_id: z.string(),
    equipment_code: z.string().nullable(),
    reason: z.string(),
    category: z.enum(DOWNTIME_CATEGORIES),
    start_time: z.string(),
    end_time: z.string().nullable(),
    duration_seconds: z.number().nullable(),
    notes: z.string().nullable(),
    reported_by: z.string(),
    confirmed_by: z.string().nullable(),
    confirmed_at: z.string().nullable(),
    created_at: z.string(),
  })
  .meta({ id: "DowntimeEvent" });
export const CreateDowntime = z
  .object({
    line_id: Code,
    equipment_code: Code.nullable().optional(),
    reason: ShortText.min(1),
    category: z.enum(DOWNTIME_CATEGORIES),
    start_time: Iso,
    end_time: Iso.nullable().optional(),
    notes: LongText.nullable().optional(),
  })
  .strict()
  .refine((d) => !d.end_time || Date.parse(d.end_time) >= Date.parse(d.start_time), orderMessage);
export type CreateDowntime = z.infer<typeof CreateDowntime>;
/** What a change of a recorded stop may set (its line and start stay). */
export const UpdateDowntime = z
  .object({
    reason: ShortText.min(1).optional(),
    category: z.enum(DOWNTIME_CATEGORIES).optional(),
    end_time: Iso.nullable().optional(),
    notes: LongText.nullable().optional(),
  })
  .strict();
export type UpdateDowntime = z.infer<typeof UpdateDowntime>;
export const EndDowntime = z.object({ end_time: Iso.optional() }).strict();
export const DowntimeQuery = PageQuery.extend({
  line_id: Code.optional(),
  category: z.enum(DOWNTIME_CATEGORIES).optional(),
  equipment_code: Code.optional(),
  /** `active`: still running; `completed`: ended. */
  status: z.enum(["active", "completed"]).optional(),
  ...Period,
});
export type DowntimeQuery = z.infer<typeof DowntimeQuery>;
export const DowntimeList = pageOf(Downtime);

export const Counts = z
  .object({
    id: z.string(),
    line_id: z.string(),
    product_id: z.string().nullable(),
    period_start: z.string(),
    period_end: z.string(),
    total_count: z.number().int(),
    good_count: z.number().int(),
    recorded_by: z.string(),
    created_at: z.string(),
  })
  .meta({ id: "ProductionCount" });
export const CreateCounts = z
  .object({
    line_id: Code,
    product_id: Code.nullable().optional(),
    period_start: Iso,
    period_end: Iso,
    total_count: z.number().int().min(0).max(10_000_000),
    good_count: z.number().int().min(0).max(10_000_000),
  })
  .strict()
  .refine((c) => c.good_count <= c.total_count, { path: ["good_count"], message: "Must not exceed total_count" })
  .refine((c) => Date.parse(c.period_end) > Date.parse(c.period_start), { path: ["period_end"], message: "Must be after period_start" });
export type CreateCounts = z.infer<typeof CreateCounts>;

/** The stored enums, for the compat surfaces (which do not import db). */
export { DOWNTIME_CATEGORIES } from "../../db/schema";
