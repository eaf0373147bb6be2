/**
 * RM365's pick & pack screen end to end against the fake shop, in its client's call sequence
 * (frontend/js/modules/orders/order-fulfillment.js): check → start → scan ×N (with `field`) →
 * status → complete (with `force_complete`), and a second order cancelled with DELETE.
 */
import { describe, expect, it } from "vitest";
import { arr, call, str } from "../../helpers";
import { useFakeShop } from "../../magento/fake-shop";
import { tokenFor } from "./fixture";

const shop = useFakeShop();

describe("RM365 pick & pack", () => {
  it("check → start → scan ×3 → status → complete; the order then checks as completed", async () => {
    const token = await tokenFor("operator");
    const order = shop.addOrder([
      { sku: "RM-BOLT", name: "Bolt", qty_ordered: 2 },
      { sku: "RM-NUT", name: "Nut", qty_ordered: 1 },
    ]);
    const check = await call(`/api/v1/magento/session/check/${order}`, { token });
    expect(check.status).toBe(200);
    expect(check.json).toMatchObject({ status: "available", order_number: order, can_start: true });

    const started = await call("/api/v1/magento/session/start", { token, body: { order_number: order, session_type: "pick" } });
    expect(started.status).toBe(201);
    const sessionId = str(started.json.session_id);

    const scans = [
      { sku: "RM-BOLT", expected: { qty_scanned: 1, is_complete: false, all_items_complete: false } },
      { sku: "rm-bolt", expected: { qty_scanned: 2, is_complete: true, all_items_complete: false } },
      { sku: "RM-NUT", expected: { qty_scanned: 1, is_complete: true, all_items_complete: true } },
    ];
    for (const { sku, expected } of scans) {
      const scan = await call("/api/v1/magento/session/scan", { token, body: { session_id: sessionId, sku, quantity: 1, field: "auto" } });
      expect(scan.status, JSON.stringify(scan.json)).toBe(200);
      expect(scan.json).toMatchObject({ success: true, ...expected });
    }
    // An over-pick is still refused, `field` or not, and counts nothing.
    const over = await call("/api/v1/magento/session/scan", { token, body: { session_id: sessionId, sku: "RM-NUT", quantity: 1, field: "shelf_lt1_qty" } });
    expect(over.status).toBe(409);

    const status = await call(`/api/v1/magento/session/status/${sessionId}`, { token });
    expect(status.status).toBe(200);
    expect(status.json).toMatchObject({ session_id: sessionId, status: "ready_to_check", total_items: 2, completed_items: 2, progress_percentage: 100 });
    expect(status.json.id).toEqual(expect.any(Number));
    // RM365's integer id reads the same session.
    const byNumber = await call(`/api/v1/magento/session/status/${String(status.json.id)}`, { token });
    expect(byNumber.json.session_id).toBe(sessionId);

    const active = await call("/api/v1/magento/sessions/active", { token });
    expect(arr(active.json).map((s) => s.session_id)).toContain(sessionId);

    const complete = await call("/api/v1/magento/session/complete", { token, body: { session_id: sessionId, force_complete: false } });
    expect(complete.status, JSON.stringify(complete.json)).toBe(200);
    expect(complete.json).toMatchObject({ success: true, session_id: sessionId, status: "completed" });

    const after = await call(`/api/v1/magento/session/check/${order}`, { token });
    expect(after.json).toMatchObject({ status: "completed", session_id: sessionId, can_start: false });
    const board = await call("/api/v1/magento/tracking/board", { token });
    expect(board.status).toBe(200);
    expect(arr(board.json.completed).map((s) => s.session_id)).toContain(sessionId);
  });

  it("force_complete does not ship a pick short: 409 naming what is missing; DELETE cancels and the order can start again", async () => {
    const token = await tokenFor("operator");
    const order = shop.addOrder([{ sku: "RM-WASHER", name: "Washer", qty_ordered: 3 }]);
    const started = await call("/api/v1/magento/session/start", { token, body: { order_number: order, session_type: "pick" } });
    const sessionId = str(started.json.session_id);
    expect((await call("/api/v1/magento/session/scan", { token, body: { session_id: sessionId, sku: "RM-WASHER", quantity: 1, field: "auto" } })).status).toBe(
      200,
    );

    const forced = await call("/api/v1/magento/session/complete", { token, body: { session_id: sessionId, force_complete: true } });
    expect(forced.status).toBe(409);
    expect(forced.json.detail).toMatch(/not fully picked/);

    const cancelled = await call(`/api/v1/magento/session/${sessionId}`, { method: "DELETE", token });
    expect(cancelled.status).toBe(200);
    expect(cancelled.json).toMatchObject({ success: true, message: "Session cancelled", session_id: sessionId });
    const check = await call(`/api/v1/magento/session/check/${order}`, { token });
    expect(check.json).toMatchObject({ status: "cancelled", can_start: true });
    expect((await call("/api/v1/magento/session/start", { token, body: { order_number: order, session_type: "pick" } })).status).toBe(201);
    // Someone else's session cannot be cancelled by a picker.
    const other = await tokenFor("viewer");
    expect((await call(`/api/v1/magento/session/${sessionId}`, { method: "DELETE", token: other })).status).toBe(403);
  });
});
