import { z } from "zod";
import { ANDON_PRIORITIES, JOB_STATUSES, LINE_STATUSES, SCHEDULE_STATUSES } from "../../db/schema";
import { Code, LongText, ShortText } from "../../lib/fields";
import { PageQuery, pageOf } from "../../lib/pagination";
import { BUILTIN_ROLE_NAMES } from "../../lib/rbac";

export const IdParam = z.object({ id: Code });

const Iso = z.iso.datetime({ offset: true }).max(40);
const Name = ShortText.min(1);
const Minutes = z
  .number()
  .positive()
  .max(7 * 24 * 60);

/** A line's escalation chain and per-priority timeouts (MS5's defaults when omitted). */
export const EscalationPolicy = z
  .object({
    tiers: z
      .array(z.enum(BUILTIN_ROLE_NAMES as [string, ...string[]]))
      .min(1)
      .max(8)
      .optional(),
    timeouts: z.partialRecord(z.enum(ANDON_PRIORITIES), z.object({ acknowledge: Minutes, resolve: Minutes }).strict()).optional(),
  })
  .strict()
  .meta({ id: "EscalationPolicy" });

export const Line = z
  .object({
    id: z.string(),
    line_code: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    equipment_codes: z.array(z.string()),
    target_speed: z.number().nullable(),
    ideal_cycle_time: z.number().nullable(),
    enabled: z.boolean(),
    status: z.enum(LINE_STATUSES),
    escalation_policy: EscalationPolicy.nullable(),
    version: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: "ProductionLine" });
export type Line = z.infer<typeof Line>;

const LineFields = {
  name: Name,
  description: LongText.nullable().optional(),
  equipment_codes: z.array(Code).max(200).optional(),
  target_speed: z.number().min(0).max(1_000_000).nullable().optional(),
  ideal_cycle_time: z.number().positive().max(86_400).nullable().optional(),
  enabled: z.boolean().optional(),
  status: z.enum(LINE_STATUSES).optional(),
  escalation_policy: EscalationPolicy.nullable().optional(),
};
export const CreateLine = z.object({ line_code: Code, ...LineFields }).strict();
export type CreateLine = z.infer<typeof CreateLine>;
export const UpdateLine = z.object({ ...LineFields, name: Name.optional() }).strict();
export type UpdateLine = z.infer<typeof UpdateLine>;
export const LineQuery = PageQuery.extend({ enabled: z.enum(["true", "false"]).optional(), status: z.enum(LINE_STATUSES).optional() });
export const LineList = pageOf(Line);

export const Product = z
  .object({
    id: z.string(),
    product_code: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    ideal_cycle_time: z.number().nullable(),
    enabled: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: "Product" });
export const CreateProduct = z
  .object({
    product_code: Code,
    name: Name,
    description: LongText.nullable().optional(),
    ideal_cycle_time: z.number().positive().max(86_400).nullable().optional(),
    enabled: z.boolean().optional(),
  })
  .strict();
export type CreateProduct = z.infer<typeof CreateProduct>;
export const UpdateProduct = z
  .object({
    name: Name.optional(),
    description: LongText.nullable().optional(),
    ideal_cycle_time: z.number().positive().max(86_400).nullable().optional(),
    enabled: z.boolean().optional(),
  })
  .strict();
export type UpdateProduct = z.infer<typeof UpdateProduct>;
export const ProductList = pageOf(Product);

export const Schedule = z
  .object({
    id: z.string(),
    line_id: z.string(),
    product_id: z.string(),
    scheduled_start: z.string(),
    scheduled_end: z.string(),
    target_quantity: z.number().int(),
    status: z.enum(SCHEDULE_STATUSES),
    notes: z.string().nullable(),
    created_by: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: "ProductionSchedule" });
export const CreateSchedule = z
  .object({
    line_id: Code,
    product_id: Code,
    scheduled_start: Iso,
    scheduled_end: Iso,
    target_quantity: z.number().int().min(1).max(100_000_000),
    notes: LongText.nullable().optional(),
  })
  .strict()
  .refine((s) => Date.parse(s.scheduled_end) > Date.parse(s.scheduled_start), { path: ["scheduled_end"], message: "Must be after scheduled_start" });
export type CreateSchedule = z.infer<typeof CreateSchedule>;
export const UpdateSchedule = z
  .object({
    scheduled_start: Iso.optional(),
    scheduled_end: Iso.optional(),
    target_quantity: z.number().int().min(1).max(100_000_000).optional(),
    status: z.enum(SCHEDULE_STATUSES).optional(),
    notes: LongText.nullable().optional(),
  })
  .strict();
export type UpdateSchedule = z.infer<typeof UpdateSchedule>;
export const ScheduleQuery = PageQuery.extend({ line_id: Code.optional(), status: z.enum(SCHEDULE_STATUSES).optional() });
export const ScheduleList = pageOf(Schedule);

export const JOB_ACTIONS = ["accept", "start", "pause", "complete", "cancel"] as const;
export type JobAction = (typeof JOB_ACTIONS)[number];

export const Job = z
  .object({
    id: z.string(),
    schedule_id: z.string(),
    line_id: z.string(),
    user_id: z.string(),
    assigned_at: z.string(),
    accepted_at: z.string().nullable(),
    started_at: z.string().nullable(),
    paused_at: z.string().nullable(),
    completed_at: z.string().nullable(),
    cancelled_at: z.string().nullable(),
    status: z.enum(JOB_STATUSES),
    notes: z.string().nullable(),
    /** What may be done to the job next. */
    allowed_actions: z.array(z.enum(JOB_ACTIONS)),
    version: z.number().int(),
  })
  .meta({ id: "JobAssignment" });
export type Job = z.infer<typeof Job>;
export const CreateJob = z.object({ schedule_id: Code, user_id: Code, notes: LongText.nullable().optional() }).strict();
export type CreateJob = z.infer<typeof CreateJob>;
export const MyJobsQuery = PageQuery.extend({ status: z.enum(JOB_STATUSES).optional() });
export const JobList = pageOf(Job);

/** The stored enums, for the compat surfaces (which do not import db). */
export { JOB_STATUSES, LINE_STATUSES, SCHEDULE_STATUSES } from "../../db/schema";
