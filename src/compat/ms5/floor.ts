/**
 * MS5's floor routes where its client's shape differs from the canonical one: andon, downtime,
 * OEE and dashboard metrics. Lists are bare arrays; the andon screen's payload and POSTed
 * acknowledge/resolve are accepted; OEE `calculate` takes MS5's query parameters or its client's
 * camelCase body. Thin: every rule lives in the andon, oee and dashboard services.
 */
import { z } from "zod";
import { AppError } from "../../lib/errors";
import { Code, LongText, ShortText } from "../../lib/fields";
import { createRouter, defineRoute, json, principalOf } from "../../lib/route";
import {
  AndonEscalation,
  acknowledgeEscalation,
  ESCALATION_STATUSES,
  getEscalation,
  listEscalations,
  resolveEscalation,
} from "../../modules/andon/escalations";
import { ANDON_PRIORITIES, ANDON_STATUSES, ANDON_TYPES, AndonEvent, IdParam, ResolveBody, ResolveQuery } from "../../modules/andon/schemas";
import { acknowledgeAndon, createAndon, escalateAndon, listAndons, resolveAndon } from "../../modules/andon/service";
import {
  EquipmentDashboardItem,
  equipmentDashboard,
  LineProduction,
  lineProduction,
  ProductionSummary,
  productionSummary,
} from "../../modules/dashboard/production";
import { dashboardMetrics } from "../../modules/dashboard/service";
import { DOWNTIME_CATEGORIES, Downtime, OeeResult, UpdateDowntime } from "../../modules/oee/schemas";
import {
  calculateOee,
  confirmDowntime,
  currentOee,
  getDowntime,
  listDowntime,
  measureOee,
  oeeHistory,
  oeeSeries,
  updateDowntime,
} from "../../modules/oee/service";
import { listLines } from "../../modules/production/service";
import { bare, DateOrTime, DateOrTimeEnd, jsonBody, Ms5Paging, pageParams, TAGS } from "./shared";

const Iso = z.iso.datetime({ offset: true }).max(40);

/** The andon screen's categories (AndonFormScreen) as andon types. */
export const CATEGORY_TYPES = {
  quality: "quality",
  equipment: "maintenance",
  safety: "safety",
  material: "material",
  process: "stop",
} as const satisfies Record<string, (typeof ANDON_TYPES)[number]>;

/**
 * The andon as MS5's client creates it (its form's `category_id`, `priority_id`, `title`, an
 * empty `equipment_code` for none) or canonically (`event_type`, `priority`). The reporter and
 * time are always the caller and now, whatever `reported_by`/`reported_at` say.
 */
export const Ms5CreateAndon = z
  .object({
    line_id: Code,
    equipment_code: z
      .union([Code, z.literal("")])
      .nullable()
      .optional(),
    event_type: z.enum(ANDON_TYPES).optional(),
    priority: z.enum(ANDON_PRIORITIES).optional(),
    category_id: z.enum([...(Object.keys(CATEGORY_TYPES) as [keyof typeof CATEGORY_TYPES]), ...ANDON_TYPES]).optional(),
    priority_id: z.enum(ANDON_PRIORITIES).optional(),
    title: ShortText.optional(),
    description: LongText.optional(),
    location: ShortText.optional(),
    notes: LongText.optional(),
    reported_by: Code.optional(),
    reported_at: Iso.optional(),
    attachments: z.array(z.string().max(512)).max(0, "Attachments are not accepted here").optional(),
  })
  .strict();

const bodyError = (path: string, message: string) =>
  new AppError("VALIDATION_ERROR", `Invalid request body: ${path} ${message}`, { details: [{ path, message }] });

