/**
 * Checklists' rules (modules/quality/checklists.ts) through MS5's routes: a run completes once,
 * only with answers that fit the template, only by its assignee; who may keep templates and who
 * may run them follows MS5's role model.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { checklistAnswers, checklistBody } from "../compat/ms5/fixtures";
import { arr, call, loginAs, str } from "../helpers";

type Login = Awaited<ReturnType<typeof loginAs>>;
let pm: Login;
let op: Login;
let lineId: string;

async function checklist(extra: Record<string, unknown> = {}): Promise<string> {
  const made = await call("/api/v1/checklists", { token: pm.token, body: checklistBody(lineId, extra) });
  expect(made.status, JSON.stringify(made.json)).toBe(201);
  return str(made.json.id);
}

async function run(checklistId: string, extra: Record<string, unknown> = {}): Promise<string> {
  const made = await call("/api/v1/checklists/instances", { token: op.token, body: { checklistId, ...extra } });
  expect(made.status, JSON.stringify(made.json)).toBe(201);
  return str(made.json.id);
}

const complete = (id: string, body: unknown, token = op.token) => call(`/api/v1/checklists/instances/${id}/complete`, { token, body });

async function expectPending(id: string) {
  const got = await call(`/api/v1/checklists/instances/${id}`, { token: op.token });
  expect(got.json).toMatchObject({ status: "pending", responses: [], completed_at: null });
}

describe("checklists", () => {
  beforeAll(async () => {
    pm = await loginAs("production_manager");
    op = await loginAs("operator");
    const line = await call("/api/v1/production/lines", { token: pm.token, body: { line_code: `L-${crypto.randomUUID().slice(0, 8)}`, name: "Checks" } });
    lineId = str(line.json.id);
  });

  it("a run completes once: the second completion is 409 and changes nothing", async () => {
    const id = await run(await checklist());
    const first = await complete(id, { responses: checklistAnswers(), notes: "first" });
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ status: "completed", notes: "first", completed_by: op.username });
    const again = await complete(id, {
      responses: [
        { item_id: "guards", value: false, completed: true },
        { item_id: "pressure", value: 5, completed: true },
      ],
      notes: "second",
    });
    expect(again.status).toBe(409);
    expect(again.json.reason ?? again.json.error).toBeDefined();
    const got = await call(`/api/v1/checklists/instances/${id}`, { token: op.token });
    expect(got.json).toMatchObject({ status: "completed", notes: "first" });
    expect(arr(got.json.responses)[0]).toMatchObject({ item_id: "guards", value: true });
  });

  it("answers must fit the template: required items, ranges, known items, no repeats, a signature when asked", async () => {
    const id = await run(await checklist());
    const cases = [
      [{ item_id: "guards", value: true, completed: true }],
      [...checklistAnswers().slice(0, 1), { item_id: "pressure", value: 9.5, completed: true }],
      [...checklistAnswers(), { item_id: "nope", value: "x", completed: true }],
      [...checklistAnswers(), { item_id: "guards", value: true, completed: true }],
      [{ item_id: "guards", value: "yes", completed: true }, checklistAnswers()[1]],
      [{ item_id: "guards", value: true, completed: false }, checklistAnswers()[1]],
    ];
    for (const responses of cases) {
      const res = await complete(id, { responses });
      expect(res.status, JSON.stringify(responses)).toBe(422);
    }
    await expectPending(id);
    const signed = await run(await checklist({ required_signature: true }));
    expect((await complete(signed, { responses: checklistAnswers() })).status).toBe(422);
    await expectPending(signed);
    const ok = await complete(signed, { responses: checklistAnswers(), signature: "data:image/png;base64,AAAA" });
    expect(ok.status).toBe(200);
    expect(ok.json.signed).toBe(true);
  });

  it("an assigned run is completed by its assignee only", async () => {
    const other = await loginAs("operator");
    const id = await run(await checklist(), { assigned_to: other.id });
    const notMine = await complete(id, { responses: checklistAnswers() });
    expect(notMine.status).toBe(403);
    await expectPending(id);
    expect((await complete(id, { responses: checklistAnswers() }, other.token)).status).toBe(200);
    const mine = await call(`/api/v1/checklists/instances?assigned_to=${other.id}&status=completed`, { token: op.token });
    expect(arr(mine.json).map((r) => r.id)).toEqual([id]);
  });

  it("operators run checklists but do not keep them; viewers only read", async () => {
    const viewer = await loginAs("viewer");
    const id = await checklist();
    expect((await call("/api/v1/checklists", { token: op.token, body: checklistBody(lineId) })).status).toBe(403);
    expect((await call(`/api/v1/checklists/${id}`, { token: op.token, method: "PUT", body: { name: "Mine now" } })).status).toBe(403);
    expect((await call(`/api/v1/checklists/${id}`, { token: op.token, method: "DELETE" })).status).toBe(403);
    expect((await call(`/api/v1/checklists/${id}`, { token: viewer.token })).status).toBe(200);
    expect((await call("/api/v1/checklists/instances", { token: viewer.token, body: { checklist_id: id } })).status).toBe(403);
    const runId = await run(id);
    expect((await complete(runId, { responses: checklistAnswers() }, viewer.token)).status).toBe(403);
    await expectPending(runId);
  });

  it("a template in use cannot be deleted, an inactive one cannot be started, a stale If-Match is 409", async () => {
    const id = await checklist();
    await run(id);
    const del = await call(`/api/v1/checklists/${id}`, { token: pm.token, method: "DELETE" });
    expect(del.status).toBe(409);
    expect((await call(`/api/v1/checklists/${id}`, { token: pm.token })).status).toBe(200);
    const off = await call(`/api/v1/checklists/${id}`, { token: pm.token, method: "PUT", body: { is_active: false }, headers: { "if-match": '"1"' } });
    expect(off.status).toBe(200);
    expect(off.json).toMatchObject({ is_active: false, version: 2 });
    const stale = await call(`/api/v1/checklists/${id}`, { token: pm.token, method: "PUT", body: { name: "Late" }, headers: { "if-match": '"1"' } });
    expect(stale.status).toBe(409);
    expect((await call("/api/v1/checklists/instances", { token: op.token, body: { checklist_id: id } })).status).toBe(409);
    const list = await call(`/api/v1/checklists?line_id=${lineId}&is_active=false`, { token: op.token });
    expect(arr(list.json).map((t) => t.id)).toEqual([id]);
  });

  it("every collection is bounded and items make sense", async () => {
    const many = Array.from({ length: 101 }, (_, i) => ({ id: `i${i}`, title: `Item ${i}`, type: "boolean" }));
    expect((await call("/api/v1/checklists", { token: pm.token, body: checklistBody(lineId, { items: many }) })).status).toBe(422);
    expect((await call("/api/v1/checklists", { token: pm.token, body: checklistBody(lineId, { items: [] }) })).status).toBe(422);
    const dup = [
      { id: "a", title: "A" },
      { id: "a", title: "B" },
    ];
    expect((await call("/api/v1/checklists", { token: pm.token, body: checklistBody(lineId, { items: dup }) })).status).toBe(422);
    expect((await call("/api/v1/checklists", { token: pm.token, body: checklistBody(lineId, { items: [{ title: "Pick", type: "select" }] }) })).status).toBe(
      422,
    );
    const id = await run(await checklist());
    const tooMany = Array.from({ length: 101 }, () => checklistAnswers()[0]);
    expect((await complete(id, { responses: tooMany })).status).toBe(422);
    expect((await complete(id, { responses: checklistAnswers(), signature: "x".repeat(100_001) })).status).toBe(422);
    await expectPending(id);
  });
});
