import { env } from "cloudflare:workers";
import { count, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { fulfillmentScans, fulfillmentSessions } from "../../src/db/schema";
import { arr, call, db, loginAs, str } from "../helpers";
import { useFakeShop } from "./fake-shop";

const shop = useFakeShop();

const start = (token: string, order_number: string, session_type = "pick") =>
  call("/api/v1/magento/session/start", { token, body: { order_number, session_type } });
const scan = (token: string, session_id: string, sku: string, quantity = 1) =>
  call("/api/v1/magento/session/scan", { token, body: { session_id, sku, quantity } });
const scansOf = async (sessionId: string) =>
  (await db().select({ n: count() }).from(fulfillmentScans).where(eq(fulfillmentScans.sessionId, sessionId)))[0]?.n ?? 0;

describe("magento pick sessions", () => {
  it("start reads the order and its paid invoice; the session survives a reload", async () => {
    const picker = await loginAs("operator");
    const order = shop.addOrder([
      { sku: "RM-BOLT", name: "Bolt", qty_ordered: 3 },
      { sku: "RM-NUT", name: "Nut", qty_ordered: 2 },
    ]);
    const started = await start(picker.token, order);
    expect(started.status).toBe(201);
    expect(started.json).toMatchObject({
      order_number: order,
      invoice_number: expect.stringMatching(/^INV/),
      session_type: "pick",
      status: "in_progress",
      customer_name: "Test Customer",
      total_items: 2,
      completed_items: 0,
      progress_percentage: 0,
      created_by: picker.username,
      version: 1,
      items: [
        { sku: "RM-BOLT", name: "Bolt", qty_ordered: 3, qty_invoiced: 3, qty_expected: 3, qty_scanned: 0, qty_remaining: 3, is_complete: false },
        { sku: "RM-NUT", name: "Nut", qty_ordered: 2, qty_invoiced: 2, qty_expected: 2, qty_scanned: 0, qty_remaining: 2, is_complete: false },
      ],
    });
    // Upstream: the order by increment_id, then its invoices by order_id, with the Bearer token.
    expect(shop.state.requests.map((r) => new URL(r.url).pathname)).toEqual(["/rest/V1/orders", "/rest/V1/invoices"]);
    expect(shop.state.requests[0]?.headers.get("authorization")).toBe("Bearer test-magento-token");
    expect(new URL(str(shop.state.requests[0]?.url)).searchParams.get("searchCriteria[filter_groups][0][filters][0][field]")).toBe("increment_id");

    const id = str(started.json.session_id);
    expect((await scan(picker.token, id, "rm-bolt", 2)).status).toBe(200);
    // A tablet reload: the whole state comes back, with its version as ETag.
    const reloaded = await call(`/api/v1/magento/session/${id}`, { token: picker.token });
    expect(reloaded.status).toBe(200);
    expect(reloaded.res.headers.get("etag")).toBe('"2"');
    expect(reloaded.json).toMatchObject({ status: "in_progress", completed_items: 0, progress_percentage: 40, version: 2 });
    expect(arr(reloaded.json.items)[0]).toMatchObject({ sku: "RM-BOLT", qty_scanned: 2, qty_remaining: 1 });
    expect((await call("/api/v1/magento/session/nope", { token: picker.token })).status).toBe(404);
  });

  it("scan answers RM365's shape; the last unit makes the session ready_to_check; complete closes it", async () => {
    const picker = await loginAs("operator");
    const order = shop.addOrder([
      { sku: "A-1", qty_ordered: 2 },
      { sku: "B-1", qty_ordered: 1 },
    ]);
    const id = str((await start(picker.token, order)).json.session_id);
    const first = await scan(picker.token, id, "A-1");
    expect(first.status).toBe(200);
    expect(first.json).toEqual({
      success: true,
      message: "Scanned 1 × A-1; 1 to go",
      sku: "A-1",
      qty_expected: 2,
      qty_scanned: 1,
      qty_remaining: 1,
      is_complete: false,
      is_overpicked: false,
      all_items_complete: false,
      session_status: "in_progress",
      item_name: expect.any(String),
    });
    // Not everything is picked: complete is refused and names what is missing.
    const early = await call("/api/v1/magento/session/complete", { token: picker.token, body: { session_id: id } });
    expect(early.status).toBe(409);
    expect(early.json.details).toEqual([
      { sku: "A-1", qty_remaining: 1 },
      { sku: "B-1", qty_remaining: 1 },
    ]);
    expect((await scan(picker.token, id, "A-1")).json).toMatchObject({ is_complete: true, all_items_complete: false });
    const last = await scan(picker.token, id, "B-1");
    expect(last.json).toMatchObject({ is_complete: true, all_items_complete: true, session_status: "ready_to_check", message: "All items scanned" });

    const done = await call("/api/v1/magento/session/complete", { token: picker.token, body: { session_id: id } });
    expect(done.status).toBe(200);
    expect(done.json).toMatchObject({ status: "completed", completed_items: 2, progress_percentage: 100, completed_at: expect.any(String) });
    // Completed: no more scans, no second pick of the same order.
    expect((await scan(picker.token, id, "A-1")).status).toBe(409);
    const again = await start(picker.token, order);
    expect(again.status).toBe(409);
    expect(again.json.message).toBe(`Order ${order} has already been picked`);
  });

  it("a wrong item is a 400 and an over-pick a 409; neither changes anything", async () => {
    const picker = await loginAs("operator");
    const order = shop.addOrder([{ sku: "ONLY-1", qty_ordered: 2 }]);
    const id = str((await start(picker.token, order)).json.session_id);
    expect((await scan(picker.token, id, "ONLY-1")).status).toBe(200);
    const before = await call(`/api/v1/magento/session/${id}`, { token: picker.token });

    const wrong = await scan(picker.token, id, "NOT-ON-ORDER");
    expect(wrong.status).toBe(400);
    expect(wrong.json).toMatchObject({
      error: "BUSINESS_LOGIC_ERROR",
      detail: `Wrong item: NOT-ON-ORDER is not on order ${order}`,
      details: { expected_skus: ["ONLY-1"] },
    });

    const over = await scan(picker.token, id, "ONLY-1", 2);
    expect(over.status).toBe(409);
    expect(over.json.details).toEqual({ sku: "ONLY-1", qty_expected: 2, qty_scanned: 1, qty_remaining: 1, quantity: 2 });
    expect(str(over.json.message)).toMatch(/^Over-pick/);

    const after = await call(`/api/v1/magento/session/${id}`, { token: picker.token });
    expect(after.json).toEqual(before.json);
    expect(await scansOf(id)).toBe(1);
    // Bad input is refused before anything runs.
    expect((await scan(picker.token, id, "ONLY-1", 0)).status).toBe(422);
    expect((await call("/api/v1/magento/session/scan", { token: picker.token, body: { session_id: id, sku: "x".repeat(65) } })).status).toBe(422);
  });

  it("two tablets scanning the same session never lose a scan and never over-pick together", async () => {
    const picker = await loginAs("operator");
    const secondTablet = await call("/api/v1/auth/login", { body: { username: picker.username, password: picker.password } });
    const tokens = [picker.token, str(secondTablet.json.access_token)];
    const order = shop.addOrder([
      { sku: "CLIP", qty_ordered: 20 },
      { sku: "GLOVE", qty_ordered: 4 },
    ]);
    const id = str((await start(picker.token, order)).json.session_id);
    // 26 single-unit scans of CLIP (6 too many) and 4 of GLOVE, all at once from two tablets.
    const calls = [...Array.from({ length: 26 }, () => "CLIP"), ...Array.from({ length: 4 }, () => "GLOVE")].map((sku, n) =>
      scan(tokens[n % 2] ?? picker.token, id, sku),
    );
    const results = await Promise.all(calls);
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(24);
    expect(statuses.filter((s) => s === 409)).toHaveLength(6);
    const state = await call(`/api/v1/magento/session/${id}`, { token: picker.token });
    expect(state.json).toMatchObject({ status: "ready_to_check", completed_items: 2, progress_percentage: 100, version: 25 });
    expect(arr(state.json.items).map((i) => i.qty_scanned)).toEqual([20, 4]);
    expect(await scansOf(id)).toBe(24);
  });

  it("a scan retried with the same Idempotency-Key (lost response on flaky Wi-Fi) counts once", async () => {
    const picker = await loginAs("operator");
    const id = str((await start(picker.token, shop.addOrder([{ sku: "RETRY", qty_ordered: 5 }]))).json.session_id);
    const headers = { "idempotency-key": crypto.randomUUID() };
    const body = { session_id: id, sku: "RETRY", quantity: 2 };
    const first = await call("/api/v1/magento/session/scan", { token: picker.token, body, headers });
    const retry = await call("/api/v1/magento/session/scan", { token: picker.token, body, headers });
    expect(first.status).toBe(200);
    expect(retry.status).toBe(200);
    expect(retry.res.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.json).toEqual(first.json);
    expect(arr((await call(`/api/v1/magento/session/${id}`, { token: picker.token })).json.items)[0]?.qty_scanned).toBe(2);
    expect(await scansOf(id)).toBe(1);
  });

  it("one open session per order, even when two tablets start it at once; cancel releases the order", async () => {
    const picker = await loginAs("operator");
    const order = shop.addOrder();
    const both = await Promise.all([start(picker.token, order), start(picker.token, order)]);
    expect(both.map((r) => r.status).sort()).toEqual([201, 409]);
    const opened = both.find((r) => r.status === 201);
    const id = str(opened?.json.session_id);
    const refused = await start(picker.token, order);
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({ detail: `Order ${order} is already in progress`, details: { session_id: id } });

    // Cancel with a stale If-Match changes nothing; with the current version it cancels.
    const stale = await call("/api/v1/magento/session/cancel", { token: picker.token, body: { session_id: id }, headers: { "if-match": '"7"' } });
    expect(stale.status).toBe(409);
    const cancelled = await call("/api/v1/magento/session/cancel", {
      token: picker.token,
      body: { session_id: id, reason: "wrong tote" },
      headers: { "if-match": '"1"' },
    });
    expect(cancelled.status).toBe(200);
    expect(cancelled.json).toMatchObject({ status: "cancelled", cancel_reason: "wrong tote", cancelled_at: expect.any(String), version: 2 });
    expect((await call("/api/v1/magento/session/cancel", { token: picker.token, body: { session_id: id } })).status).toBe(409);
    expect((await scan(picker.token, id, "SKU-0")).status).toBe(409);
    // The order can be picked again.
    expect((await start(picker.token, order)).status).toBe(201);
  });

  it("orders Magento does not have, has cancelled or has not been paid for are refused", async () => {
    const picker = await loginAs("operator");
    const missing = await start(picker.token, "T000404");
    expect(missing.status).toBe(404);
    expect(missing.json.detail).toBe("Order T000404 not found in Magento");
    const cancelled = shop.addOrder(undefined, { state: "canceled", status: "canceled" });
    expect((await start(picker.token, cancelled)).json).toMatchObject({ error: "CONFLICT", detail: `Order ${cancelled} is cancelled` });
    const unpaid = shop.addOrder([{ sku: "X", qty_ordered: 1, qty_invoiced: 0 }], {
      invoices: [{ entity_id: 1, increment_id: "INV-P", state: 1, created_at: "2026-11-20 08:00:00" }],
    });
    expect((await start(picker.token, unpaid)).json).toMatchObject({ error: "CONFLICT", detail: `Order ${unpaid}'s invoice is not paid yet` });
    const noInvoice = shop.addOrder(undefined, { invoices: [] });
    expect((await start(picker.token, noInvoice)).json.detail).toBe(`Order ${noInvoice} has no invoice to pick against`);
    expect((await call("/api/v1/magento/session/start", { token: picker.token, body: { order_number: "bad number!" } })).status).toBe(422);
    expect((await call("/api/v1/magento/session/start", { token: picker.token, body: { order_number: "1", session_type: "ship" } })).status).toBe(422);
  });

  it("orders closed, on hold, in payment review or pending payment are refused (409, no session); processing and complete are picked", async () => {
    const picker = await loginAs("operator");
    for (const [state, status, label] of [
      ["closed", "closed", "closed"],
      ["holded", "holded", "on hold"],
      ["payment_review", "fraud", "in payment review"],
      ["processing", "pending_payment", "pending payment"],
    ] as const) {
      const order = shop.addOrder(undefined, { state, status });
      const res = await start(picker.token, order);
      expect(res.status, state).toBe(409);
      expect(res.json).toMatchObject({ error: "CONFLICT", detail: `Order ${order} cannot be picked: it is ${label} in Magento` });
      expect(await db().select().from(fulfillmentSessions).where(eq(fulfillmentSessions.orderNumber, order))).toEqual([]);
    }
    for (const state of ["processing", "complete"]) {
      expect((await start(picker.token, shop.addOrder(undefined, { state, status: state }))).status, state).toBe(201);
    }
  });

  it("only the session's owner or a fulfillment manager may scan, complete or cancel it", async () => {
    const owner = await loginAs("operator");
    const other = await loginAs("operator");
    const manager = await loginAs("production_manager");
    const order = shop.addOrder([{ sku: "OWN", qty_ordered: 3 }]);
    const id = str((await start(owner.token, order)).json.session_id);

    const foreign = await scan(other.token, id, "OWN");
    expect(foreign.status).toBe(403);
    expect(foreign.json.detail).toBe(`Only the session's owner (${owner.username}) or a fulfillment manager may scan into it`);
    expect((await call("/api/v1/magento/session/cancel", { token: other.token, body: { session_id: id } })).status).toBe(403);
    expect((await call("/api/v1/magento/session/complete", { token: other.token, body: { session_id: id } })).status).toBe(403);
    expect(await scansOf(id)).toBe(0);
    // Anyone with the orders tab may look at it.
    expect((await call(`/api/v1/magento/session/${id}`, { token: other.token })).status).toBe(200);

    expect((await scan(manager.token, id, "OWN", 3)).status).toBe(200);
    expect((await call("/api/v1/magento/session/complete", { token: manager.token, body: { session_id: id } })).json).toMatchObject({ status: "completed" });
  });

  it("a return session completes with what came back", async () => {
    const picker = await loginAs("operator");
    const order = shop.addOrder([
      { sku: "RET-1", qty_ordered: 2 },
      { sku: "RET-2", qty_ordered: 1 },
    ]);
    const id = str((await start(picker.token, order, "return")).json.session_id);
    expect((await call("/api/v1/magento/session/complete", { token: picker.token, body: { session_id: id } })).json.detail).toBe(
      "Nothing has been scanned back yet",
    );
    expect((await scan(picker.token, id, "RET-2")).status).toBe(200);
    const done = await call("/api/v1/magento/session/complete", { token: picker.token, body: { session_id: id } });
    expect(done.json).toMatchObject({ status: "completed", session_type: "return", completed_items: 1 });
  });

  it("the tracking board shows sessions by status with counts", async () => {
    const picker = await loginAs("operator");
    const viewer = await loginAs("viewer");
    const open = str((await start(picker.token, shop.addOrder())).json.session_id);
    const toCancel = str((await start(picker.token, shop.addOrder())).json.session_id);
    await call("/api/v1/magento/session/cancel", { token: picker.token, body: { session_id: toCancel } });
    const board = await call("/api/v1/magento/tracking/board?recent=50", { token: viewer.token });
    expect(board.status).toBe(200);
    expect(Object.keys(board.json.columns ?? {})).toEqual(["draft", "approved", "in_progress", "ready_to_check", "completed", "cancelled"]);
    expect(arr(board.json.columns?.in_progress).find((s) => str(s.session_id) === open)).toMatchObject({ total_items: 1, progress_percentage: 0 });
    expect(arr(board.json.columns?.cancelled).some((s) => str(s.session_id) === toCancel)).toBe(true);
    expect(board.json.counts?.cancelled).toBeGreaterThanOrEqual(1);
  });

  it("lists paid invoices with their order numbers and open sessions", async () => {
    const manager = await loginAs("production_manager");
    const order = shop.addOrder();
    const id = str((await start(manager.token, order)).json.session_id);
    const list = await call("/api/v1/magento/invoices?limit=100", { token: manager.token });
    expect(list.status).toBe(200);
    expect(arr(list.json.items).find((i) => i.order_number !== undefined && String(i.order_number) === order)).toMatchObject({ state: 2, open_session_id: id });
  });
});

describe("magento upstream failures", () => {
  it("a 5xx, a dropped connection or a timeout is retried, then a 502 that stores nothing", async () => {
    const picker = await loginAs("operator");
    const order = shop.addOrder();
    shop.setEnv({ MAGENTO_RETRIES: "1", MAGENTO_TIMEOUT_MS: "50" });
    for (const [mode, text] of [
      ["error500", "Magento answered HTTP 500"],
      ["network", "Magento could not be reached"],
      ["hang", "Magento did not answer within 50 ms"],
    ] as const) {
      shop.state.mode = mode;
      shop.state.requests = [];
      const failed = await start(picker.token, order);
      expect(failed.status, mode).toBe(502);
      expect(failed.json).toMatchObject({ error: "BAD_GATEWAY", detail: `${text} (2 attempts)` });
      expect(shop.state.requests, mode).toHaveLength(2);
    }
    shop.state.mode = "ok";
    // Nothing was stored: the order starts normally now.
    expect((await start(picker.token, order)).status).toBe(201);
  });

  it("a refused token, non-JSON or an unexpected shape is a 502 at once", async () => {
    const picker = await loginAs("operator");
    const order = shop.addOrder();
    shop.setEnv({ MAGENTO_TOKEN: "wrong-token" });
    const refused = await start(picker.token, order);
    expect(refused.status).toBe(502);
    expect(refused.json.detail).toBe("Magento refused the request (HTTP 401)");
    expect(shop.state.requests).toHaveLength(1);
    shop.setEnv({ MAGENTO_TOKEN: "test-magento-token" });
    shop.state.mode = "garbage";
    expect((await start(picker.token, order)).json.detail).toBe("Magento answered with something that is not JSON");
    shop.state.mode = "wrong-shape";
    const shape = await start(picker.token, order);
    expect(shape.status).toBe(502);
    expect(shape.json.detail).toBe("Magento's orders answer has an unexpected shape");
  });

  it("without a token Magento is not configured: 503 naming the secret", async () => {
    const picker = await loginAs("operator");
    shop.setEnv({ MAGENTO_TOKEN: undefined });
    const res = await start(picker.token, shop.addOrder());
    expect(res.status).toBe(503);
    expect(res.json.detail).toBe("Magento is not configured: MAGENTO_TOKEN");
    expect(env.MAGENTO_BASE_URL).toBeTruthy();
  });
});

describe("magento access", () => {
  it("is gated by RM365's tabs on top of the fulfillment permissions", async () => {
    const order = shop.addOrder();
    // An operator without the order-fulfillment tab may not pick.
    const noTab = await loginAs("operator", { allowed_tabs: ["inventory.management"] });
    const denied = await start(noTab.token, order);
    expect(denied.status).toBe(403);
    expect(denied.json.detail).toBe("Your account does not have the 'orders.order-fulfillment' tab");
    expect((await call("/api/v1/magento/tracking/board", { token: noTab.token })).status).toBe(403);
    expect(shop.state.requests).toHaveLength(0);
    // The tracking tab opens the board but not picking.
    const tracker = await loginAs("operator", { allowed_tabs: ["orders.order-tracking"] });
    expect((await call("/api/v1/magento/tracking/board", { token: tracker.token })).status).toBe(200);
    expect((await start(tracker.token, order)).status).toBe(403);
    // The magentodata tab opens the invoice list; the orders tabs do not.
    expect((await call("/api/v1/magento/invoices", { token: tracker.token })).status).toBe(403);
    // A viewer holds fulfillment:read but not fulfillment:pick.
    const viewer = await loginAs("viewer", { allowed_tabs: ["orders"] });
    const noPermission = await start(viewer.token, order);
    expect(noPermission.status).toBe(403);
    expect(noPermission.json.detail).toBe("Permission 'fulfillment:pick' is required");
    expect((await call("/api/v1/magento/tracking/board")).status).toBe(401);
  });
});
