/**
 * A line's quality figures over a window (issue 17, the client's QualityMetrics): inspections
 * with a result (completed in the window) passed/failed, defects reported in the window, their
 * mean severity (low 1 … critical 4), the most frequent defect codes, and the parameters that
 * most often failed or warned. Computed on read from the inspections and defects tables.
 */
import { and, count, desc, eq, gte, isNotNull, lt, sql } from "drizzle-orm";
import { z } from "zod";
import { productionLines, qualityDefects, qualityInspections } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { AppError } from "../../lib/errors";

export const TOP_N = 5;

export const QualityMetrics = z
  .object({
    lineId: z.string(),
    lineCode: z.string(),
    productTypeId: z.string().nullable(),
    period: z.string(),
    totalInspections: z.number().int(),
    passedInspections: z.number().int(),
    failedInspections: z.number().int(),
    passRate: z.number(),
    totalDefects: z.number().int(),
    defectRate: z.number(),
    averageDefectSeverity: z.number(),
    topDefects: z.array(z.object({ defectCode: z.string(), description: z.string(), count: z.number().int(), percentage: z.number() })),
    parameterDeviations: z.array(z.object({ parameterName: z.string(), deviationCount: z.number().int(), averageDeviation: z.number().nullable() })),
    lastUpdate: z.string(),
  })
  .meta({ id: "Ms5QualityMetrics" });
export type QualityMetrics = z.infer<typeof QualityMetrics>;

const round2 = (n: number) => Math.round(n * 100) / 100;

export async function qualityMetrics(
  deps: Pick<Deps, "db" | "now">,
  input: { line_id: string; from: string; to: string; product_type_id?: string | undefined },
): Promise<QualityMetrics> {
  const [line] = await deps.db.select({ code: productionLines.lineCode }).from(productionLines).where(eq(productionLines.id, input.line_id));
  if (!line) throw new AppError("NOT_FOUND", "Production line not found");
  const q = qualityInspections;
  const d = qualityDefects;
  const inWindow = and(
    eq(q.lineId, input.line_id),
    isNotNull(q.overallResult),
    gte(q.completedDate, input.from),
    lt(q.completedDate, input.to),
    input.product_type_id === undefined ? undefined : eq(q.productTypeId, input.product_type_id),
  );
  const defectsInWindow = and(eq(d.lineId, input.line_id), gte(d.createdAt, input.from), lt(d.createdAt, input.to));
  const severity = sql<number>`avg(case ${d.severity} when 'low' then 1 when 'medium' then 2 when 'high' then 3 when 'critical' then 4 end)`;
  const [inspections, defects, top, params] = await deps.db.batch([
    deps.db
      .select({
        total: count(),
        passed: sql<number>`coalesce(sum(case when ${q.overallResult} = 'pass' then 1 else 0 end), 0)`,
        failed: sql<number>`coalesce(sum(case when ${q.overallResult} = 'fail' then 1 else 0 end), 0)`,
      })
      .from(q)
      .where(inWindow),
    deps.db.select({ total: count(), severity }).from(d).where(defectsInWindow),
    deps.db
      .select({ code: d.defectCode, description: sql<string>`min(${d.description})`, n: count() })
      .from(d)
      .where(defectsInWindow)
      .groupBy(d.defectCode)
      .orderBy(desc(count()), d.defectCode)
      .limit(TOP_N),
    deps.db
      .select({ name: sql<string>`json_extract(r.value, '$.parameterName')`, n: count() })
      .from(sql`${q}, json_each(${q.results}) AS r`)
      .where(and(inWindow, sql`json_extract(r.value, '$.status') != 'pass'`))
      .groupBy(sql`json_extract(r.value, '$.parameterName')`)
      .orderBy(desc(count()))
      .limit(TOP_N),
  ]);
  const total = inspections[0]?.total ?? 0;
  const passed = Number(inspections[0]?.passed ?? 0);
  const totalDefects = defects[0]?.total ?? 0;
  return {
    lineId: input.line_id,
    lineCode: line.code,
    productTypeId: input.product_type_id ?? null,
    period: `${input.from}/${input.to}`,
    totalInspections: total,
    passedInspections: passed,
    failedInspections: Number(inspections[0]?.failed ?? 0),
    passRate: total === 0 ? 0 : round2((passed / total) * 100),
    totalDefects,
    defectRate: total === 0 ? 0 : round2((totalDefects / total) * 100),
    averageDefectSeverity: round2(Number(defects[0]?.severity ?? 0)),
    topDefects: top.map((t) => ({
      defectCode: t.code,
      description: t.description,
      count: t.n,
      percentage: totalDefects === 0 ? 0 : round2((t.n / totalDefects) * 100),
    })),
    parameterDeviations: params.map((p) => ({ parameterName: String(p.name), deviationCount: p.n, averageDeviation: null })),
    lastUpdate: deps.now().toISOString(),
  };
}
