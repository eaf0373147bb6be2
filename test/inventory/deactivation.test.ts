import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { closeInventorySockets } from "../../src/modules/inventory/live";
import { call, loginAs, testDeps, unique } from "../helpers";
import { eventually, openSocket } from "../ws";

const INV = { allowed_tabs: ["inventory"] };
const room = (location: string) => env.INVENTORY_ROOM.get(env.INVENTORY_ROOM.idFromName(location));

async function join(location: string, token: string) {
  const socket = await openSocket(`/api/v1/inventory/rooms/${encodeURIComponent(location)}/ws`, { token });
  await socket.next("system_alert");
  await socket.next("snapshot");
  return socket;
}

async function stockLocation(token: string): Promise<string> {
  const location = unique("Aisle");
  const r = await call("/api/v1/inventory/items", { token, body: { sku: unique("dx").toUpperCase(), name: "Bin", location, quantity: 1 } });
  expect(r.status).toBe(201);
  return location;
}

describe("deactivated users and the inventory rooms", () => {
  it("deactivating a user (PATCH is_active: false) closes their sockets in every location's room (1008); the others see them leave", async () => {
    const admin = await loginAs("admin");
    const manager = await loginAs("production_manager", INV);
    const [first, second] = [await stockLocation(manager.token), await stockLocation(manager.token)];
    const [gone, stays] = [await loginAs("operator", INV), await loginAs("operator", INV)];
    const watcher = await join(first, stays.token);
    const goneFirst = await join(first, gone.token);
    const goneSecond = await join(second, gone.token);
    await watcher.next((m) => m.type === "user_joined" && String(m.data?.user_id) === gone.id);

    const patched = await call("/api/v1/users", { method: "PATCH", token: admin.token, body: { username: gone.username, is_active: false } });
    expect(patched.status).toBe(200);
    expect(await goneFirst.closed()).toEqual({ code: 1008, reason: "Account deactivated" });
    expect(await goneSecond.closed()).toEqual({ code: 1008, reason: "Account deactivated" });
    expect(await watcher.next((m) => m.type === "user_left" && String(m.data?.user_id) === gone.id)).toMatchObject({ type: "user_left" });
    await eventually(async () => (await room(first).connections()).map((c) => c.userId).join() === stays.id, 2000, "only the one who stays");

    // The one who stays is untouched.
    watcher.send({ type: "ping", timestamp: "x" });
    expect(await watcher.next("pong")).toMatchObject({ type: "pong" });
    watcher.close();
  });

  it("closeInventorySockets closes only that user's sockets and counts them", async () => {
    const manager = await loginAs("production_manager", INV);
    const location = await stockLocation(manager.token);
    const [gone, stays] = [await loginAs("operator", INV), await loginAs("operator", INV)];
    const a = await join(location, gone.token);
    const b = await join(location, gone.token);
    const other = await join(location, stays.token);
    expect(await closeInventorySockets(testDeps(), { userId: gone.id }, "Account deactivated")).toBe(2);
    expect(await a.closed()).toMatchObject({ code: 1008 });
    expect(await b.closed()).toMatchObject({ code: 1008 });
    expect(await closeInventorySockets(testDeps(), { userId: gone.id }, "Account deactivated")).toBe(0);
    other.send({ type: "ping", timestamp: "x" });
    expect(await other.next("pong")).toMatchObject({ type: "pong" });
    other.close();
  });
});
