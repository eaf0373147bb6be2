/**
 * The tablet dashboard's production and equipment widgets (MS5 beyond its backend): figures
 * from counts, schedules and downtime over a window, per line and per item, and their refusals.
 */
import { describe, expect, it } from "vitest";
import { ErrorSchema } from "../../src/lib/surface";
import { EquipmentDashboardItem, LineProduction, ProductionSummary } from "../../src/modules/dashboard/production";
import { arr, call, loginAs, str, unique } from "../helpers";

describe("MS5 dashboard production widgets", () => {
  it("sums a line's counts, target and downtime in the window; an idle line reads zeros and nulls", async () => {
    const pm = await loginAs("production_manager");
    const op = await loginAs("operator");
    const line = await call("/api/v1/production/lines", { token: pm.token, body: { line_code: unique("L"), name: "Fill", equipment_codes: ["F1"] } });
    const lineId = str(line.json.id);
    const product = await call("/api/v1/production/products", { token: pm.token, body: { product_code: unique("P"), name: "Jar", ideal_cycle_time: 2 } });
    const start = new Date(Date.now() - 3 * 3_600_000);
    const iso = (offsetMin: number) => new Date(start.getTime() + offsetMin * 60_000).toISOString();
    expect(
      (
        await call("/api/v1/production/schedules", {
          token: pm.token,
          body: { line_id: lineId, product_id: str(product.json.id), scheduled_start: iso(0), scheduled_end: iso(240), target_quantity: 400 },
        })
      ).status,
    ).toBe(201);
    for (const [from, total, good] of [
      [0, 100, 90],
      [60, 100, 100],
    ] as const) {
      const res = await call("/api/v1/production/counts", {
        token: pm.token,
        body: { line_id: lineId, product_id: str(product.json.id), period_start: iso(from), period_end: iso(from + 60), total_count: total, good_count: good },
      });
      expect(res.status, JSON.stringify(res.json)).toBe(201);
    }
    const stop = await call("/api/v1/downtime/events", {
      token: pm.token,
      body: { line_id: lineId, equipment_code: "F1", reason: "Jam", category: "unplanned", start_time: iso(30), end_time: iso(45) },
    });
    expect(stop.status, JSON.stringify(stop.json)).toBe(201);

    const metrics = await call(`/api/v1/dashboard/production-metrics?line_id=${lineId}&period=24h`, { token: op.token });
    expect(metrics.status).toBe(200);
    const [m] = arr(metrics.json).map((j) => LineProduction.parse(j));
    expect(m).toMatchObject({ lineId, totalParts: 200, goodParts: 190, targetProduction: 400, efficiency: 0.5, qualityRate: 0.95, downtimeMinutes: 15 });

    const summary = await call(`/api/v1/dashboard/production-summary?line_id=${lineId}`, { token: op.token, schema: ProductionSummary });
    expect(summary.json).toMatchObject({ total_production: 200, good_production: 190, target_production: 400, downtime_minutes: 15 });

    const idle = await call("/api/v1/production/lines", { token: pm.token, body: { line_code: unique("L"), name: "Idle" } });
    const quiet = await call(`/api/v1/dashboard/production-metrics?line_id=${str(idle.json.id)}`, { token: op.token });
    expect(arr(quiet.json)[0]).toMatchObject({ totalParts: 0, efficiency: null, qualityRate: null, downtimeMinutes: 0 });
  });

  it("equipment status: an item's downtime is its code's stops in the window; uptime and efficiency follow", async () => {
    const pm = await loginAs("production_manager");
    const line = await call("/api/v1/production/lines", { token: pm.token, body: { line_code: unique("L"), name: "Cap", equipment_codes: [] } });
    const lineId = str(line.json.id);
    const code = unique("EQ");
    expect((await call("/api/v1/equipment", { token: pm.token, body: { code, name: "Capper", production_line: lineId, status: "running" } })).status).toBe(201);
    const lineWith = await call(`/api/v1/production/lines/${lineId}`, { method: "PUT", token: pm.token, body: { equipment_codes: [code] } });
    expect(lineWith.status).toBe(200);
    const now = Date.now();
    const stop = await call("/api/v1/downtime/events", {
      token: pm.token,
      body: {
        line_id: lineId,
        equipment_code: code,
        reason: "Cap feed",
        category: "unplanned",
        start_time: new Date(now - 2 * 3_600_000).toISOString(),
        end_time: new Date(now - 3_600_000).toISOString(),
      },
    });
    expect(stop.status, JSON.stringify(stop.json)).toBe(201);
    const res = await call(`/api/v1/dashboard/equipment/status?line_id=${lineId}&period=4h`, { token: pm.token });
    expect(res.status).toBe(200);
    expect(res.res.headers.get("x-total-count")).toBe("1");
    const [item] = arr(res.json).map((j) => EquipmentDashboardItem.parse(j));
    expect(item).toMatchObject({ code, status: "running", lineId, downtime: 60, uptime: 180, efficiency: 0.75, faults: 0 });
  });

  it("refuses an unknown line (404), a reversed or over-long range and a bad period (422)", async () => {
    const op = await loginAs("operator");
    expect((await call("/api/v1/dashboard/production-metrics?line_id=nope", { token: op.token, schema: ErrorSchema })).status).toBe(404);
    expect((await call("/api/v1/dashboard/equipment/status?line_id=nope", { token: op.token, schema: ErrorSchema })).status).toBe(404);
    const reversed = await call("/api/v1/dashboard/production-summary?start_date=2026-11-22&end_date=2026-11-20", { token: op.token, schema: ErrorSchema });
    expect(reversed.status).toBe(422);
    expect((await call("/api/v1/dashboard/production-summary?start_date=2020-01-01&end_date=2026-01-01", { token: op.token })).status).toBe(422);
    expect((await call("/api/v1/dashboard/production-metrics?period=9999d", { token: op.token })).status).toBe(422);
  });
});
