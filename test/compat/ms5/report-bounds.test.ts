/**
 * MS5's report parameters are a map the client fills; like every collection it has a maximum, so
 * a scheduled report (stored as is) or a generate request cannot carry thousands of keys.
 */
import { describe, expect, it } from "vitest";
import { call, loginAs, str } from "../../helpers";

describe("MS5 report parameters", () => {
  it("more than 32 parameter keys: 422 on scheduled create, update and generate, nothing stored", async () => {
    const { token } = await loginAs("admin");
    const template = await call("/api/v1/reports/templates", {
      token,
      body: { name: `Bounds ${crypto.randomUUID().slice(0, 8)}`, template_type: "production", parameters: [], sections: [] },
    });
    expect(template.status, JSON.stringify(template.json)).toBe(201);
    const template_id = str(template.json.id);
    const many = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, "x".repeat(100)]));
    const before = await call("/api/v1/reports/scheduled", { token });
    const created = await call("/api/v1/reports/scheduled", { token, body: { name: "Flood", template_id, frequency: "daily", parameters: many } });
    expect(created.status).toBe(422);
    const after = await call("/api/v1/reports/scheduled", { token });
    expect(after.res.headers.get("x-total-count")).toBe(before.res.headers.get("x-total-count"));

    const ok = await call("/api/v1/reports/scheduled", { token, body: { name: "Fine", template_id, frequency: "daily", parameters: { a: 1 } } });
    expect(ok.status, JSON.stringify(ok.json)).toBe(201);
    const updated = await call(`/api/v1/reports/scheduled/${str(ok.json.id)}`, { method: "PUT", token, body: { parameters: many } });
    expect(updated.status).toBe(422);
    const generated = await call("/api/v1/reports/generate", { token, body: { template_id, parameters: many } });
    expect(generated.status).toBe(422);
  });
});
