/**
 * Quality defects (issue 17): reported on a line (optionally against an inspection), worked
 * (open → investigating) and resolved once with notes. Moves are conditional UPDATEs on the
 * statuses they may leave: a second resolve is a 409 `defect_state` and changes nothing.
 */
import { and, desc, eq, gte, lt, type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import { DEFECT_CATEGORIES, DEFECT_SEVERITIES, DEFECT_STATUSES, productionLines, qualityDefects, qualityInspections } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { AppError } from "../../lib/errors";
import { type Page, type PageParams, paginate } from "../../lib/pagination";
import { actorOf, type Principal } from "../../lib/principal";

export { DEFECT_CATEGORIES, DEFECT_SEVERITIES, DEFECT_STATUSES };

type Status = (typeof DEFECT_STATUSES)[number];

/** A defect as the client's QualityDefect reads it (camelCase). */
export const Defect = z
  .object({
    id: z.string(),
    lineId: z.string(),
    line_id: z.string(),
    inspectionId: z.string().nullable(),
    defectCode: z.string(),
    description: z.string(),
    severity: z.enum(DEFECT_SEVERITIES),
    category: z.enum(DEFECT_CATEGORIES),
    quantity: z.number().int(),
    location: z.string().nullable(),
    rootCause: z.string().nullable(),
    correctiveAction: z.string().nullable(),
    status: z.enum(DEFECT_STATUSES),
    reportedBy: z.string(),
    reportedAt: z.string(),
    resolvedBy: z.string().nullable(),
    resolvedAt: z.string().nullable(),
    notes: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    version: z.number().int(),
  })
  .meta({ id: "Ms5QualityDefect" });
export type Defect = z.infer<typeof Defect>;

function toDefect(r: typeof qualityDefects.$inferSelect): Defect {
  return {
    id: r.id,
    lineId: r.lineId,
    line_id: r.lineId,
    inspectionId: r.inspectionId,
    defectCode: r.defectCode,
    description: r.description,
    severity: r.severity,
    category: r.category,
    quantity: r.quantity,
    location: r.location,
    rootCause: r.rootCause,
    correctiveAction: r.correctiveAction,
    status: r.status,
    reportedBy: r.reportedBy,
    reportedAt: r.createdAt,
    resolvedBy: r.resolvedBy,
    resolvedAt: r.resolvedAt,
    notes: r.resolutionNotes,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
    version: r.version,
  };
}

export async function getDefect(deps: Pick<Deps, "db">, id: string): Promise<Defect> {
  const [row] = await deps.db.select().from(qualityDefects).where(eq(qualityDefects.id, id));
  if (!row) throw new AppError("NOT_FOUND", "Defect not found", { reason: "defect_not_found" });
  return toDefect(row);
}

export async function listDefects(
  deps: Pick<Deps, "db">,
  query: PageParams & {
    line_id?: string | undefined;
    inspection_id?: string | undefined;
    category?: (typeof DEFECT_CATEGORIES)[number] | undefined;
    severity?: (typeof DEFECT_SEVERITIES)[number] | undefined;
    status?: Status | undefined;
    from?: string | undefined;
    to?: string | undefined;
  },
): Promise<Page<Defect>> {
  const d = qualityDefects;
  const where = and(
    query.line_id === undefined ? undefined : eq(d.lineId, query.line_id),
    query.inspection_id === undefined ? undefined : eq(d.inspectionId, query.inspection_id),
    query.category === undefined ? undefined : eq(d.category, query.category),
    query.severity === undefined ? undefined : eq(d.severity, query.severity),
    query.status === undefined ? undefined : eq(d.status, query.status),
    query.from === undefined ? undefined : gte(d.createdAt, query.from),
    query.to === undefined ? undefined : lt(d.createdAt, query.to),
  );
  const page = await paginate(deps.db, deps.db.select().from(d).where(where).$dynamic(), query, { orderBy: [desc(d.createdAt)], tiebreaker: d.id });
  return { ...page, items: page.items.map(toDefect) };
}

export interface DefectFields {
  defect_code?: string | undefined;
  description?: string | undefined;
  severity?: (typeof DEFECT_SEVERITIES)[number] | undefined;
  category?: (typeof DEFECT_CATEGORIES)[number] | undefined;
  quantity?: number | undefined;
  location?: string | null | undefined;
  root_cause?: string | null | undefined;
  corrective_action?: string | null | undefined;
}

/** Reports a defect on a line; with an inspection, the inspection must be on that line. */
export async function createDefect(
  deps: Pick<Deps, "db">,
  input: DefectFields & { line_id?: string | undefined; inspection_id?: string | null | undefined },
  actor: Principal,
): Promise<Defect> {
  let lineId = input.line_id;
  if (input.inspection_id) {
    const [insp] = await deps.db.select({ lineId: qualityInspections.lineId }).from(qualityInspections).where(eq(qualityInspections.id, input.inspection_id));
    if (!insp) throw new AppError("NOT_FOUND", "Inspection not found", { reason: "inspection_not_found" });
    if (lineId !== undefined && lineId !== insp.lineId) throw new AppError("VALIDATION_ERROR", "The inspection is on another line");
    lineId = insp.lineId;
  }
  if (lineId === undefined) throw new AppError("VALIDATION_ERROR", "lineId (or inspectionId) is required");
  const [line] = await deps.db.select({ id: productionLines.id }).from(productionLines).where(eq(productionLines.id, lineId));
  if (!line) throw new AppError("NOT_FOUND", "Production line not found");
  if (input.defect_code === undefined || input.description === undefined) throw new AppError("VALIDATION_ERROR", "defectCode and description are required");
  const [row] = await deps.db
    .insert(qualityDefects)
    .values({
      id: crypto.randomUUID(),
      lineId,
      inspectionId: input.inspection_id ?? null,
      defectCode: input.defect_code,
      description: input.description,
      severity: input.severity ?? "medium",
      category: input.category ?? "functional",
      quantity: input.quantity ?? 1,
      location: input.location ?? null,
      rootCause: input.root_cause ?? null,
      correctiveAction: input.corrective_action ?? null,
      reportedBy: actorOf(actor).name,
    })
    .returning();
  if (!row) throw new Error("insert returned no row");
  return toDefect(row);
}

async function move(
  deps: Pick<Deps, "db">,
  id: string,
  from: readonly Status[],
  action: string,
  set: Partial<typeof qualityDefects.$inferInsert>,
  expected?: number,
) {
  const d = qualityDefects;
  const conds: SQL[] = [
    eq(d.id, id),
    sql`${d.status} IN (${sql.join(
      from.map((s) => sql`${s}`),
      sql`, `,
    )})`,
  ];
  if (expected !== undefined) conds.push(eq(d.version, expected));
  const [row] = await deps.db
    .update(d)
    .set({ ...set, version: sql`${d.version} + 1` })
    .where(and(...conds))
    .returning();
  if (row) return toDefect(row);
  const now = await getDefect(deps, id);
  if (!from.includes(now.status)) {
    throw new AppError("CONFLICT", `The defect is ${now.status}; it cannot be ${action}`, { reason: "defect_state", details: { status: now.status } });
  }
  throw new AppError("CONFLICT", "The defect changed since it was read", { reason: "stale_version", details: { version: now.version } });
}

/** Changes an open or investigating defect (`status` open | investigating). */
export function updateDefect(
  deps: Pick<Deps, "db">,
  id: string,
  patch: DefectFields & { status?: "open" | "investigating" | undefined },
  expected: number | undefined,
) {
  const set: Partial<typeof qualityDefects.$inferInsert> = {};
  if (patch.defect_code !== undefined) set.defectCode = patch.defect_code;
  if (patch.description !== undefined) set.description = patch.description;
  if (patch.severity !== undefined) set.severity = patch.severity;
  if (patch.category !== undefined) set.category = patch.category;
  if (patch.quantity !== undefined) set.quantity = patch.quantity;
  if (patch.location !== undefined) set.location = patch.location;
  if (patch.root_cause !== undefined) set.rootCause = patch.root_cause;
  if (patch.corrective_action !== undefined) set.correctiveAction = patch.corrective_action;
  if (patch.status !== undefined) set.status = patch.status;
  return move(deps, id, ["open", "investigating"], "changed", set, expected);
}

/** Resolves an open or investigating defect once with the notes. */
export const resolveDefect = (deps: Pick<Deps, "db" | "now">, id: string, notes: string, actor: Principal) =>
  move(deps, id, ["open", "investigating"], "resolved", {
    status: "resolved",
    resolutionNotes: notes,
    resolvedBy: actorOf(actor).name,
    resolvedAt: deps.now().toISOString(),
  });
