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
