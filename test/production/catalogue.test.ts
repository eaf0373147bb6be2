import { describe, expect, it } from "vitest";
import { arr, call, loginAs, str, unique } from "../helpers";
import { makeSchedule } from "./fixtures";

describe("products and schedules", () => {
  it("products: create, read, update, list; codes are unique; viewers read only", async () => {
    const pm = await loginAs("production_manager");
    const viewer = await loginAs("viewer");
    const code = unique("PROD");
    const created = await call("/api/v1/production/products", { token: pm.token, body: { product_code: code, name: "瓶装水 500 ml", ideal_cycle_time: 1 } });
    expect(created.status).toBe(201);
    const id = str(created.json.id);
    expect((await call("/api/v1/production/products", { token: pm.token, body: { product_code: code, name: "again" } })).status).toBe(409);
    const updated = await call(`/api/v1/production/products/${id}`, { method: "PUT", token: pm.token, body: { ideal_cycle_time: 1.2, enabled: false } });
    expect(updated.json).toMatchObject({ product_code: code, name: "瓶装水 500 ml", ideal_cycle_time: 1.2, enabled: false });
    expect((await call(`/api/v1/production/products/${id}`, { token: viewer.token })).json).toMatchObject({ id, ideal_cycle_time: 1.2 });
    expect((await call(`/api/v1/production/products/${id}`, { method: "PUT", token: viewer.token, body: { name: "x" } })).status).toBe(403);
    expect((await call(`/api/v1/production/products/${id}`, { method: "PUT", token: pm.token, body: { ideal_cycle_time: -1 } })).status).toBe(422);
    expect((await call("/api/v1/production/products/nope", { token: viewer.token })).status).toBe(404);
    const list = await call("/api/v1/production/products?limit=200", { token: viewer.token });
    expect(arr(list.json.items).map((p) => p.id)).toContain(id);
  });

  it("schedules: create (line and product must exist), read, update keeping end after start, list by line", async () => {
    const pm = await loginAs("production_manager");
    const { lineId, productId, scheduleId } = await makeSchedule(pm.token);
    const bad = await call("/api/v1/production/schedules", {
      token: pm.token,
      body: { line_id: "nope", product_id: productId, scheduled_start: "2026-11-22T06:00:00Z", scheduled_end: "2026-11-22T05:00:00Z", target_quantity: 1 },
    });
    expect(bad.status).toBe(422);
    const missing = await call("/api/v1/production/schedules", {
      token: pm.token,
      body: { line_id: "nope", product_id: productId, scheduled_start: "2026-11-22T06:00:00Z", scheduled_end: "2026-11-22T07:00:00Z", target_quantity: 1 },
    });
    expect(missing.json).toMatchObject({ error: "VALIDATION_ERROR", details: [{ path: "body.line_id" }] });

    const got = await call(`/api/v1/production/schedules/${scheduleId}`, { token: pm.token });
    expect(got.json).toMatchObject({ id: scheduleId, line_id: lineId, product_id: productId, status: "scheduled", target_quantity: 1000 });
    const backwards = await call(`/api/v1/production/schedules/${scheduleId}`, {
      method: "PUT",
      token: pm.token,
      body: { scheduled_end: "2026-11-22T05:00:00Z" },
    });
    expect(backwards.json).toMatchObject({ error: "VALIDATION_ERROR", details: [{ path: "body.scheduled_end" }] });
    const moved = await call(`/api/v1/production/schedules/${scheduleId}`, {
      method: "PUT",
      token: pm.token,
      body: { status: "in_progress", target_quantity: 1200 },
    });
    expect(moved.json).toMatchObject({ status: "in_progress", target_quantity: 1200, scheduled_end: "2026-11-22T14:00:00.000Z" });
    const byLine = await call(`/api/v1/production/schedules?line_id=${lineId}`, { token: pm.token });
    expect(arr(byLine.json)).toHaveLength(1);
    const op = await loginAs("operator");
    expect((await call(`/api/v1/production/schedules/${scheduleId}`, { method: "PUT", token: op.token, body: { notes: "x" } })).status).toBe(403);
  });
});
