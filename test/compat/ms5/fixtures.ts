import { eq } from "drizzle-orm";
import { expect } from "vitest";
import { issueReports, productionReports } from "../../../src/db/schema";
import { call, db, type Json, loginAs, str, unique } from "../../helpers";

/** What MS5's api.ts sends on every request (a token, a timestamp, a request id, JSON). */
export function ms5Headers(token?: string): Record<string, string> {
  return {
    ...(token ? { authorization: `Bearer ${token}` } : {}),
    accept: "application/json",
    "x-timestamp": String(Date.now()),
    "x-request-id": `req_${Date.now()}_${crypto.randomUUID().slice(0, 9)}`,
  };
}

/** Calls the worker the way MS5's client does: its headers, its JSON body. */
export const ms5Call = (path: string, opts: { method?: string; body?: unknown; token?: string } = {}) =>
  call(path, { method: opts.method ?? (opts.body === undefined ? "GET" : "POST"), body: opts.body, headers: ms5Headers(opts.token) });

export type Who = "pm" | "op";

/** Users and the rows the catalogue's requests name; `fresh*` make a new one per call. */
export interface Ctx {
  pm: Awaited<ReturnType<typeof loginAs>>;
  op: Awaited<ReturnType<typeof loginAs>>;
  lineId: string;
  productId: string;
  scheduleId: string;
  andonId: string;
  downtimeId: string;
  templateId: string;
  /** A registered item (`equipment_code` on MS5's equipment screens). */
  equipmentCode: string;
  /** A new active fault (an issue report) on that item. */
  freshFault(): Promise<number>;
  freshSchedule(): Promise<string>;
  freshJob(): Promise<string>;
  freshAndon(): Promise<string>;
  freshReport(state: "queued" | "ready" | "failed"): Promise<string>;
  /** A pre-start checklist of the line (guards: boolean, pressure: number 4..8, remarks: text). */
  checklistId: string;
  freshChecklist(): Promise<string>;
  /** A new pending run of that checklist, started by the operator. */
  freshChecklistRun(): Promise<string>;
  /** A new inspection on the line, scheduled by the operator; `completed` completes it too. */
  freshInspection(completed?: boolean): Promise<string>;
  /** The job the operator walks through accept → start → complete. */
  flowJobId?: string;
  scheduledId?: string;
}

async function ok(res: Promise<{ status: number; json: Json }>, status = 201): Promise<Json> {
  const r = await res;
  expect(r.status, JSON.stringify(r.json)).toBe(status);
  return r.json;
}

