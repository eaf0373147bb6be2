/**
 * The fake Magento shop for tests: the worker's outbound `fetch` is routed to
 * workers/fake-magento/fake.ts (the same fake `npm run dev` serves), so nothing reaches the
 * internet. A test can make the shop fail (5xx, hang until the deadline, drop the connection,
 * answer garbage) and read the requests it received.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, vi } from "vitest";
import { createFakeMagento, type FakeOrder, type FakeOrderItem } from "../../workers/fake-magento/fake";

export const TEST_MAGENTO_TOKEN = "test-magento-token";

type Mode = "ok" | "error500" | "hang" | "network" | "garbage" | "wrong-shape";

let counter = 0;

/** Installs the fake for each test of the calling file; returns its controls. */
export function useFakeShop() {
  const orders: FakeOrder[] = [];
  const fake = createFakeMagento({ token: TEST_MAGENTO_TOKEN, orders });
  const state = { mode: "ok" as Mode, requests: [] as Request[] };
  const saved: Record<string, unknown> = {};
  const settings = env as unknown as Record<string, unknown>;

  /** Sets worker variables for this test (restored afterwards). */
  const setEnv = (values: Record<string, string | undefined>) => {
    for (const [key, value] of Object.entries(values)) {
      if (!(key in saved)) saved[key] = settings[key];
      if (value === undefined) delete settings[key];
      else settings[key] = value;
    }
  };

  beforeEach(() => {
    state.mode = "ok";
    state.requests = [];
    setEnv({ MAGENTO_TOKEN: TEST_MAGENTO_TOKEN, MAGENTO_TIMEOUT_MS: "2000", MAGENTO_RETRIES: "2" });
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const request = new Request(input, init);
      if (!request.url.startsWith(String(settings.MAGENTO_BASE_URL))) throw new Error(`unexpected outbound fetch to ${request.url}`);
      state.requests.push(request);
      switch (state.mode) {
        case "error500":
          return new Response(JSON.stringify({ message: "Internal error" }), { status: 500 });
        case "network":
          throw new TypeError("Network connection lost.");
        case "hang":
          return new Promise<Response>((_, reject) => {
            request.signal.addEventListener("abort", () => reject(request.signal.reason));
          });
        case "garbage":
          return new Response("<html>maintenance</html>", { status: 200, headers: { "content-type": "text/html" } });
        case "wrong-shape":
          return new Response(JSON.stringify({ items: [{ entity_id: "not-a-number" }], total_count: 1 }), { status: 200 });
        default:
          return fake.fetch(request);
      }
    });
  });

  afterEach(() => {
    vi.restoreAllMocks();
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete settings[key];
      else settings[key] = value;
      delete saved[key];
    }
  });

  /** Adds a paid, invoiced order to the shop; returns its order number. */
  function addOrder(items: Partial<FakeOrderItem>[] = [{ sku: "SKU-A", qty_ordered: 2 }], extra: Partial<FakeOrder> = {}): string {
    counter++;
    const entityId = 900_000 + counter + Math.floor(Math.random() * 1000) * 1000;
    const orderNumber = `T${entityId}`;
    orders.push({
      entity_id: entityId,
      increment_id: orderNumber,
      state: "processing",
      status: "processing",
      created_at: "2026-11-20 08:00:00",
      customer_firstname: "Test",
      customer_lastname: "Customer",
      customer_email: "test@example.com",
      grand_total: 10,
      items: items.map((item, n) => ({
        item_id: entityId * 10 + n,
        sku: `SKU-${n}`,
        name: `Item ${n}`,
        qty_ordered: 1,
        price: 1,
        ...item,
        qty_invoiced: item.qty_invoiced ?? item.qty_ordered ?? 1,
      })),
      invoices: [{ entity_id: entityId, increment_id: `INV${entityId}`, state: 2, created_at: "2026-11-20 08:05:00" }],
      ...extra,
    });
    return orderNumber;
  }

  return { state, orders, addOrder, setEnv };
}
