/**
 * RM365's routes that call Magento with the stored credentials count against the caller's
 * upstream budget, like the canonical Magento routes: a picker cannot make Floorline hammer
 * the shop by refreshing the check or the invoice lookup.
 */
import { describe, expect, it } from "vitest";
import { call } from "../../helpers";

describe("RM365 upstream calls", () => {
  it("session check and invoice lookup (Magento calls) declare the upstream user limit and are not pure reads", async () => {
    const { json } = await call("/openapi.json");
    for (const path of ["/api/v1/magento/session/check/{order_number}", "/api/v1/magento/invoice/lookup/{order_number}"]) {
      const op = json.paths?.[path]?.get;
      expect(op, path).toBeDefined();
      expect(op?.["x-user-limit"], path).toBe("upstream");
      expect(op?.["x-pure-read"], path).toBeUndefined();
    }
  });

  it("the approval screen's Magento calls (pending orders, approve) declare the upstream user limit and are not pure reads", async () => {
    const { json } = await call("/openapi.json");
    const pending = json.paths?.["/api/v1/magento/tracking/pending-orders"]?.get;
    const approve = json.paths?.["/api/v1/magento/tracking/approve-order"]?.post;
    for (const op of [pending, approve]) {
      expect(op?.["x-user-limit"]).toBe("upstream");
      expect(op?.["x-pure-read"]).toBeUndefined();
    }
  });
});
