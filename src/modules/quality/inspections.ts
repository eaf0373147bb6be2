/**
 * Quality inspections (issue 17): scheduled on a line, started, completed once with their
 * results, then reviewed once — approved or rejected (with a reason) by a holder of
 * `quality:approve` (MS5's role model: quality and production managers, not operators).
 * Every move is a conditional UPDATE on the statuses it may leave: a second completion or
 * review is a 409 `inspection_state` and changes nothing.
 */
import { and, desc, eq, gte, lt, type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import { INSPECTION_RESULTS, INSPECTION_STATUSES, INSPECTION_TYPES, type InspectionResult, productionLines, qualityInspections } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { AppError } from "../../lib/errors";
import { LongText, ShortText } from "../../lib/fields";
import { type Page, type PageParams, paginate } from "../../lib/pagination";
import { actorOf, type Principal } from "../../lib/principal";

export { INSPECTION_RESULTS, INSPECTION_STATUSES, INSPECTION_TYPES };
export const MAX_INSPECTION_RESULTS = 100;
type Status = (typeof INSPECTION_STATUSES)[number];

/** One result as the client's QualityResult sends it (camelCase; snake_case accepted). */
export const InspectionResultIn = z.object({
  parameterName: ShortText.min(1).optional(),
  parameter_name: ShortText.min(1).optional(),
  value: z.union([z.string().max(2000), z.number().finite(), z.boolean(), z.null()]).default(null),
  unit: z.string().trim().max(32).optional(),
  status: z.enum(["pass", "fail", "warning"]),
  notes: LongText.optional(),
});
export type InspectionResultIn = z.infer<typeof InspectionResultIn>;

export const Inspection = z
  .object({
    id: z.string(),
    lineId: z.string(),
    line_id: z.string(),
    lineCode: z.string(),
    productTypeId: z.string().nullable(),
    inspectionType: z.enum(INSPECTION_TYPES),
    status: z.enum(INSPECTION_STATUSES),
    scheduledDate: z.string(),
    completedDate: z.string().nullable(),
    inspector: z.string(),
    results: z.array(
      z.object({
        parameterName: z.string(),
        value: z.union([z.string(), z.number(), z.boolean(), z.null()]),
        unit: z.string().optional(),
        status: z.enum(["pass", "fail", "warning"]),
        notes: z.string().optional(),
      }),
    ),
    /** Defects are not recorded yet (issue 17 remainder): always empty. */
    defects: z.array(z.object({ id: z.string() })).max(0),
    overallResult: z.enum(INSPECTION_RESULTS).nullable(),
    score: z.number().nullable(),
    notes: z.string().nullable(),
    completedBy: z.string().nullable(),
    reviewedBy: z.string().nullable(),
    reviewedAt: z.string().nullable(),
    rejectionReason: z.string().nullable(),
    createdBy: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
    version: z.number().int(),
  })
  .meta({ id: "Ms5QualityInspection" });
export type Inspection = z.infer<typeof Inspection>;

const notFound = () => new AppError("NOT_FOUND", "Inspection not found", { reason: "inspection_not_found" });
const wrongState = (status: Status, action: string) =>
  new AppError("CONFLICT", `The inspection is ${status}; it cannot be ${action}`, { reason: "inspection_state", details: { status } });

const select = (deps: Pick<Deps, "db">) =>
  deps.db
    .select({ q: qualityInspections, lineCode: productionLines.lineCode })
    .from(qualityInspections)
    .innerJoin(productionLines, eq(productionLines.id, qualityInspections.lineId));

function toInspection(r: typeof qualityInspections.$inferSelect, lineCode: string): Inspection {
  return {
    id: r.id,
    lineId: r.lineId,
    line_id: r.lineId,
    lineCode,
    productTypeId: r.productTypeId,
    inspectionType: r.inspectionType,
    status: r.status,
    scheduledDate: r.scheduledDate,
    completedDate: r.completedDate,
    inspector: r.inspector,
    results: r.results,
    defects: [],
    overallResult: r.overallResult,
    score: r.score,
    notes: r.notes,
    completedBy: r.completedBy,
    reviewedBy: r.reviewedBy,
    reviewedAt: r.reviewedAt,
    rejectionReason: r.rejectionReason,
    createdBy: r.createdBy,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
    version: r.version,
  };
}

export async function getInspection(deps: Pick<Deps, "db">, id: string): Promise<Inspection> {
  const [row] = await select(deps).where(eq(qualityInspections.id, id));
  if (!row) throw notFound();
  return toInspection(row.q, row.lineCode);
}

export async function listInspections(
  deps: Pick<Deps, "db">,
  query: PageParams & { line_id?: string | undefined; status?: Status | undefined; from?: string | undefined; to?: string | undefined },
): Promise<Page<Inspection>> {
  const q = qualityInspections;
  const where = and(
    query.line_id === undefined ? undefined : eq(q.lineId, query.line_id),
    query.status === undefined ? undefined : eq(q.status, query.status),
    query.from === undefined ? undefined : gte(q.scheduledDate, query.from),
    query.to === undefined ? undefined : lt(q.scheduledDate, query.to),
  );
  const page = await paginate(deps.db, select(deps).where(where).$dynamic(), query, { orderBy: [desc(q.scheduledDate)], tiebreaker: q.id });
  return { ...page, items: page.items.map((r) => toInspection(r.q, r.lineCode)) };
}

export interface InspectionInput {
  line_id: string;
  product_type_id?: string | null | undefined;
  inspection_type?: (typeof INSPECTION_TYPES)[number] | undefined;
  scheduled_date?: string | undefined;
  inspector?: string | undefined;
  notes?: string | null | undefined;
}

export async function createInspection(deps: Pick<Deps, "db" | "now">, input: InspectionInput, actor: Principal): Promise<Inspection> {
  const [line] = await deps.db.select({ id: productionLines.id }).from(productionLines).where(eq(productionLines.id, input.line_id));
  if (!line) throw new AppError("NOT_FOUND", "Production line not found");
  const who = actorOf(actor);
  const id = crypto.randomUUID();
  await deps.db.insert(qualityInspections).values({
    id,
    lineId: input.line_id,
    productTypeId: input.product_type_id ?? null,
    inspectionType: input.inspection_type ?? "routine",
    scheduledDate: input.scheduled_date ?? deps.now().toISOString(),
    inspector: input.inspector ?? who.name,
    notes: input.notes ?? null,
    createdBy: who.name,
  });
  return getInspection(deps, id);
}

/**
 * Moves an inspection from one of `from` with `set`, conditionally on the status (and the
 * version when given); a miss re-reads to answer 404 or 409.
 */
async function move(
  deps: Pick<Deps, "db">,
  id: string,
  from: readonly Status[],
  action: string,
  set: Partial<typeof qualityInspections.$inferInsert>,
  expected?: number,
): Promise<Inspection> {
  const q = qualityInspections;
  const conds: SQL[] = [
    eq(q.id, id),
    sql`${q.status} IN (${sql.join(
      from.map((s) => sql`${s}`),
      sql`, `,
    )})`,
  ];
  if (expected !== undefined) conds.push(eq(q.version, expected));
  const moved = await deps.db
    .update(q)
    .set({ ...set, version: sql`${q.version} + 1` })
    .where(and(...conds))
    .returning({ id: q.id });
  const now = await getInspection(deps, id);
  if (moved.length > 0) return now;
  if (!from.includes(now.status)) throw wrongState(now.status, action);
  throw new AppError("CONFLICT", "The inspection changed since it was read", { reason: "stale_version", details: { version: now.version } });
}

export interface InspectionPatch {
  inspection_type?: (typeof INSPECTION_TYPES)[number] | undefined;
  scheduled_date?: string | undefined;
  inspector?: string | undefined;
  notes?: string | null | undefined;
  product_type_id?: string | null | undefined;
  /** Start it or cancel it; completing and reviewing have their own routes. */
  status?: "scheduled" | "in_progress" | "cancelled" | undefined;
}

/** Changes an open (scheduled or in progress) inspection. */
export function updateInspection(deps: Pick<Deps, "db">, id: string, patch: InspectionPatch, expected: number | undefined): Promise<Inspection> {
  const set: Partial<typeof qualityInspections.$inferInsert> = {};
  if (patch.inspection_type !== undefined) set.inspectionType = patch.inspection_type;
  if (patch.scheduled_date !== undefined) set.scheduledDate = patch.scheduled_date;
  if (patch.inspector !== undefined) set.inspector = patch.inspector;
  if (patch.notes !== undefined) set.notes = patch.notes;
  if (patch.product_type_id !== undefined) set.productTypeId = patch.product_type_id;
  if (patch.status !== undefined) set.status = patch.status;
  return move(deps, id, ["scheduled", "in_progress"], "changed", set, expected);
}

export const resultOf = (r: InspectionResultIn, i: number): InspectionResult => {
  const parameterName = r.parameterName ?? r.parameter_name;
  if (parameterName === undefined) {
    throw new AppError("VALIDATION_ERROR", "Each result needs a parameterName", { details: [{ path: ["results", i, "parameterName"], message: "required" }] });
  }
  return {
    parameterName,
    value: r.value,
    status: r.status,
    ...(r.unit === undefined ? {} : { unit: r.unit }),
    ...(r.notes === undefined ? {} : { notes: r.notes }),
  };
};

/** Completes an open inspection once with its results and overall result. */
export function completeInspection(
  deps: Pick<Deps, "db" | "now">,
  id: string,
  input: { results: InspectionResultIn[]; overall_result: (typeof INSPECTION_RESULTS)[number]; score?: number | undefined; notes?: string | undefined },
  actor: Principal,
): Promise<Inspection> {
  const results = input.results.map(resultOf);
  return move(deps, id, ["scheduled", "in_progress"], "completed", {
    status: "completed",
    results,
    overallResult: input.overall_result,
    score: input.score ?? null,
    ...(input.notes === undefined ? {} : { notes: input.notes }),
    completedBy: actorOf(actor).name,
    completedDate: deps.now().toISOString(),
  });
}

/** Approves a completed inspection once. */
export const approveInspection = (deps: Pick<Deps, "db" | "now">, id: string, actor: Principal) =>
  move(deps, id, ["completed"], "approved", { status: "approved", reviewedBy: actorOf(actor).name, reviewedAt: deps.now().toISOString() });

/** Rejects a completed inspection once, with the reason. */
export const rejectInspection = (deps: Pick<Deps, "db" | "now">, id: string, reason: string, actor: Principal) =>
  move(deps, id, ["completed"], "rejected", {
    status: "rejected",
    rejectionReason: reason,
    reviewedBy: actorOf(actor).name,
    reviewedAt: deps.now().toISOString(),
  });