/** MS5's andon payload → the canonical create (422 naming the field when a required part is missing). */
export function toCreateAndon(input: z.infer<typeof Ms5CreateAndon>) {
  const category = input.category_id;
  const eventType =
    input.event_type ??
    (category === undefined
      ? undefined
      : category in CATEGORY_TYPES
        ? CATEGORY_TYPES[category as keyof typeof CATEGORY_TYPES]
        : (category as (typeof ANDON_TYPES)[number]));
  if (!eventType) throw bodyError("body.category_id", "Choose a category (or send event_type)");
  const parts = [
    input.title?.trim(),
    input.description?.trim(),
    input.location?.trim() ? `Location: ${input.location.trim()}` : undefined,
    input.notes?.trim(),
  ];
  const description = parts.filter((p): p is string => Boolean(p)).join("\n");
  if (!description) throw bodyError("body.description", "Describe the problem (title or description)");
  if (description.length > 2000) throw bodyError("body.description", "Title, description, location and notes together are at most 2000 characters");
  return {
    line_id: input.line_id,
    equipment_code: input.equipment_code ? input.equipment_code : null,
    event_type: eventType,
    priority: input.priority ?? input.priority_id ?? "medium",
    description,
  };
}

const AndonListQuery = Ms5Paging.extend({
  line_id: Code.optional(),
  status: z.enum(ANDON_STATUSES).optional(),
  priority: z.enum(ANDON_PRIORITIES).optional(),
  event_type: z.enum(ANDON_TYPES).optional(),
  equipment_code: Code.optional(),
  /** Reported at or after / before (canonical). */
  start_time: Iso.optional(),
  end_time: Iso.optional(),
});
const EscalateBody = z.object({ escalation_level: z.number().int().min(1).max(8).optional(), notes: LongText.optional() }).strict();

const DowntimeListQuery = Ms5Paging.extend({
  line_id: Code.optional(),
  equipment_code: Code.optional(),
  category: z.enum(DOWNTIME_CATEGORIES).optional(),
  status: z.enum(["active", "completed"]).optional(),
  /** MS5: dates (a whole day) or times; canonical: `start_time`/`end_time`. */
  start_date: DateOrTime.optional(),
  end_date: DateOrTimeEnd.optional(),
  start_time: Iso.optional(),
  end_time: Iso.optional(),
});
const ConfirmBody = z.object({ confirmed_by: Code.optional(), notes: LongText.nullable().optional() }).strict();

/**
 * `POST /oee/calculate`: MS5's backend read `line_id`, `equipment_code`, `calculation_time`
 * and `time_period_hours` from the query string; its client sends `{lineId, equipmentCode,
 * startTime, endTime}`; the canonical body is snake_case. All three work; the body wins.
 */
const CalculateQuery = z.object({
  line_id: Code.optional(),
  equipment_code: Code.optional(),
  calculation_time: Iso.optional(),
  time_period_hours: z.coerce.number().int().min(1).max(168).optional(),
});
const CalculateBody = z
  .object({
    lineId: Code.optional(),
    equipmentCode: z
      .union([Code, z.literal("")])
      .nullable()
      .optional(),
    startTime: Iso.optional(),
    endTime: Iso.optional(),
    line_id: Code.optional(),
    equipment_code: z
      .union([Code, z.literal("")])
      .nullable()
      .optional(),
    start_time: Iso.optional(),
    end_time: Iso.optional(),
  })
  .strict();

export function toCalculate(query: z.infer<typeof CalculateQuery>, body: z.infer<typeof CalculateBody> | undefined) {
  const lineId = body?.lineId ?? body?.line_id ?? query.line_id;
  if (!lineId) throw bodyError("body.lineId", "Required (or line_id in the query, as MS5's backend read it)");
  const equipment = body?.equipmentCode ?? body?.equipment_code ?? query.equipment_code;
  let start = body?.startTime ?? body?.start_time;
  let end = body?.endTime ?? body?.end_time;
  if (!start && !end && (query.calculation_time || query.time_period_hours)) {
    const to = query.calculation_time ? Date.parse(query.calculation_time) : Date.now();
    end = new Date(to).toISOString();
    start = new Date(to - (query.time_period_hours ?? 24) * 3_600_000).toISOString();
  }
  if (start && end && Date.parse(end) < Date.parse(start)) throw bodyError("body.endTime", "Must not be before startTime");
  return { line_id: lineId, equipment_code: equipment ? equipment : null, start_time: start, end_time: end };
}

