/**
 * One test per endpoint RM365's backend served that its client calls (endpoints.ts): the
 * client's request, the fields it reads. A route that is missing or answers another shape fails
 * under its own name.
 */
import { describe, expect, it } from "vitest";
import { call, loginAs } from "../../helpers";
import { makeItems } from "../../labels/fixtures";
import { useFakeShop } from "../../magento/fake-shop";
import { ENDPOINTS, SEED_SERVED_IN_CATALOGUE } from "./endpoints";
import { employees, expectReads, fill, ok, tokenFor, type Vars } from "./fixture";

const shop = useFakeShop();

describe("RM365 client endpoints", () => {
  for (const endpoint of ENDPOINTS) {
    it(`${endpoint.method} ${endpoint.path} (${endpoint.role})${endpoint.needs ? ` with ${endpoint.needs.join(", ")}` : ""}`, async () => {
      const vars: Vars = await employees();
      const token = await tokenFor(endpoint.role);
      vars.order = shop.addOrder([
        { sku: "RM-BOLT", name: "Bolt", qty_ordered: 1 },
        { sku: "RM-NUT", name: "Nut", qty_ordered: 2 },
      ]);
      if (endpoint.needs?.includes("session")) {
        const picker = await tokenFor("operator");
        const started = await ok("/api/v1/magento/session/start", picker, { order_number: vars.order, session_type: "pick" });
        vars.session = String(started.session_id);
        if (endpoint.needs.includes("picked")) {
          await ok("/api/v1/magento/session/scan", picker, { session_id: vars.session, sku: "RM-BOLT", quantity: 1, field: "auto" });
          await ok("/api/v1/magento/session/scan", picker, { session_id: vars.session, sku: "RM-NUT", quantity: 2, field: "auto" });
        }
        if (endpoint.needs.includes("released")) await ok(`/api/v1/magento/sessions/${vars.session}/release`, picker, {});
      }
      if (endpoint.needs?.includes("assignee")) vars.assignee = (await loginAs("operator")).username;
      const [item] = await makeItems(1);
      vars.item = String(item?.barcode ?? item?.sku);
      if (endpoint.needs?.includes("job")) {
        const started = await ok("/api/v1/labels/start-job", token, { created_by: "user@example.com", item_ids: [vars.item] });
        vars.job = String(started.job_id);
      }
      const path = String(fill(endpoint.path, vars));
      const res = await call(path, { method: endpoint.method, token, body: fill(endpoint.body, vars) });
      expect(res.status, `${endpoint.method} ${path}: ${JSON.stringify(res.json)}`).toBe(endpoint.status ?? 200);
      expectReads(res.json, endpoint.reads, `${endpoint.method} ${path}`);
    });
  }

  it("the table covers the catalogue's seed-served endpoints it claims (a count kept honest)", () => {
    const distinct = new Set(ENDPOINTS.map((e) => `${e.method} ${e.path.replace(/\?.*$/, "")}`));
    expect(distinct.size).toBeLessThanOrEqual(SEED_SERVED_IN_CATALOGUE);
  });
});
