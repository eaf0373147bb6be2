/** Quality defects' rules (modules/quality/defects.ts) through MS5's routes: resolved once, bounded, on a real line. */
import { beforeAll, describe, expect, it } from "vitest";
import { call, loginAs, str } from "../helpers";

type Login = Awaited<ReturnType<typeof loginAs>>;
let pm: Login;
let op: Login;
let lineId: string;

async function defect(extra: Record<string, unknown> = {}): Promise<string> {
  const made = await call("/api/v1/quality/defects", { token: op.token, body: { lineId, defectCode: "D-1", description: "Scratch", ...extra } });
  expect(made.status, JSON.stringify(made.json)).toBe(201);
  return str(made.json.id);
}

describe("quality defects", () => {
  beforeAll(async () => {
    pm = await loginAs("production_manager");
    op = await loginAs("operator");
    const line = await call("/api/v1/production/lines", { token: pm.token, body: { line_code: `L-${crypto.randomUUID().slice(0, 8)}`, name: "Defects" } });
    lineId = str(line.json.id);
  });

  it("resolves once: the second resolve and a later change are 409 and change nothing", async () => {
    const id = await defect();
    const first = await call(`/api/v1/quality/defects/${id}/resolve`, { token: op.token, body: { resolution_notes: "Polished" } });
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ status: "resolved", notes: "Polished", resolvedBy: op.username });
    expect((await call(`/api/v1/quality/defects/${id}/resolve`, { token: pm.token, body: { resolution_notes: "Again" } })).status).toBe(409);
    expect((await call(`/api/v1/quality/defects/${id}`, { token: op.token, method: "PUT", body: { status: "open" } })).status).toBe(409);
    const now = await call(`/api/v1/quality/defects/${id}`, { token: op.token });
    expect(now.json).toMatchObject({ status: "resolved", notes: "Polished", version: 2 });
  });

  it("a defect against an inspection takes its line; unknown lines and inspections are 404; bounds hold", async () => {
    const insp = await call("/api/v1/quality/inspections", { token: op.token, body: { lineId } });
    const fromInspection = await call("/api/v1/quality/defects", {
      token: op.token,
      body: { inspectionId: insp.json.id, defectCode: "D-2", description: "Dent" },
    });
    expect(fromInspection.status).toBe(201);
    expect(fromInspection.json).toMatchObject({ lineId, inspectionId: insp.json.id });
    expect((await call("/api/v1/quality/defects", { token: op.token, body: { lineId: crypto.randomUUID(), defectCode: "D", description: "x" } })).status).toBe(
      404,
    );
    expect(
      (await call("/api/v1/quality/defects", { token: op.token, body: { inspectionId: crypto.randomUUID(), defectCode: "D", description: "x" } })).status,
    ).toBe(404);
    expect((await call("/api/v1/quality/defects", { token: op.token, body: { lineId, defectCode: "D", description: "x".repeat(2001) } })).status).toBe(422);
    expect((await call("/api/v1/quality/defects", { token: op.token, body: { lineId, defectCode: "D", description: "x", quantity: 0 } })).status).toBe(422);
    expect((await call("/api/v1/quality/defects", { token: op.token, body: { lineId, description: "no code" } })).status).toBe(422);
    const viewer = await loginAs("viewer");
    const id = await defect();
    expect((await call(`/api/v1/quality/defects/${id}/resolve`, { token: viewer.token, body: { resolution_notes: "x" } })).status).toBe(403);
  });
});

describe("quality metrics", () => {
  it("counts a line's results and defects in the window, and refuses a window over a year", async () => {
    const boss = await loginAs("production_manager");
    const worker = await loginAs("operator");
    const line = await call("/api/v1/production/lines", { token: boss.token, body: { line_code: `L-${crypto.randomUUID().slice(0, 8)}`, name: "Metrics" } });
    const id = str(line.json.id);
    for (const overall of ["pass", "pass", "fail"]) {
      const insp = await call("/api/v1/quality/inspections", { token: worker.token, body: { lineId: id } });
      const results = [{ parameterName: "Seal strength", value: 3, status: overall === "fail" ? "fail" : "pass" }];
      expect(
        (await call(`/api/v1/quality/inspections/${insp.json.id}/complete`, { token: worker.token, body: { results, overall_result: overall } })).status,
      ).toBe(200);
    }
    await call("/api/v1/quality/inspections", { token: worker.token, body: { lineId: id } }); // not completed: not counted
    for (const [code, severity] of [
      ["SEAL", "high"],
      ["SEAL", "critical"],
      ["DENT", "low"],
    ]) {
      await call("/api/v1/quality/defects", { token: worker.token, body: { lineId: id, defectCode: code, description: code, severity } });
    }
    const today = new Date().toISOString().slice(0, 10);
    const m = await call(`/api/v1/quality/metrics/${id}?start_date=${today}&end_date=${today}`, { token: worker.token });
    expect(m.status, JSON.stringify(m.json)).toBe(200);
    expect(m.json).toMatchObject({
      totalInspections: 3,
      passedInspections: 2,
      failedInspections: 1,
      passRate: 66.67,
      totalDefects: 3,
      defectRate: 100,
      averageDefectSeverity: 2.67,
      topDefects: [
        { defectCode: "SEAL", count: 2, percentage: 66.67 },
        { defectCode: "DENT", count: 1, percentage: 33.33 },
      ],
      parameterDeviations: [{ parameterName: "Seal strength", deviationCount: 1 }],
    });
    expect((await call(`/api/v1/quality/metrics/${id}?start_date=2020-01-01&end_date=2022-01-01`, { token: worker.token })).status).toBe(422);
    expect((await call(`/api/v1/quality/metrics/${crypto.randomUUID()}?start_date=${today}&end_date=${today}`, { token: worker.token })).status).toBe(404);
  });
});