const OeeLineQuery = Ms5Paging.extend({
  start_date: DateOrTime.optional(),
  end_date: DateOrTimeEnd.optional(),
  start_time: Iso.optional(),
  end_time: Iso.optional(),
});
const MetricsQuery = z.object({
  line_id: Code.optional(),
  /** MS5's backend: `time_range` (`24h`, `7d`); its client: `period` (same forms, or `day`/`week`/`month`). */
  time_range: z.string().max(8).optional(),
  period: z.string().max(8).optional(),
});
const PERIOD_HOURS: Record<string, number> = { day: 24, shift: 8, week: 168, month: 720 };
export function periodHours(value: string | undefined): number {
  if (!value) return 24;
  const named = PERIOD_HOURS[value];
  if (named) return named;
  const m = /^(\d{1,3})([hd])$/.exec(value);
  const hours = m ? Number(m[1]) * (m[2] === "d" ? 24 : 1) : Number.NaN;
  if (!(hours >= 1 && hours <= 744)) {
    throw new AppError("VALIDATION_ERROR", "Invalid query: period Use 1h–744h, 1d–31d, shift, day, week or month", {
      details: [{ path: "query.period", message: "Use 1h–744h, 1d–31d, shift, day, week or month" }],
    });
  }
  return hours;
}
const DashboardMetrics = z
  .object({
    line_id: z.string().nullable(),
    time_range: z.string(),
    period_start: z.string(),
    period_end: z.string(),
    production_metrics: z.object({
      total_production: z.number(),
      good_production: z.number(),
      target_production: z.number(),
      efficiency: z.number().nullable(),
    }),
    quality_metrics: z.object({ first_pass_yield: z.number().nullable(), defect_rate: z.number().nullable() }),
    maintenance_metrics: z.object({
      planned_maintenance_hours: z.number(),
      unplanned_maintenance_hours: z.number(),
      maintenance_efficiency: z.number().nullable(),
    }),
  })
  .meta({ id: "Ms5DashboardMetrics" });

const EscalationQuery = Ms5Paging.extend({
  status: z.enum(ESCALATION_STATUSES).optional(),
  priority: z.enum(ANDON_PRIORITIES).optional(),
  line_id: Code.optional(),
  event_id: Code.optional(),
});

const ack = (method: "post") =>
  defineRoute({
    method,
    path: "/events/{id}/acknowledge",
    access: "andon:acknowledge",
    summary: "MS5: acknowledge an andon (POST, as its client sends it; PUT is canonical)",
    tags: TAGS,
    request: { params: IdParam },
    errors: { 404: "No such andon", 409: "Already acknowledged or resolved" },
    responses: { 200: json(AndonEvent, "The andon") },
  });