export async function makeCtx(): Promise<Ctx> {
  const pm = await loginAs("production_manager");
  const op = await loginAs("operator");
  const line = await ok(
    call("/api/v1/production/lines", { token: pm.token, body: { line_code: unique("L"), name: "Bagging", equipment_codes: ["BP01.PACK.BAG1"] } }),
  );
  const lineId = str(line.id);
  const product = await ok(call("/api/v1/production/products", { token: pm.token, body: { product_code: unique("P"), name: "Bag", ideal_cycle_time: 1.5 } }));
  const productId = str(product.id);
  const freshSchedule = async () =>
    str(
      (
        await ok(
          call("/api/v1/production/schedules", {
            token: pm.token,
            body: {
              line_id: lineId,
              product_id: productId,
              scheduled_start: "2026-11-22T06:00:00Z",
              scheduled_end: "2026-11-22T14:00:00Z",
              target_quantity: 1000,
            },
          }),
        )
      ).id,
    );
  const scheduleId = await freshSchedule();
  const freshJob = async () => str((await ok(call("/api/v1/jobs", { token: pm.token, body: { schedule_id: scheduleId, user_id: op.id } }))).id);
  const freshAndon = async () =>
    str(
      (
        await ok(
          call("/api/v1/andon/events", {
            token: op.token,
            body: { line_id: lineId, event_type: "material", priority: "high", description: "Film roll empty" },
          }),
        )
      ).id,
    );
  const andonId = await freshAndon();
  const downtime = await ok(
    call("/api/v1/downtime/events", {
      token: pm.token,
      body: { line_id: lineId, reason: "Jam", category: "unplanned", start_time: new Date(Date.now() - 600_000).toISOString() },
    }),
  );
  const template = await ok(
    call("/api/v1/reports/templates", {
      token: pm.token,
      body: { name: unique("Daily"), template_type: "production", parameters: [{ name: "report_date", type: "date", required: true }], sections: [] },
    }),
  );
  const freshReport = async (state: "queued" | "ready" | "failed") => {
    const report = await ok(
      call("/api/v1/reports/production", { token: pm.token, body: { line_id: lineId, start_date: "2026-11-22", end_date: "2026-11-22" } }),
      202,
    );
    const id = str(report.id);
    // The documents worker's part, done by hand: these tests are about the MS5 surface.
    if (state !== "queued")
      await db()
        .update(productionReports)
        .set({ state, error: state === "failed" ? "test" : null })
        .where(eq(productionReports.id, id));
    return id;
  };
  const item = await ok(
    call("/api/v1/equipment", { token: pm.token, body: { code: unique("EQ"), name: "Bagger", production_line: lineId, status: "running" } }),
  );
  const equipmentCode = str(item.code);
  const itemId = str(item.id);
  // Filed the way CCbackend's client does it (multipart with photos) elsewhere; here the row is what matters.
  const freshFault = async () => {
    const [row] = await db()
      .insert(issueReports)
      .values({ equipmentId: itemId, reporter: "op", issueType: "jam", description: "Film jammed" })
      .returning({ id: issueReports.id });
    if (!row) throw new Error("no fault");
    return row.id;
  };
  const freshChecklist = async () => str((await ok(call("/api/v1/checklists", { token: pm.token, body: checklistBody(lineId) }))).id);
  const checklistId = await freshChecklist();
  const freshChecklistRun = async () =>
    str((await ok(call("/api/v1/checklists/instances", { token: op.token, body: { checklist_id: checklistId, line_id: lineId } }))).id);
  const freshInspection = async (completed = false) => {
    const id = str((await ok(call("/api/v1/quality/inspections", { token: op.token, body: { lineId, inspectionType: "routine" } }))).id);
    if (completed) await ok(call(`/api/v1/quality/inspections/${id}/complete`, { token: op.token, body: inspectionResults() }), 200);
    return id;
  };
  return {
    pm,
    op,
    freshInspection,
    checklistId,
    freshChecklist,
    freshChecklistRun,
    lineId,
    productId,
    scheduleId,
    andonId,
    downtimeId: str(downtime.id),
    templateId: str(template.id),
    freshSchedule,
    freshJob,
    freshAndon,
    freshReport,
    equipmentCode,
    freshFault,
  };
}

/** The body of a pre-start checklist as a manager's form would send it. */
export const checklistBody = (lineId: string, extra: Record<string, unknown> = {}) => ({
  name: unique("Pre-start"),
  description: "Before the first bag",
  line_id: lineId,
  equipment_codes: ["BP01.PACK.BAG1"],
  items: [
    { id: "guards", title: "Guards in place", required: true, type: "boolean" },
    { id: "pressure", title: "Air pressure (bar)", required: true, type: "number", min_value: 4, max_value: 8 },
    { id: "remarks", title: "Remarks", required: false, type: "text" },
  ],
  required_signature: false,
  ...extra,
});

/** Answers that complete that checklist (as the client's form sends them). */
export const checklistAnswers = () => [
  { item_id: "guards", value: true, completed: true },
  { item_id: "pressure", value: 6.2, completed: true, notes: "gauge 2" },
];

/** The client's `completeQualityInspection` body. */
export const inspectionResults = () => ({
  results: [
    { id: "r1", parameterId: "p1", parameterName: "Seal strength", value: 12.5, unit: "N", status: "pass", timestamp: new Date().toISOString() },
    { id: "r2", parameterId: "p2", parameterName: "Print legible", value: true, status: "pass", timestamp: new Date().toISOString() },
  ],
  overall_result: "pass",
  score: 97.5,
  notes: "Within spec",
});
