/**
 * RM365's pick & pack hand-offs as an attacker and a busy floor would try them: who may release,
 * claim, send to checking, approve, force-cancel, assign and take over; the state machine
 * (scans kept across a hand-off, a partial pick never completes); races decided by one
 * conditional write; and the events the order screens reload on, from the inventory room.
 */
import { describe, expect, it } from "vitest";
import { inventoryItems } from "../../../src/db/schema";
import { arr, call, loginAs, testDeps, unique } from "../../helpers";
import { useFakeShop } from "../../magento/fake-shop";
import { openSocket } from "../../ws";

const shop = useFakeShop();

const start = async (token: string, order: string) => {
  const r = await call("/api/v1/magento/session/start", { token, body: { order_number: order, session_type: "pick" } });
  expect(r.status, JSON.stringify(r.json)).toBe(201);
  return String(r.json.session_id);
};
const scan = (token: string, session: string, sku: string, quantity = 1) =>
  call("/api/v1/magento/session/scan", { token, body: { session_id: session, sku, quantity, field: "auto" } });
const post = (path: string, token: string, body: unknown = {}) => call(`/api/v1/magento/${path}`, { token, body });
const status = async (token: string, session: string) => (await call(`/api/v1/magento/session/status/${session}`, { token })).json;

describe("RM365 pick & pack hand-offs", () => {
  it("release keeps the scans; only the owner releases; a picker claims a draft but never someone's session in progress", async () => {
    const [ann, bob] = [await loginAs("operator"), await loginAs("operator")];
    const order = shop.addOrder([{ sku: "RM-A", name: "A", qty_ordered: 3 }]);
    const session = await start(ann.token, order);
    expect((await scan(ann.token, session, "RM-A")).status).toBe(200);

    // Bob can neither release, claim, nor send Ann's session to checking while she picks it.
    expect((await post(`sessions/${session}/release`, bob.token)).status).toBe(403);
    const stolen = await post(`sessions/${session}/claim`, bob.token);
    expect(stolen.status).toBe(409);
    expect(stolen.json.detail).toMatch(/in_progress by/);
    expect((await post("tracking/mark-ready-to-check", bob.token, { session_id: session })).status).toBe(403);
    expect(await status(ann.token, session)).toMatchObject({ status: "in_progress", current_owner: ann.username });

    const released = await post(`sessions/${session}/release`, ann.token, {});
    expect(released.status).toBe(200);
    expect(released.json).toMatchObject({ success: true, session_id: session });
    expect(await status(ann.token, session)).toMatchObject({ status: "draft", current_owner: null, items_scanned: 1 });
    // The client reads `can_claim: false` on a draft as "your own draft".
    expect((await call(`/api/v1/magento/session/check/${order}`, { token: ann.token })).json).toMatchObject({ status: "draft", can_claim: false });
    expect((await call(`/api/v1/magento/session/check/${order}`, { token: bob.token })).json).toMatchObject({
      status: "draft",
      can_claim: true,
      session_id: session,
    });
    // A draft takes no scans and cannot be released again.
    expect((await scan(ann.token, session, "RM-A")).status).toBe(409);
    expect((await post(`sessions/${session}/release`, ann.token)).status).toBe(409);

    expect((await post(`sessions/${session}/claim`, bob.token)).status).toBe(200);
    expect(await status(bob.token, session)).toMatchObject({ status: "in_progress", current_owner: bob.username, items_scanned: 1 });
    // Ann is now the outsider: her scans are refused, Bob's count.
    expect((await scan(ann.token, session, "RM-A")).status).toBe(403);
    expect((await scan(bob.token, session, "RM-A", 2)).json).toMatchObject({ qty_scanned: 3, all_items_complete: true });
    expect((await post(`sessions/${session}/claim`, ann.token)).status).toBe(409);
    expect((await post("sessions/no-such-session/claim", ann.token)).status).toBe(404);
  });

  it("two pickers claiming one draft at once: exactly one wins", async () => {
    const [ann, bob, cat] = [await loginAs("operator"), await loginAs("operator"), await loginAs("operator")];
    const session = await start(ann.token, shop.addOrder([{ sku: "RM-B", qty_ordered: 1 }]));
    expect((await post(`sessions/${session}/release`, ann.token)).status).toBe(200);
    const results = await Promise.all([post(`sessions/${session}/claim`, bob.token), post(`sessions/${session}/claim`, cat.token)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const winner = results[0]?.status === 200 ? bob : cat;
    expect(await status(ann.token, session)).toMatchObject({ status: "in_progress", current_owner: winner.username });
  });

  it("a partial pick sent to checking cannot be completed; released and claimed, it is finished and completes", async () => {
    const ann = await loginAs("operator");
    const session = await start(ann.token, shop.addOrder([{ sku: "RM-C", qty_ordered: 2 }]));
    expect((await scan(ann.token, session, "RM-C")).status).toBe(200);
    const marked = await post("tracking/mark-ready-to-check", ann.token, { session_id: session });
    expect(marked.status).toBe(200);
    expect(marked.json).toMatchObject({ success: true, session_id: session });
    expect((await call("/api/v1/magento/tracking/board", { token: ann.token })).json.ready_to_check).toEqual(
      expect.arrayContaining([expect.objectContaining({ session_id: session })]),
    );
    // Marking again is harmless; completing short is refused whatever the client asks.
    expect((await post("tracking/mark-ready-to-check", ann.token, { session_id: session })).status).toBe(200);
    expect((await post("session/complete", ann.token, { session_id: session, force_complete: true })).status).toBe(409);

    expect((await post(`sessions/${session}/release`, ann.token)).status).toBe(200);
    expect((await post(`sessions/${session}/claim`, ann.token)).status).toBe(200);
    expect((await scan(ann.token, session, "RM-C")).status).toBe(200);
    expect((await post("session/complete", ann.token, { session_id: session, force_complete: false })).status).toBe(200);
    // Closed sessions move no further.
    expect((await post("tracking/mark-ready-to-check", ann.token, { session_id: session })).status).toBe(409);
    expect((await post(`sessions/${session}/release`, ann.token)).status).toBe(409);
    const missing = await post("tracking/mark-ready-to-check", ann.token, {});
    expect(missing.status).toBe(422);
    expect(missing.json.detail).toBeDefined();
  });

  it("only a fulfillment manager forces: cancel with a reason, assign to someone who may pick, take over; never their own or a closed session", async () => {
    const [ann, bob] = [await loginAs("operator"), await loginAs("operator")];
    const admin = await loginAs("admin");
    const viewer = await loginAs("viewer");
    const session = await start(ann.token, shop.addOrder([{ sku: "RM-D", qty_ordered: 2 }]));

    for (const action of ["force-cancel", "force-assign", "takeover"]) {
      const r = await post(`dashboard/sessions/${session}/${action}`, bob.token, { target_user_id: bob.username, reason: "mine now" });
      expect(r.status, action).toBe(403);
    }
    expect(await status(ann.token, session)).toMatchObject({ status: "in_progress", current_owner: ann.username });

    // The target must exist, be active and be allowed to pick.
    expect((await post(`dashboard/sessions/${session}/force-assign`, admin.token, { target_user_id: "nobody-here" })).status).toBe(404);
    const cannot = await post(`dashboard/sessions/${session}/force-assign`, admin.token, { target_user_id: viewer.username });
    expect(cannot.status).toBe(400);
    expect(cannot.json.detail).toMatch(/may not pick/);
    expect((await post(`dashboard/sessions/${session}/force-assign`, admin.token, { target_user_id: ann.username })).status).toBe(409);

    const assigned = await post(`dashboard/sessions/${session}/force-assign`, admin.token, { target_user_id: bob.username });
    expect(assigned.json).toMatchObject({ success: true, assigned_by: admin.username, assigned_to: bob.username });
    expect((await scan(ann.token, session, "RM-D")).status).toBe(403);
    expect((await scan(bob.token, session, "RM-D")).status).toBe(200);

    const took = await post(`dashboard/sessions/${session}/takeover`, admin.token);
    expect(took.status).toBe(200);
    expect(took.json).toMatchObject({ session_id: session, order_number: expect.any(String), invoice_number: expect.any(String) });
    expect(await status(admin.token, session)).toMatchObject({ status: "in_progress", current_owner: admin.username, items_scanned: 1 });
    const again = await post(`dashboard/sessions/${session}/takeover`, admin.token);
    expect(again.status).toBe(409);
    expect(again.json.detail).toBe("You cannot take over your own session");

    const cancelled = await post(`dashboard/sessions/${session}/force-cancel`, admin.token, { reason: "Customer called" });
    expect(cancelled.json).toMatchObject({ success: true, cancelled_by: admin.username });
    expect(await status(admin.token, session)).toMatchObject({ status: "cancelled", cancel_reason: "Customer called" });
    for (const action of ["force-cancel", "takeover"]) expect((await post(`dashboard/sessions/${session}/${action}`, admin.token)).status, action).toBe(409);
  });

  it("approval: a supervisor approves a processing order, it leaves the pending list, and the picker who starts it claims that session", async () => {
    const [admin, ann] = [await loginAs("admin"), await loginAs("operator")];
    const order = shop.addOrder([{ sku: "RM-E", qty_ordered: 1 }], { customer_email: "buyer@example.com", grand_total: 42.5 });
    const onHold = shop.addOrder([{ sku: "RM-E", qty_ordered: 1 }], { state: "holded", status: "holded" });
    // Display fields Magento fills freely never make an order unreadable: clipped, or absent when odd.
    const odd = shop.addOrder([{ sku: "RM-E2", qty_ordered: 1 }]);
    Object.assign(shop.orders.at(-1) ?? {}, { shipping_description: "Courier ".repeat(100), payment: { method: 42 } });

    const pending = await call("/api/v1/magento/tracking/pending-orders", { token: admin.token });
    expect(pending.status).toBe(200);
    const listed = arr(pending.json.orders);
    expect(listed.find((o) => String(o.order_number) === order)).toMatchObject({
      customer_email: "buyer@example.com",
      grand_total: 42.5,
      status: "processing",
    });
    expect(listed.map((o) => o.order_number)).not.toContain(onHold);
    const oddListed = listed.find((o) => String(o.order_number) === odd);
    expect(String(oddListed?.shipping_method)).toHaveLength(255);
    expect(oddListed).toMatchObject({ payment_method: null });
    expect((await call("/api/v1/magento/session/start", { token: ann.token, body: { order_number: odd, session_type: "pick" } })).status).toBe(201);

    expect((await post("tracking/approve-order", ann.token, { order_number: order })).status).toBe(403);
    const approved = await post("tracking/approve-order", admin.token, { order_number: order });
    expect(approved.status).toBe(200);
    const session = String(approved.json.session_id);
    expect((await post("tracking/approve-order", admin.token, { order_number: order })).status).toBe(409);
    expect((await post("tracking/approve-order", admin.token, { order_number: "NOPE-404" })).status).toBe(404);
    const after = arr((await call("/api/v1/magento/tracking/pending-orders", { token: admin.token })).json.orders);
    expect(after.map((o) => o.order_number)).not.toContain(order);

    expect((await call(`/api/v1/magento/session/check/${order}`, { token: ann.token })).json).toMatchObject({ status: "approved", can_start: true });
    // An approved session takes no scans until someone picks it up.
    expect((await scan(admin.token, session, "RM-E")).status).toBe(409);
    const started = await call("/api/v1/magento/session/start", { token: ann.token, body: { order_number: order, session_type: "pick" } });
    expect(started.status).toBe(201);
    expect(started.json).toMatchObject({ session_id: session, status: "in_progress", created_by: ann.username });
    expect((await scan(ann.token, session, "RM-E")).json).toMatchObject({ all_items_complete: true });
  });

  it("the inventory room hears session_drafted, session_started (claim), session_transferred (new_owner) and session_forced_cancel (reason)", async () => {
    const [ann, admin] = [await loginAs("operator"), await loginAs("admin")];
    // RM365_SOCKET_LOCATION ("main" in tests) is a real location once it holds an item.
    await testDeps()
      .db.insert(inventoryItems)
      .values({ id: crypto.randomUUID(), sku: unique("main").toUpperCase(), name: "Seed", location: "main", quantity: 0 })
      .onConflictDoNothing();
    const socket = await openSocket("/api/v1/inventory/rooms/main/ws", { token: admin.token });
    await socket.next("snapshot");
    const about = (type: string, session: string) => (m: { type?: string; data?: unknown }) =>
      m.type === type && (m.data as { session_id?: string } | undefined)?.session_id === session;

    const session = await start(ann.token, shop.addOrder([{ sku: "RM-F", qty_ordered: 1 }]));
    await socket.next(about("session_started", session));
    expect((await post(`sessions/${session}/release`, ann.token)).status).toBe(200);
    expect((await socket.next(about("session_drafted", session))).data).toMatchObject({ status: "draft", username: ann.username });
    expect((await post(`sessions/${session}/claim`, ann.token)).status).toBe(200);
    expect((await socket.next(about("session_started", session))).data).toMatchObject({ status: "in_progress" });
    expect((await post("tracking/mark-ready-to-check", ann.token, { session_id: session })).status).toBe(200);
    expect((await socket.next(about("session_updated", session))).data).toMatchObject({ status: "ready_to_check" });

    expect((await post(`dashboard/sessions/${session}/takeover`, admin.token)).status).toBe(200);
    expect((await socket.next(about("session_transferred", session))).data).toMatchObject({
      previous_owner: ann.username,
      new_owner: admin.username,
      username: admin.username,
    });
    expect((await post(`dashboard/sessions/${session}/force-cancel`, admin.token, { reason: "Duplicate order" })).status).toBe(200);
    expect((await socket.next(about("session_cancelled", session))).data).toMatchObject({ status: "cancelled" });
    expect((await socket.next(about("session_forced_cancel", session))).data).toMatchObject({ reason: "Duplicate order", status: "cancelled" });
    socket.close();
  });
});