/** Mounted at `/api/v1/andon`, before the canonical andon routes. */
export const ms5AndonRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: "/events",
      access: "andon:read",
      summary: "MS5: andon events, newest first, a bare array (X-Total-Count)",
      tags: TAGS,
      request: { query: AndonListQuery },
      responses: { 200: json(z.array(AndonEvent), "The andons") },
    }),
    async (c) => {
      const { skip, offset, limit, ...filters } = c.req.valid("query");
      return c.json(bare(c, await listAndons(c.get("deps"), { ...filters, ...pageParams({ skip, offset, limit }) })), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/events",
      access: "andon:create",
      summary: "MS5: raise an andon (the andon screen's category_id/priority_id/title, or canonical fields); pushes andon_event",
      tags: TAGS,
      request: jsonBody(Ms5CreateAndon),
      responses: { 201: json(AndonEvent, "The andon") },
    }),
    async (c) => c.json(await createAndon(c.get("deps"), toCreateAndon(c.req.valid("json")), principalOf(c)), 201),
  )
  .openapi(ack("post"), async (c) => c.json(await acknowledgeAndon(c.get("deps"), c.req.valid("param").id, principalOf(c)), 200))
  .openapi(
    defineRoute({
      method: "post",
      path: "/events/{id}/resolve",
      access: "andon:resolve",
      summary: "MS5: resolve an andon (POST with {resolution_notes}, as its client sends it)",
      tags: TAGS,
      request: { params: IdParam, query: ResolveQuery, body: { required: false, content: { "application/json": { schema: ResolveBody } } } },
      errors: { 404: "No such andon", 409: "Already resolved" },
      responses: { 200: json(AndonEvent, "The andon") },
    }),
    async (c) => {
      const notes = c.req.valid("json")?.resolution_notes ?? c.req.valid("query").resolution_notes ?? null;
      return c.json(await resolveAndon(c.get("deps"), c.req.valid("param").id, notes, principalOf(c)), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/events/{id}/escalate",
      access: "andon:escalate",
      summary: "MS5: escalate an unresolved andon by hand to escalation_level (default: one up); logged as a manual escalation",
      tags: TAGS,
      request: { params: IdParam, body: { required: false, content: { "application/json": { schema: EscalateBody } } } },
      errors: { 404: "No such andon", 409: "Resolved, or already at or above that level" },
      responses: { 200: json(AndonEvent, "The andon") },
    }),
    async (c) => c.json(await escalateAndon(c.get("deps"), c.req.valid("param").id, c.req.valid("json")?.escalation_level), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/escalations",
      access: "andon:read",
      pureRead: true,
      summary:
        "MS5: the andon escalation log, newest first, a bare array (X-Total-Count); status active|acknowledged|escalated|resolved (derived), the andon's priority",
      tags: TAGS,
      request: { query: EscalationQuery },
      responses: { 200: json(z.array(AndonEscalation), "The escalations") },
    }),
    async (c) => {
      const { skip, offset, limit, ...filters } = c.req.valid("query");
      return c.json(bare(c, await listEscalations(c.get("deps"), { ...filters, ...pageParams({ skip, offset, limit }) })), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/escalations/{id}",
      access: "andon:read",
      pureRead: true,
      summary: "MS5: one escalation with its andon's priority and state",
      tags: TAGS,
      request: { params: IdParam },
      errors: { 404: "No such escalation" },
      responses: { 200: json(AndonEscalation, "The escalation") },
    }),
    async (c) => c.json(await getEscalation(c.get("deps"), c.req.valid("param").id), 200),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/escalations/{id}/acknowledge",
      access: "andon:acknowledge",
      summary: "MS5: the tier answers an escalation (once); its andon is acknowledged too while unanswered",
      tags: TAGS,
      request: { params: IdParam },
      errors: { 404: "No such escalation", 409: "Already acknowledged, or its andon is resolved" },
      responses: { 200: json(AndonEscalation, "The escalation") },
    }),
    async (c) => c.json(await acknowledgeEscalation(c.get("deps"), c.req.valid("param").id, principalOf(c)), 200),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/escalations/{id}/resolve",
      access: "andon:resolve",
      summary: "MS5: resolve an escalation with {resolution_notes}: its andon resolves",
      tags: TAGS,
      request: { params: IdParam, body: { required: false, content: { "application/json": { schema: ResolveBody } } } },
      errors: { 404: "No such escalation", 409: "Its andon is already resolved" },
      responses: { 200: json(AndonEscalation, "The escalation") },
    }),
    async (c) => c.json(await resolveEscalation(c.get("deps"), c.req.valid("param").id, c.req.valid("json")?.resolution_notes ?? null, principalOf(c)), 200),
  );

