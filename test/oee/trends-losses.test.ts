/**
 * MS5's OEE trends and losses (beyond its backend), hand-computed over a past day: one hour of
 * counts at 2 s ideal (1800 made, 1710 good) and a two-hour unplanned stop.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { ErrorSchema } from "../../src/lib/surface";
import { arr, call, loginAs, str, unique } from "../helpers";

describe("MS5 OEE trends and losses", () => {
  let token: string;
  let lineId: string;
  const DAY = "start_time=2026-11-22T00:00:00Z&end_time=2026-11-23T00:00:00Z";
  beforeAll(async () => {
    const pm = await loginAs("production_manager");
    token = (await loginAs("operator")).token;
    const line = await call("/api/v1/production/lines", { token: pm.token, body: { line_code: unique("L"), name: "Oee", equipment_codes: ["M1", "M2"] } });
    lineId = str(line.json.id);
    const product = await call("/api/v1/production/products", { token: pm.token, body: { product_code: unique("P"), name: "Cap", ideal_cycle_time: 2 } });
    const counts = await call("/api/v1/production/counts", {
      token: pm.token,
      body: {
        line_id: lineId,
        product_id: str(product.json.id),
        period_start: "2026-11-22T00:00:00Z",
        period_end: "2026-11-22T01:00:00Z",
        total_count: 1800,
        good_count: 1710,
      },
    });
    expect(counts.status, JSON.stringify(counts.json)).toBe(201);
    const stop = await call("/api/v1/downtime/events", {
      token: pm.token,
      body: {
        line_id: lineId,
        equipment_code: "M2",
        reason: "Jam",
        category: "unplanned",
        start_time: "2026-11-22T02:00:00Z",
        end_time: "2026-11-22T04:00:00Z",
      },
    });
    expect(stop.status, JSON.stringify(stop.json)).toBe(201);
  });

  it("trends: one point per shift with the slice's production and downtime", async () => {
    const res = await call(`/api/v1/oee/trends?line_id=${lineId}&${DAY}&aggregation_level=shift`, { token });
    expect(res.status).toBe(200);
    const points = arr(res.json);
    expect(points.map((p) => [p.period, p.production, p.downtime])).toEqual([
      ["2026-11-22T00:00:00.000Z", 1800, 7200],
      ["2026-11-22T08:00:00.000Z", 0, 0],
      ["2026-11-22T16:00:00.000Z", 0, 0],
    ]);
    expect(points[0]).toMatchObject({ availability: 0.75, performance: 0.1667, quality: 0.95 });
    // Another item's series leaves M2's stop out.
    const m1 = await call(`/api/v1/oee/trends?line_id=${lineId}&equipment_code=M1&${DAY}&aggregation_level=day`, { token });
    expect(arr(m1.json)[0]).toMatchObject({ equipment_code: "M1", downtime: 0, availability: 1 });
  });

  it("losses: the three factors' shares, largest first, with their seconds and parts", async () => {
    const res = await call(`/api/v1/oee/losses?line_id=${lineId}&${DAY}`, { token });
    expect(res.status).toBe(200);
    expect(arr(res.json).map((l) => [l.category, l.percentage, l.impact, l.duration, l.parts])).toEqual([
      ["performance", 95.45, "high", 75_600, null],
      ["availability", 8.33, "medium", 7200, null],
      ["quality", 5, "medium", 180, 90],
    ]);
  });

  it("needs a line (422), a known one (404) and a forward window (422)", async () => {
    expect((await call("/api/v1/oee/losses", { token, schema: ErrorSchema })).status).toBe(422);
    expect((await call("/api/v1/oee/trends?line_id=nope", { token, schema: ErrorSchema })).status).toBe(404);
    const reversed = await call(`/api/v1/oee/trends?line_id=${lineId}&start_time=2026-11-23T00:00:00Z&end_time=2026-11-22T00:00:00Z`, {
      token,
      schema: ErrorSchema,
    });
    expect(reversed.status).toBe(422);
    const tooMany = await call(`/api/v1/oee/trends?line_id=${lineId}&start_time=2026-01-01&end_time=2026-11-01&aggregation_level=hour`, {
      token,
      schema: ErrorSchema,
    });
    expect(tooMany.status).toBe(422);
  });
});
