/**
 * RM365's attendance ranges take plant dates as text: anything that is not a calendar date is a
 * 422 naming the field, never a 500 (the calendar check threw on text that failed the pattern).
 */
import { describe, expect, it } from "vitest";
import { call, loginAs } from "../../helpers";

describe("RM365 attendance date parameters", () => {
  it("non-dates in from_date/to_date are 422 on every range route", async () => {
    const { token } = await loginAs("admin");
    for (const route of ["logs", "summary", "weekly-chart", "work-hours"]) {
      for (const bad of ["-1", "0", "NaN", "9999-99-99", "2026-02-30", "2026-13-01", "x".repeat(300)]) {
        const res = await call(`/api/v1/attendance/${route}?from_date=${encodeURIComponent(bad)}&to_date=${encodeURIComponent(bad)}`, { token });
        expect(res.status, `${route} ${bad.slice(0, 12)}: ${JSON.stringify(res.json)}`).toBe(422);
      }
    }
  });
});
