import { describe, expect, it } from "vitest";
import { computeOee, unionSeconds } from "../../src/modules/oee/formula";
import { arr, call, loginAs, str, unique } from "../helpers";
import { openSocket } from "../ws";

describe("OEE formula (hand-computed)", () => {
  it("8 h shift, 30 min unplanned stop, 9000 parts at 2.5 s ideal, 8820 good", () => {
    // A = 27000/28800 = 0.9375; actual cycle = 27000/9000 = 3 s; P = 2.5/3; Q = 0.98;
    // OEE = 0.9375 × 0.8333… × 0.98 = 0.765625 → 0.7656.
    expect(
      computeOee({
        periodSeconds: 28_800,
        unplannedDowntimeSeconds: 1800,
        plannedDowntimeSeconds: 1200,
        totalParts: 9000,
        goodParts: 8820,
        idealCycleTime: 2.5,
      }),
    ).toEqual({
      availability: 0.9375,
      performance: 0.8333,
      quality: 0.98,
      oee: 0.7656,
      planned_production_time: 28_800,
      actual_production_time: 27_000,
      unplanned_downtime: 1800,
      planned_downtime: 1200,
      ideal_cycle_time: 2.5,
      actual_cycle_time: 3,
      good_parts: 8820,
      total_parts: 9000,
    });
  });

  it("performance is capped at 1 (faster than ideal)", () => {
    const r = computeOee({ periodSeconds: 3600, unplannedDowntimeSeconds: 0, plannedDowntimeSeconds: 0, totalParts: 2000, goodParts: 2000, idealCycleTime: 2 });
    expect(r).toMatchObject({ availability: 1, performance: 1, quality: 1, oee: 1, actual_cycle_time: 1.8 });
  });

  it("zero planned time and zero output give zeros, never NaN or Infinity", () => {
    const empty = computeOee({ periodSeconds: 0, unplannedDowntimeSeconds: 0, plannedDowntimeSeconds: 0, totalParts: 0, goodParts: 0, idealCycleTime: 2 });
    expect(empty).toMatchObject({ availability: 0, performance: 0, quality: 0, oee: 0, actual_cycle_time: null, planned_production_time: 0 });
    const idle = computeOee({ periodSeconds: 3600, unplannedDowntimeSeconds: 600, plannedDowntimeSeconds: 0, totalParts: 0, goodParts: 0, idealCycleTime: 2 });
    expect(idle).toMatchObject({ availability: 0.8333, performance: 0, quality: 0, oee: 0, actual_cycle_time: null });
    const allDown = computeOee({
      periodSeconds: 3600,
      unplannedDowntimeSeconds: 7200,
      plannedDowntimeSeconds: 0,
      totalParts: 10,
      goodParts: 10,
      idealCycleTime: 2,
    });
    expect(allDown).toMatchObject({ availability: 0, performance: 0, quality: 1, oee: 0, actual_production_time: 0, unplanned_downtime: 3600 });
    for (const value of [...Object.values(empty), ...Object.values(idle), ...Object.values(allDown)]) {
      if (typeof value === "number") expect(Number.isFinite(value)).toBe(true);
    }
  });

  it("downtime is the union of overlapping stops, clipped to the period", () => {
    const t = (hhmm: string) => Date.parse(`2026-11-20T${hhmm}:00Z`);
    expect(
      unionSeconds(
        [
          [t("08:00"), t("08:20")],
          [t("08:10"), t("08:30")],
          [t("05:50"), t("06:10")],
        ],
        t("06:00"),
        t("14:00"),
      ),
    ).toBe(40 * 60);
  });
});

