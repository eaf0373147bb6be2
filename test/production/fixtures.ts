import { expect } from "vitest";
import { call, str, unique } from "../helpers";

/** A line, a product and a schedule, made through the API as a production manager. */
export async function makeSchedule(token: string) {
  const line = await call("/api/v1/production/lines", { token, body: { line_code: unique("L"), name: "Bagging 1", equipment_codes: ["BP01.PACK.BAG1"] } });
  expect(line.status).toBe(201);
  const product = await call("/api/v1/production/products", { token, body: { product_code: unique("P"), name: "Bag", ideal_cycle_time: 1.5 } });
  expect(product.status).toBe(201);
  const schedule = await call("/api/v1/production/schedules", {
    token,
    body: {
      line_id: line.json.id,
      product_id: product.json.id,
      scheduled_start: "2026-11-22T06:00:00Z",
      scheduled_end: "2026-11-22T14:00:00Z",
      target_quantity: 1000,
    },
  });
  expect(schedule.status).toBe(201);
  return { lineId: str(line.json.id), productId: str(product.json.id), scheduleId: str(schedule.json.id) };
}
