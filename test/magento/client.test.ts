import { describe, expect, it } from "vitest";
import { featureReader } from "../../src/lib/config";
import { findOrder, MAX_ANSWER_BYTES, type MagentoOrder, magentoClient, searchCriteria } from "../../src/modules/magento/client";
import { pickLines } from "../../src/modules/magento/service";
import { createFakeMagento } from "../../workers/fake-magento/fake";
import demoOrders from "../../workers/fake-magento/orders.json";
import { testDeps } from "../helpers";

const shopEnv = () => ({ ...testDeps().env, MAGENTO_BASE_URL: "https://shop.test", MAGENTO_TOKEN: "t0ken" });
const deps = (env: object = shopEnv()) => ({ feature: featureReader(env) });

describe("magento client", () => {
  it("encodes searchCriteria as Magento's bracketed query", () => {
    const params = searchCriteria({
      groups: [[{ field: "increment_id", value: "000000101" }], [{ field: "state", value: 2, condition: "neq" }]],
      pageSize: 5,
      sort: { field: "created_at", direction: "DESC" },
    });
    expect([...params]).toEqual([
      ["searchCriteria[filter_groups][0][filters][0][field]", "increment_id"],
      ["searchCriteria[filter_groups][0][filters][0][value]", "000000101"],
      ["searchCriteria[filter_groups][0][filters][0][condition_type]", "eq"],
      ["searchCriteria[filter_groups][1][filters][0][field]", "state"],
      ["searchCriteria[filter_groups][1][filters][0][value]", "2"],
      ["searchCriteria[filter_groups][1][filters][0][condition_type]", "neq"],
      ["searchCriteria[pageSize]", "5"],
      ["searchCriteria[currentPage]", "1"],
      ["searchCriteria[sortOrders][0][field]", "created_at"],
      ["searchCriteria[sortOrders][0][direction]", "DESC"],
    ]);
  });

  it("backs off between retries (200 ms, then 400 ms) and stops after the last one", async () => {
    const waits: number[] = [];
    let calls = 0;
    const client = magentoClient(deps(), {
      retries: 2,
      sleep: async (ms) => {
        waits.push(ms);
      },
      fetch: async () => {
        calls++;
        return new Response("busy", { status: 503 });
      },
    });
    await expect(findOrder(client, "1")).rejects.toMatchObject({ status: 502, message: "Magento answered HTTP 503 (3 attempts)" });
    expect(calls).toBe(3);
    expect(waits).toEqual([200, 400]);
  });

  it("a retry that succeeds returns the answer; a 4xx is not retried", async () => {
    const fake = createFakeMagento({ token: "t0ken", orders: demoOrders });
    let calls = 0;
    const flaky = magentoClient(deps(), {
      sleep: async () => undefined,
      fetch: async (request) => {
        calls++;
        return calls === 1 ? new Response("", { status: 502 }) : fake.fetch(request);
      },
    });
    expect((await findOrder(flaky, "000000102"))?.entity_id).toBe(102);
    expect(calls).toBe(2);

    calls = 0;
    const notFound = magentoClient(deps(), {
      fetch: async () => {
        calls++;
        return new Response(JSON.stringify({ message: "Request does not match any route." }), { status: 404 });
      },
    });
    await expect(findOrder(notFound, "1")).rejects.toMatchObject({ status: 502, message: "Magento refused the request (HTTP 404)" });
    expect(calls).toBe(1);
  });

  it("refuses oversized upstream strings rather than storing them", async () => {
    const long: MagentoOrder = { entity_id: 1, increment_id: "1", items: [{ item_id: 1, sku: "x".repeat(65), qty_ordered: 1, qty_invoiced: 1 }] };
    const client = magentoClient(deps(), { fetch: async () => new Response(JSON.stringify({ items: [long], total_count: 1 })) });
    await expect(findOrder(client, "1")).rejects.toMatchObject({ status: 502, message: "Magento's orders answer has an unexpected shape" });
  });
});