/** Mounted at `/api/v1/downtime`, before the canonical downtime routes. */
export const ms5DowntimeRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: "/events",
      access: "downtime:read",
      summary: "MS5: downtime events, latest first, a bare array (X-Total-Count)",
      tags: TAGS,
      request: { query: DowntimeListQuery },
      responses: { 200: json(z.array(Downtime), "The stops") },
    }),
    async (c) => {
      const { skip, offset, limit, start_date, end_date, start_time, end_time, ...filters } = c.req.valid("query");
      const q = { ...filters, ...pageParams({ skip, offset, limit }), start_time: start_time ?? start_date, end_time: end_time ?? end_date };
      return c.json(bare(c, await listDowntime(c.get("deps"), q)), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/events/{id}",
      access: "downtime:read",
      summary: "MS5: one downtime event",
      tags: TAGS,
      request: { params: IdParam },
      errors: { 404: "No such downtime event" },
      responses: { 200: json(Downtime, "The stop") },
    }),
    async (c) => c.json(await getDowntime(c.get("deps"), c.req.valid("param").id), 200),
  )
  .openapi(
    defineRoute({
      method: "put",
      path: "/events/{id}",
      access: "downtime:write",
      summary: "MS5: change a stop's reason, category, end or notes; pushes downtime_event",
      tags: TAGS,
      request: { params: IdParam, ...jsonBody(UpdateDowntime) },
      errors: { 404: "No such downtime event", 409: "Changed by someone else" },
      responses: { 200: json(Downtime, "The stop") },
    }),
    async (c) => c.json(await updateDowntime(c.get("deps"), c.req.valid("param").id, c.req.valid("json")), 200),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/events/{id}/confirm",
      access: "downtime:write",
      summary: "MS5: confirm a stop's reason as the caller (a `confirmed_by` naming someone else is ignored)",
      tags: TAGS,
      request: { params: IdParam, body: { required: false, content: { "application/json": { schema: ConfirmBody } } } },
      errors: { 404: "No such downtime event", 409: "Already confirmed" },
      responses: { 200: json(Downtime, "The stop") },
    }),
    async (c) => c.json(await confirmDowntime(c.get("deps"), c.req.valid("param").id, c.req.valid("json")?.notes, principalOf(c)), 200),
  );

/** Mounted at `/api/v1/oee`, before the canonical OEE routes. */
export const ms5OeeRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "post",
      path: "/calculate",
      access: "oee:calculate",
      summary: "MS5: calculate and store a line's OEE (query parameters as MS5's backend, or its client's camelCase body); 201",
      tags: TAGS,
      request: { query: CalculateQuery, body: { required: false, content: { "application/json": { schema: CalculateBody } } } },
      responses: { 201: json(OeeResult, "The OEE and every input") },
    }),
    async (c) => c.json(await calculateOee(c.get("deps"), toCalculate(c.req.valid("query"), c.req.valid("json"))), 201),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/lines/{id}",
      access: "oee:read",
      summary: "MS5: a line's stored OEE calculations, newest first, a bare array (X-Total-Count)",
      tags: TAGS,
      request: { params: IdParam, query: OeeLineQuery },
      errors: { 404: "No such line" },
      responses: { 200: json(z.array(OeeResult), "The calculations") },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const page = await oeeHistory(c.get("deps"), c.req.valid("param").id, {
        ...pageParams(q),
        start_time: q.start_time ?? q.start_date,
        end_time: q.end_time ?? q.end_date,
      });
      return c.json(bare(c, page), 200);
    },
  );

/** The client sends `start_date=` (empty) when it has no date: empty means not given. */
const blankIsAbsent = (v: unknown) => (v === "" ? undefined : v);
const GRANULARITY_MS = { hour: 3_600_000, shift: 8 * 3_600_000, day: 86_400_000, week: 7 * 86_400_000 } as const;
const HistoryQuery = z.object({
  start_date: z.preprocess(blankIsAbsent, DateOrTime.optional()),
  end_date: z.preprocess(blankIsAbsent, DateOrTimeEnd.optional()),
  granularity: z.enum(["hour", "shift", "day", "week"]).default("day"),
});
const CurrentQuery = z.object({ line_id: Code.optional() });
const BreakdownQuery = z.object({ period: z.string().max(8).optional() });
const Breakdown = OeeResult.extend({
  period: z.string(),
  losses: z.object({
    downtime_seconds: z.number(),
    speed_loss_seconds: z.number().nullable(),
    quality_loss_parts: z.number().int(),
  }),
}).meta({ id: "Ms5OeeBreakdown" });

