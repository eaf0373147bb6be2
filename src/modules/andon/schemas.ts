import { z } from "zod";
import { ANDON_PRIORITIES, ANDON_STATUSES, ANDON_TYPES } from "../../db/schema";
import { Code, LongText } from "../../lib/fields";
import { PageQuery, pageOf } from "../../lib/pagination";

export const IdParam = z.object({ id: Code });
const Iso = z.iso.datetime({ offset: true }).max(40);

export const AndonEvent = z
  .object({
    id: z.string(),
    line_id: z.string(),
    equipment_code: z.string().nullable(),
    event_type: z.enum(ANDON_TYPES),
    priority: z.enum(ANDON_PRIORITIES),
    description: z.string(),
    status: z.enum(ANDON_STATUSES),
    /** 0: with the operators; each escalation climbs one tier of the line's chain. */
    escalation_level: z.number().int(),
    reported_by: z.string(),
    reported_at: z.string(),
    acknowledged_by: z.string().nullable(),
    acknowledged_at: z.string().nullable(),
    resolved_by: z.string().nullable(),
    resolved_at: z.string().nullable(),
    resolution_notes: z.string().nullable(),
  })
  .meta({ id: "AndonEvent" });

export const Escalation = z.object({
  level: z.number().int(),
  escalated_to: z.string(),
  reason: z.enum(["acknowledge_timeout", "resolve_timeout", "manual"]),
  escalated_at: z.string(),
});
export const AndonEventDetail = AndonEvent.extend({ escalations: z.array(Escalation) }).meta({ id: "AndonEventDetail" });

export const CreateAndon = z
  .object({
    line_id: Code,
    equipment_code: Code.nullable().optional(),
    event_type: z.enum(ANDON_TYPES),
    priority: z.enum(ANDON_PRIORITIES).default("medium"),
    description: LongText.trim().min(1),
  })
  .strict();
export type CreateAndon = z.infer<typeof CreateAndon>;

export const AndonQuery = PageQuery.extend({
  line_id: Code.optional(),
  status: z.enum(ANDON_STATUSES).optional(),
  priority: z.enum(ANDON_PRIORITIES).optional(),
  event_type: z.enum(ANDON_TYPES).optional(),
  equipment_code: Code.optional(),
  /** Reported at or after. */
  start_time: Iso.optional(),
  /** Reported before. */
  end_time: Iso.optional(),
});
export type AndonQuery = z.infer<typeof AndonQuery>;
export const AndonList = pageOf(AndonEvent);

/** MS5 sent `resolution_notes` as a query parameter; a JSON body works too (the body wins). */
export const ResolveQuery = z.object({ resolution_notes: LongText.optional() });
export const ResolveBody = z.object({ resolution_notes: LongText.nullable().optional() }).strict();

/** The stored enums, for the compat surfaces (which do not import db). */
export { ANDON_PRIORITIES, ANDON_STATUSES, ANDON_TYPES } from "../../db/schema";
