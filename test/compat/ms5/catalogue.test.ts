/**
 * One test per MS5 catalogue row Floorline serves (catalogue.ts): the client's exact request —
 * its headers (X-Timestamp, X-Request-ID), body and query — and the fields its screens read.
 * A route that is missing fails by its row's name. Rows run in order (a job is accepted before
 * it is started).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { arr, type Json } from "../../helpers";
import { ROWS } from "./catalogue";
import { type Ctx, makeCtx, ms5Call } from "./fixtures";

function expectFields(item: Json, fields: string[]) {
  for (const field of fields) expect(item, `field ${field}`).toHaveProperty(field);
}

describe("MS5 tablet client: catalogue endpoints", () => {
  let ctx: Ctx;
  beforeAll(async () => {
    ctx = await makeCtx();
  });

  it("the table covers all 45 endpoints MS5's backend served", () => {
    expect(ROWS.filter((r) => r.seed)).toHaveLength(45);
    expect(new Set(ROWS.map((r) => `${r.method} ${r.path}`)).size).toBe(ROWS.length);
  });

  for (const row of ROWS) {
    it(`${row.method} ${row.path}${row.seed ? "" : " (beyond the seed)"}`, async () => {
      const token = row.who === "op" ? ctx.op.token : ctx.pm.token;
      const res = await ms5Call(await row.url(ctx), { method: row.method, body: row.body?.(ctx), token });
      expect(res.status, JSON.stringify(res.json)).toBe(row.status);
      if (row.shape === "array") {
        const items = arr(res.json);
        if (row.total !== false) expect(res.res.headers.get("x-total-count")).toMatch(/^\d+$/);
        expect(items.length, "a non-empty list, so its items' fields are checked").toBeGreaterThan(0);
        for (const item of items) expectFields(item, row.fields ?? []);
      } else if (row.shape === "object") {
        expect(Array.isArray(res.json)).toBe(false);
        expectFields(res.json, row.fields ?? []);
      }
      row.check?.(res.json, ctx);
    });
  }
});