/** Beyond MS5's backend: the OEE screens' current figures, history and breakdown. */
ms5OeeRoutes
  .openapi(
    defineRoute({
      method: "get",
      path: "/current",
      access: "oee:read",
      summary: "MS5 (beyond its backend): today's OEE so far, for one line or every enabled line (at most 50)",
      tags: TAGS,
      request: { query: CurrentQuery },
      errors: { 404: "No such line" },
      responses: { 200: json(z.array(OeeResult), "One result per line") },
    }),
    async (c) => {
      const { line_id } = c.req.valid("query");
      const deps = c.get("deps");
      if (line_id) return c.json([await currentOee(deps, line_id)], 200);
      const lines = await listLines(deps, { limit: 50, offset: 0, enabled: "true" });
      return c.json(await Promise.all(lines.items.map((line) => currentOee(deps, line.id))), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/lines/{id}/history",
      access: "oee:read",
      summary: "MS5 (beyond its backend): a line's OEE per hour/shift/day/week over a range (default: the last 7 days), computed, not stored",
      tags: TAGS,
      request: { params: IdParam, query: HistoryQuery },
      errors: { 404: "No such line" },
      responses: { 200: json(z.array(OeeResult), "One result per period, oldest first") },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const now = c.get("deps").now();
      const to = q.end_date ? new Date(Math.min(Date.parse(q.end_date), now.getTime())) : now;
      const from = q.start_date ? new Date(q.start_date) : new Date(to.getTime() - 7 * 86_400_000);
      return c.json(await oeeSeries(c.get("deps"), c.req.valid("param").id, from, to, GRANULARITY_MS[q.granularity]), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/lines/{id}/breakdown",
      access: "oee:read",
      summary: "MS5 (beyond its backend): a line's OEE over a period (default 24h) with its losses",
      tags: TAGS,
      request: { params: IdParam, query: BreakdownQuery },
      errors: { 404: "No such line" },
      responses: { 200: json(Breakdown, "The OEE and its losses") },
    }),
    async (c) => {
      const period = c.req.valid("query").period ?? "24h";
      const to = c.get("deps").now();
      const r = await measureOee(c.get("deps"), c.req.valid("param").id, null, new Date(to.getTime() - periodHours(period) * 3_600_000), to);
      const ideal = r.ideal_cycle_time === null ? null : r.ideal_cycle_time * r.total_parts;
      return c.json(
        {
          ...r,
          period,
          losses: {
            downtime_seconds: r.unplanned_downtime,
            speed_loss_seconds: ideal === null ? null : Math.max(0, Math.round((r.actual_production_time - ideal) * 1000) / 1000),
            quality_loss_parts: r.total_parts - r.good_parts,
          },
        },
        200,
      );
    },
  );

/** Mounted at `/api/v1/dashboard`. */
export const ms5DashboardRoutes = createRouter().openapi(
  defineRoute({
    method: "get",
    path: "/metrics",
    access: "dashboard:read",
    summary: "MS5: production, quality and downtime figures over a period (default 24h), optionally one line",
    tags: TAGS,
    request: { query: MetricsQuery },
    errors: { 404: "No such line" },
    responses: { 200: json(DashboardMetrics, "The figures") },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const range = q.period ?? q.time_range;
    const metrics = await dashboardMetrics(c.get("deps"), { line_id: q.line_id, hours: periodHours(range) });
    return c.json({ ...metrics, time_range: range ?? "24h" }, 200);
  },
);

/** A line and an optional item for the OEE screens' trends and losses (`line_id` required). */
const OeeWindowQuery = z.object({
  line_id: Code,
  equipment_code: z.preprocess(blankIsAbsent, Code.optional()),
  start_time: z.preprocess(blankIsAbsent, DateOrTime.optional()),
  end_time: z.preprocess(blankIsAbsent, DateOrTimeEnd.optional()),
});
const TrendsQuery = OeeWindowQuery.extend({ aggregation_level: z.enum(["hour", "shift", "day", "week"]).default("day") });
/** One period of the OEE trend as the tablet's slice reads it (`production` parts, `downtime` seconds) beside the full result. */
const OeeTrendPoint = OeeResult.extend({ period: z.string(), production: z.number().int(), downtime: z.number() }).meta({ id: "Ms5OeeTrendPoint" });
const LOSS_CATEGORIES = ["availability", "performance", "quality"] as const;
const OeeLoss = z
  .object({
    line_id: z.string(),
    equipment_code: z.string().nullable(),
    period_start: z.string(),
    period_end: z.string(),
    category: z.enum(LOSS_CATEGORIES),
    subcategory: z.string(),
    description: z.string(),
    /** Seconds lost (quality: the ideal time of the rejected parts; null without an ideal cycle time). */
    duration: z.number().nullable(),
    /** Share of the factor lost, in percent (100 × (1 − factor)). */
    percentage: z.number(),
    impact: z.enum(["high", "medium", "low"]),
    /** Parts affected (quality), else null. */
    parts: z.number().int().nullable(),
  })
  .meta({ id: "Ms5OeeLoss" });

/** `[from, to)` of an OEE window: the query's, else the last `defaultHours` up to now (422 when reversed). */
function oeeWindow(now: Date, q: { start_time?: string | undefined; end_time?: string | undefined }, defaultHours: number) {
  const to = q.end_time ? new Date(Math.min(Date.parse(q.end_time), now.getTime())) : now;
  const from = q.start_time ? new Date(q.start_time) : new Date(to.getTime() - defaultHours * 3_600_000);
  if (from.getTime() >= to.getTime()) {
    throw new AppError("VALIDATION_ERROR", "Invalid query: start_time Must be before end_time (and before now)", {
      details: [{ path: "query.start_time", message: "Must be before end_time (and before now)" }],
    });
  }
  return { from, to };
}

const impactOf = (percentage: number) => (percentage >= 10 ? "high" : percentage >= 3 ? "medium" : "low");
const pct = (factor: number) => Math.round((1 - factor) * 10_000) / 100;

ms5OeeRoutes
  .openapi(
    defineRoute({
      method: "get",
      path: "/trends",
      access: "oee:read",
      pureRead: true,
      summary:
        "MS5 (beyond its backend): a line's (or one item's) OEE per hour/shift/day/week (aggregation_level) over start_time–end_time (default: the last 7 days), computed, oldest first",
      tags: TAGS,
      request: { query: TrendsQuery },
      errors: { 404: "No such line" },
      responses: { 200: json(z.array(OeeTrendPoint), "One point per period") },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const { from, to } = oeeWindow(c.get("deps").now(), q, 7 * 24);
      const series = await oeeSeries(c.get("deps"), q.line_id, from, to, GRANULARITY_MS[q.aggregation_level], q.equipment_code ?? null);
      return c.json(
        series.map((r) => ({
          ...r,
          period: r.period_start,
          production: r.total_parts,
          downtime: Math.round((r.unplanned_downtime + r.planned_downtime) * 1000) / 1000,
        })),
        200,
      );
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/losses",
      access: "oee:read",
      pureRead: true,
      summary:
        "MS5 (beyond its backend): a line's (or one item's) OEE losses over start_time–end_time (default 24h): availability (unplanned stops), performance (speed), quality (rejects), largest first",
      tags: TAGS,
      request: { query: OeeWindowQuery },
      errors: { 404: "No such line" },
      responses: { 200: json(z.array(OeeLoss), "The three losses, largest share first") },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const { from, to } = oeeWindow(c.get("deps").now(), q, 24);
      const r = await measureOee(c.get("deps"), q.line_id, q.equipment_code ?? null, from, to);
      const base = { line_id: r.line_id, equipment_code: r.equipment_code, period_start: r.period_start, period_end: r.period_end };
      const ideal = r.ideal_cycle_time;
      const rejects = r.total_parts - r.good_parts;
      const losses: z.infer<typeof OeeLoss>[] = [
        {
          ...base,
          category: "availability",
          subcategory: "unplanned_downtime",
          description: "Unplanned stops",
          duration: r.unplanned_downtime,
          percentage: pct(r.availability),
          impact: impactOf(pct(r.availability)),
          parts: null,
        },
        {
          ...base,
          category: "performance",
          subcategory: "speed_loss",
          description: "Running below the ideal cycle time",
          duration: ideal === null ? null : Math.max(0, Math.round((r.actual_production_time - ideal * r.total_parts) * 1000) / 1000),
          percentage: pct(r.performance),
          impact: impactOf(pct(r.performance)),
          parts: null,
        },
        {
          ...base,
          category: "quality",
          subcategory: "rejects",
          description: "Parts not good",
          duration: ideal === null ? null : Math.round(ideal * rejects * 1000) / 1000,
          percentage: pct(r.quality),
          impact: impactOf(pct(r.quality)),
          parts: rejects,
        },
      ];
      return c.json(
        losses.sort((a, b) => b.percentage - a.percentage),
        200,
      );
    },
  );

const LineQuery = z.object({
  line_id: z.preprocess(blankIsAbsent, Code.optional()),
  period: z.string().max(8).optional(),
  time_range: z.string().max(8).optional(),
});
const SummaryQuery = z.object({
  line_id: z.preprocess(blankIsAbsent, Code.optional()),
  start_date: z.preprocess(blankIsAbsent, DateOrTime.optional()),
  end_date: z.preprocess(blankIsAbsent, DateOrTimeEnd.optional()),
});
/** The longest production summary (a year). */
const MAX_SUMMARY_DAYS = 366;

/** Beyond MS5's backend: the dashboard's production and equipment widgets. */
ms5DashboardRoutes
  .openapi(
    defineRoute({
      method: "get",
      path: "/production-metrics",
      access: "dashboard:read",
      pureRead: true,
      summary:
        "MS5 (beyond its backend): per enabled line (or one), parts made and good, target, efficiency, quality rate and downtime minutes over a period (default 24h)",
      tags: TAGS,
      request: { query: LineQuery },
      errors: { 404: "No such line" },
      responses: { 200: json(z.array(LineProduction), "One entry per line") },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const to = c.get("deps").now();
      const from = new Date(to.getTime() - periodHours(q.period ?? q.time_range) * 3_600_000);
      return c.json(await lineProduction(c.get("deps"), { line_id: q.line_id, from, to }), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/production-summary",
      access: "dashboard:read",
      pureRead: true,
      summary:
        "MS5 (beyond its backend): production totals and per-line figures from start_date to end_date (days inclusive; default the last 24h; at most a year)",
      tags: TAGS,
      request: { query: SummaryQuery },
      errors: { 404: "No such line" },
      responses: { 200: json(ProductionSummary, "The totals and the lines") },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const now = c.get("deps").now();
      const to = q.end_date ? new Date(q.end_date) : now;
      const from = q.start_date ? new Date(q.start_date) : new Date(to.getTime() - 86_400_000);
      const days = (to.getTime() - from.getTime()) / 86_400_000;
      if (!(days > 0 && days <= MAX_SUMMARY_DAYS)) {
        const message = `end_date must be after start_date, at most ${MAX_SUMMARY_DAYS} days later`;
        throw new AppError("VALIDATION_ERROR", `Invalid query: end_date ${message}`, { details: [{ path: "query.end_date", message }] });
      }
      return c.json(await productionSummary(c.get("deps"), { line_id: q.line_id, from, to }), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/equipment/status",
      access: ["dashboard:read", "equipment:read"],
      pureRead: true,
      summary:
        "MS5 (beyond its backend): live items (one line's, or all; at most 200) with status, open faults and the period's downtime and uptime minutes (default 24h), a bare array (X-Total-Count)",
      tags: TAGS,
      request: { query: LineQuery },
      errors: { 404: "No such line" },
      responses: { 200: json(z.array(EquipmentDashboardItem), "The items") },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const page = await equipmentDashboard(c.get("deps"), { line_id: q.line_id, hours: periodHours(q.period ?? q.time_range) });
      c.header("X-Total-Count", String(page.total));
      return c.json(page.items, 200);
    },
  );
