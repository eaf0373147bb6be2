/**
 * Quality inspections' rules (modules/quality/inspections.ts) through MS5's routes: completed
 * once, reviewed once, and reviewed only by `quality:approve` holders (MS5's role model: quality
 * and production managers; operators record but do not approve).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { inspectionResults } from "../compat/ms5/fixtures";
import { arr, call, loginAs, str } from "../helpers";

type Login = Awaited<ReturnType<typeof loginAs>>;
let pm: Login;
let op: Login;
let qa: Login;
let lineId: string;

async function inspection(): Promise<string> {
  const made = await call("/api/v1/quality/inspections", { token: op.token, body: { lineId, inspectionType: "routine" } });
  expect(made.status, JSON.stringify(made.json)).toBe(201);
  return str(made.json.id);
}
const post = (path: string, token: string, body?: unknown) => call(path, { token, method: "POST", body });
const get = async (id: string) => (await call(`/api/v1/quality/inspections/${id}`, { token: op.token })).json;

describe("quality inspections", () => {
  beforeAll(async () => {
    pm = await loginAs("production_manager");
    op = await loginAs("operator");
    qa = await loginAs("quality");
    const line = await call("/api/v1/production/lines", { token: pm.token, body: { line_code: `L-${crypto.randomUUID().slice(0, 8)}`, name: "QA" } });
    lineId = str(line.json.id);
  });

  it("completes once: the second completion is 409 and keeps the first results", async () => {
    const id = await inspection();
    expect((await post(`/api/v1/quality/inspections/${id}/complete`, op.token, inspectionResults())).status).toBe(200);
    const again = await post(`/api/v1/quality/inspections/${id}/complete`, op.token, { ...inspectionResults(), overall_result: "fail", notes: "second" });
    expect(again.status).toBe(409);
    const now = await get(id);
    expect(now).toMatchObject({ status: "completed", overallResult: "pass", notes: "Within spec", completedBy: op.username, version: 2 });
    expect(arr(now.results)).toHaveLength(2);
  });

  it("an operator cannot approve or reject; a quality user can, once", async () => {
    const id = await inspection();
    expect((await post(`/api/v1/quality/inspections/${id}/approve`, qa.token)).status).toBe(409); // not completed yet
    await post(`/api/v1/quality/inspections/${id}/complete`, op.token, inspectionResults());
    expect((await post(`/api/v1/quality/inspections/${id}/approve`, op.token)).status).toBe(403);
    expect((await post(`/api/v1/quality/inspections/${id}/reject`, op.token, { rejection_reason: "no" })).status).toBe(403);
    expect((await get(id)).status).toBe("completed");
    const ok = await post(`/api/v1/quality/inspections/${id}/approve`, qa.token);
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ status: "approved", reviewedBy: qa.username });
    expect((await post(`/api/v1/quality/inspections/${id}/reject`, pm.token, { rejection_reason: "late" })).status).toBe(409);
    expect(await get(id)).toMatchObject({ status: "approved", rejectionReason: null });
  });

  it("a cancelled inspection cannot be completed; a stale If-Match is 409; reject needs a reason", async () => {
    const id = await inspection();
    const stale = await call(`/api/v1/quality/inspections/${id}`, { token: op.token, method: "PUT", body: { notes: "x" }, headers: { "if-match": '"7"' } });
    expect(stale.status).toBe(409);
    const cancel = await call(`/api/v1/quality/inspections/${id}`, {
      token: op.token,
      method: "PUT",
      body: { status: "cancelled" },
      headers: { "if-match": '"1"' },
    });
    expect(cancel.status).toBe(200);
    expect((await post(`/api/v1/quality/inspections/${id}/complete`, op.token, inspectionResults())).status).toBe(409);
    expect((await call(`/api/v1/quality/inspections/${id}`, { token: op.token, method: "PUT", body: { status: "in_progress" } })).status).toBe(409);
    const done = await inspection();
    await post(`/api/v1/quality/inspections/${done}/complete`, op.token, inspectionResults());
    expect((await post(`/api/v1/quality/inspections/${done}/reject`, qa.token, { rejection_reason: "" })).status).toBe(422);
    expect((await get(done)).status).toBe("completed");
  });

  it("bounds and references: results capped, unknown line 404, viewers read only", async () => {
    const viewer = await loginAs("viewer");
    const id = await inspection();
    const tooMany = { ...inspectionResults(), results: Array.from({ length: 101 }, () => inspectionResults().results[0]) };
    expect((await post(`/api/v1/quality/inspections/${id}/complete`, op.token, tooMany)).status).toBe(422);
    expect(
      (await post(`/api/v1/quality/inspections/${id}/complete`, op.token, { ...inspectionResults(), results: [{ value: 1, status: "pass" }] })).status,
    ).toBe(422);
    expect((await get(id)).status).toBe("scheduled");
    expect((await call("/api/v1/quality/inspections", { token: op.token, body: { lineId: crypto.randomUUID() } })).status).toBe(404);
    expect((await call(`/api/v1/quality/inspections?line_id=${lineId}`, { token: viewer.token })).status).toBe(200);
    expect((await call("/api/v1/quality/inspections", { token: viewer.token, body: { lineId } })).status).toBe(403);
  });
});