describe("magento client: token safety", () => {
  it("does not follow a redirect (the token would go along): a 302 is a 502 and nothing reaches the other host", async () => {
    const fake = createFakeMagento({ token: "t0ken", orders: demoOrders });
    const elsewhere: (string | null)[] = [];
    // Behaves like the runtime's fetch: follows a 3xx when the request says "follow" (the default).
    const shopThatRedirects = async (request: Request): Promise<Response> => {
      if (new URL(request.url).host === "evil.test") {
        elsewhere.push(request.headers.get("authorization"));
        return fake.fetch(new Request(request.url.replace("https://evil.test", "https://shop.test"), request));
      }
      const redirect = new Response(null, { status: 302, headers: { location: request.url.replace("https://shop.test", "https://evil.test") } });
      if (request.redirect === "manual") return redirect;
      return shopThatRedirects(new Request(redirect.headers.get("location") ?? "", request));
    };
    const client = magentoClient(deps(), { fetch: shopThatRedirects, sleep: async () => undefined });
    await expect(findOrder(client, "000000101")).rejects.toMatchObject({ status: 502, message: "Magento refused the request (HTTP 302)" });
    expect(elsewhere).toEqual([]);
  });

  it("refuses an http:// MAGENTO_BASE_URL outside development and test (503 naming the variable)", () => {
    for (const ENVIRONMENT of ["production", "staging", undefined]) {
      const env = { ...shopEnv(), MAGENTO_BASE_URL: "http://shop.test", ENVIRONMENT };
      expect(() => magentoClient(deps(env))).toThrow(expect.objectContaining({ status: 503, message: expect.stringContaining("MAGENTO_BASE_URL") }));
    }
    for (const ENVIRONMENT of ["development", "test"]) {
      expect(magentoClient(deps({ ...shopEnv(), MAGENTO_BASE_URL: "http://127.0.0.1:8791", ENVIRONMENT })).baseUrl).toBe("http://127.0.0.1:8791");
    }
    expect(magentoClient(deps({ ...shopEnv(), ENVIRONMENT: "production" })).baseUrl).toBe("https://shop.test");
  });
});

describe("magento client: answers it must not trust", () => {
  it("an answer whose order is not the one asked for (a filter the shop ignored) is no order", async () => {
    const other: MagentoOrder = { entity_id: 7, increment_id: "000000999", items: [{ item_id: 1, sku: "X", qty_ordered: 1, qty_invoiced: 1 }] };
    const client = magentoClient(deps(), { fetch: async () => new Response(JSON.stringify({ items: [other], total_count: 1 })) });
    expect(await findOrder(client, "000000101")).toBeUndefined();
    expect((await findOrder(client, "000000999"))?.entity_id).toBe(7);
  });

  it("refuses an answer over 2 MB, declared or streamed, without reading it all", async () => {
    const declared = magentoClient(deps(), {
      fetch: async () => new Response(JSON.stringify({ items: [], total_count: 0 }), { headers: { "content-length": String(MAX_ANSWER_BYTES + 1) } }),
    });
    await expect(findOrder(declared, "1")).rejects.toMatchObject({ status: 502, message: `Magento's answer is larger than ${MAX_ANSWER_BYTES} bytes` });
    let pulled = 0;
    const chunk = new TextEncoder().encode(" ".repeat(64 * 1024));
    const endless = magentoClient(deps(), {
      fetch: async () =>
        new Response(
          new ReadableStream<Uint8Array>({
            pull(controller) {
              pulled++;
              if (pulled > 100) controller.close();
              else controller.enqueue(chunk);
            },
          }),
        ),
    });
    await expect(findOrder(endless, "1")).rejects.toMatchObject({ status: 502, message: `Magento's answer is larger than ${MAX_ANSWER_BYTES} bytes` });
    expect(pulled).toBeLessThanOrEqual(MAX_ANSWER_BYTES / chunk.byteLength + 2);
  });
});

describe("pick lines", () => {
  it("picks a bundle's children, a configurable's parent, sums repeated SKUs and drops uninvoiced lines", () => {
    const order: MagentoOrder = {
      entity_id: 1,
      increment_id: "1",
      items: [
        { item_id: 1, sku: "KIT", name: "Kit", qty_ordered: 1, qty_invoiced: 1, product_type: "bundle" },
        { item_id: 2, sku: "BOLT", name: "Bolt", qty_ordered: 2, qty_invoiced: 2, parent_item_id: 1 },
        { item_id: 3, sku: "SHIRT-M", name: "Shirt M", qty_ordered: 3, qty_invoiced: 3, product_type: "configurable" },
        { item_id: 4, sku: "SHIRT-M", name: "Shirt M (child)", qty_ordered: 3, qty_invoiced: 3, product_type: "simple", parent_item_id: 3 },
        { item_id: 5, sku: "bolt", name: "Bolt", qty_ordered: 1, qty_invoiced: 1 },
        { item_id: 6, sku: "LATER", name: "Back-ordered", qty_ordered: 4, qty_invoiced: 0 },
      ],
    };
    expect(pickLines(order)).toEqual([
      { sku: "BOLT", name: "Bolt", qtyOrdered: 3, qtyInvoiced: 3 },
      { sku: "SHIRT-M", name: "Shirt M", qtyOrdered: 3, qtyInvoiced: 3 },
    ]);
  });

  it("the bundled demo orders are valid Magento answers", async () => {
    const fake = createFakeMagento({ token: "t0ken", orders: demoOrders });
    const client = magentoClient(deps(), { fetch: (request) => fake.fetch(request) });
    const order = await findOrder(client, "000000103");
    expect(order && pickLines(order).map((l) => [l.sku, l.qtyInvoiced])).toEqual([
      ["RM-BOLT-M8", 1],
      ["RM-GLOVES-L", 2],
    ]);
  });
});