describe("downtime and counts → OEE over the API", () => {
  it("POST /oee/calculate returns the figures and every input; history, current and the daily summary's quirk", async () => {
    const pm = await loginAs("production_manager");
    const op = await loginAs("operator");
    const line = await call("/api/v1/production/lines", { token: pm.token, body: { line_code: unique("L"), name: "OEE line", ideal_cycle_time: 2.5 } });
    const lineId = str(line.json.id);
    const at = (hhmm: string) => `2026-11-20T${hhmm}:00.000Z`;
    const socket = await openSocket(`/ws/lines/${lineId}`, { token: op.token });
    await socket.next("system_alert");

    for (const [start, end, category] of [
      ["08:00", "08:20", "unplanned"],
      ["08:10", "08:30", "unplanned"],
      ["12:00", "12:20", "planned"],
    ] as const) {
      const res = await call("/api/v1/downtime/events", {
        token: pm.token,
        body: { line_id: lineId, reason: "Jam", category, start_time: at(start), end_time: at(end) },
      });
      expect(res.status).toBe(201);
    }
    expect(await socket.next("downtime_event")).toMatchObject({ data: { category: "unplanned", duration_seconds: 1200 } });
    // Operators record counts; they cannot record downtime.
    expect(
      (await call("/api/v1/downtime/events", { token: op.token, body: { line_id: lineId, reason: "x", category: "planned", start_time: at("09:00") } })).status,
    ).toBe(403);
    for (const [start, end, total, good] of [
      ["06:00", "10:00", 5000, 4900],
      ["10:00", "14:00", 4000, 3920],
      ["14:00", "15:00", 999, 999],
    ] as const) {
      const res = await call("/api/v1/production/counts", {
        token: op.token,
        body: { line_id: lineId, period_start: at(start), period_end: at(end), total_count: total, good_count: good },
      });
      expect(res.status).toBe(201);
    }
    expect(await socket.next("oee_update")).toMatchObject({ line_id: lineId });
    const bad = await call("/api/v1/production/counts", {
      token: op.token,
      body: { line_id: lineId, period_start: at("06:00"), period_end: at("07:00"), total_count: 5, good_count: 6 },
    });
    expect(bad.json).toMatchObject({ error: "VALIDATION_ERROR", details: [{ path: "body.good_count" }] });

    const calc = await call("/api/v1/oee/calculate", { token: pm.token, body: { line_id: lineId, start_time: at("06:00"), end_time: at("14:00") } });
    expect(calc.status).toBe(201);
    expect(calc.json).toMatchObject({
      line_id: lineId,
      availability: 0.9375,
      performance: 0.8333,
      quality: 0.98,
      oee: 0.7656,
      planned_production_time: 28_800,
      actual_production_time: 27_000,
      unplanned_downtime: 1800,
      planned_downtime: 1200,
      ideal_cycle_time: 2.5,
      actual_cycle_time: 3,
      good_parts: 8820,
      total_parts: 9000,
    });
    expect(await socket.next((m) => m.type === "oee_update" && m.data?.id === calc.json.id)).toMatchObject({ data: { oee: 0.7656 } });
    // Operators read OEE but do not calculate it.
    expect((await call("/api/v1/oee/calculate", { token: op.token, body: { line_id: lineId } })).status).toBe(403);

    // A second calculation of the same day: 06:00–10:00 alone.
    // A = (14400 − 1800)/14400 = 0.875; cycle = 12600/5000 = 2.52; P = 2.5/2.52 = 0.9921; Q = 0.98.
    const morning = await call("/api/v1/oee/calculate", { token: pm.token, body: { line_id: lineId, start_time: at("06:00"), end_time: at("10:00") } });
    expect(morning.json).toMatchObject({ availability: 0.875, performance: 0.9921, quality: 0.98, total_parts: 5000 });

    const history = await call(`/api/v1/oee/lines/${lineId}`, { token: op.token });
    expect(history.res.headers.get("x-total-count")).toBe("2");
    expect(
      arr(history.json)
        .map((h) => str(h.id))
        .sort(),
    ).toEqual([str(morning.json.id), str(calc.json.id)].sort());

    // Both calculations were made "today" (calculation_time = now), so the seed's figure averages them.
    const today = new Date().toISOString().slice(0, 10);
    const summary = await call(`/api/v1/oee/lines/${lineId}/daily-summary?date=${today}`, { token: op.token });
    expect(summary.status).toBe(200);
    const a = (0.9375 + 0.875) / 2;
    const p = (0.8333 + 0.9921) / 2;
    const q = 0.98;
    expect(summary.json).toMatchObject({
      line_id: lineId,
      date: today,
      seed_average: { calculations: 2, availability: 0.9063, performance: 0.9127, quality: q },
    });
    expect(summary.json.seed_average?.oee).toBeCloseTo(a * p * q, 4);

    // A day with no counts: zero output, no division by zero.
    const empty = await call(`/api/v1/oee/lines/${lineId}/daily-summary?date=2026-11-19`, { token: op.token });
    expect(empty.json).toMatchObject({
      seed_average: null,
      day: { total_parts: 0, oee: 0, performance: 0, quality: 0, actual_cycle_time: null, availability: 1 },
    });

    const current = await call(`/api/v1/oee/lines/${lineId}/current`, { token: op.token });
    expect(current.status).toBe(200);
    expect(current.json).toMatchObject({ line_id: lineId, id: null });
    expect((await call("/api/v1/oee/lines/nope/current", { token: op.token })).status).toBe(404);
    socket.close();
  });

  it("a product's ideal cycle time wins over the line's; a running stop counts until it ends", async () => {
    const pm = await loginAs("production_manager");
    const lineId = str(
      (await call("/api/v1/production/lines", { token: pm.token, body: { line_code: unique("L"), name: "Mixed", ideal_cycle_time: 4 } })).json.id,
    );
    const productId = str(
      (await call("/api/v1/production/products", { token: pm.token, body: { product_code: unique("P"), name: "Fast", ideal_cycle_time: 1 } })).json.id,
    );
    const at = (hhmm: string) => `2026-11-21T${hhmm}:00.000Z`;
    await call("/api/v1/production/counts", {
      token: pm.token,
      body: { line_id: lineId, product_id: productId, period_start: at("00:00"), period_end: at("00:30"), total_count: 600, good_count: 600 },
    });
    await call("/api/v1/production/counts", {
      token: pm.token,
      body: { line_id: lineId, period_start: at("00:30"), period_end: at("01:00"), total_count: 200, good_count: 100 },
    });
    const stop = await call("/api/v1/downtime/events", {
      token: pm.token,
      body: { line_id: lineId, reason: "Fault", category: "unplanned", start_time: at("00:45") },
    });
    expect(stop.json).toMatchObject({ end_time: null, duration_seconds: null });
    // Ideal = (600×1 + 200×4)/800 = 1.75 s; stop 00:45 → 01:00 (period end) = 900 s; run 2700 s.
    // A = 0.75; cycle = 2700/800 = 3.375; P = 1.75/3.375 = 0.5185; Q = 700/800 = 0.875.
    const calc = await call("/api/v1/oee/calculate", { token: pm.token, body: { line_id: lineId, start_time: at("00:00"), end_time: at("01:00") } });
    expect(calc.json).toMatchObject({ ideal_cycle_time: 1.75, availability: 0.75, actual_cycle_time: 3.375, performance: 0.5185, quality: 0.875, oee: 0.3403 });

    const ended = await call(`/api/v1/downtime/events/${str(stop.json.id)}/end`, { method: "PUT", token: pm.token, body: { end_time: at("00:50") } });
    expect(ended.json).toMatchObject({ duration_seconds: 300 });
    expect((await call(`/api/v1/downtime/events/${str(stop.json.id)}/end`, { method: "PUT", token: pm.token, body: {} })).status).toBe(409);
    const list = await call(`/api/v1/downtime/events?line_id=${lineId}`, { token: pm.token });
    expect(arr(list.json)).toHaveLength(1);
  });
});
