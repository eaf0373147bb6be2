/**
 * A fake of the few Magento 2 REST endpoints Floorline reads: `GET /rest/V1/orders` and
 * `GET /rest/V1/invoices` with `searchCriteria`, behind a Bearer token. Tests route the API
 * worker's outbound fetch to it (test/magento/fake-shop.ts); `npm run dev` serves it on loopback
 * from scripts/fake-magento.mjs. It is not part of any deployed worker.
 *
 * Orders are plain data (orders.json for dev); invoices are derived from each order's
 * `invoices` list, their items from the order's invoiced quantities, as Magento does.
 */

/** One order line, as Magento's `items[]` of an order. */
export interface FakeOrderItem {
  item_id: number;
  sku: string;
  name: string;
  qty_ordered: number;
  qty_invoiced: number;
  price: number;
  product_type?: string;
  parent_item_id?: number;
}

/** An invoice header; state 1 pending, 2 paid, 3 canceled. */
export interface FakeInvoice {
  entity_id: number;
  increment_id: string;
  state: number;
  created_at: string;
}

/** An order with its invoices. */
export interface FakeOrder {
  entity_id: number;
  increment_id: string;
  state: string;
  status: string;
  created_at: string;
  customer_firstname: string;
  customer_lastname: string;
  customer_email: string;
  grand_total: number;
  items: FakeOrderItem[];
  invoices: FakeInvoice[];
}

interface Filter {
  field: string;
  value: string;
  condition: string;
}

/** `searchCriteria[filter_groups][g][filters][f][field|value|condition_type]`: groups AND, filters OR. */
function parseSearchCriteria(params: URLSearchParams): { groups: Filter[][]; pageSize: number; currentPage: number; sort?: { field: string; desc: boolean } } {
  const groups = new Map<string, Map<string, Partial<Filter>>>();
  let pageSize = 20;
  let currentPage = 1;
  const sortField = params.get("searchCriteria[sortOrders][0][field]");
  const sort = sortField ? { field: sortField, desc: params.get("searchCriteria[sortOrders][0][direction]") === "DESC" } : undefined;
  for (const [key, value] of params) {
    const filter = /^searchCriteria\[filter_groups\]\[(\d+)\]\[filters\]\[(\d+)\]\[(field|value|condition_type)\]$/.exec(key);
    if (filter) {
      const [, g = "0", f = "0", part] = filter;
      const group = groups.get(g) ?? new Map<string, Partial<Filter>>();
      groups.set(g, group);
      const entry = group.get(f) ?? {};
      group.set(f, entry);
      if (part === "field") entry.field = value;
      else if (part === "value") entry.value = value;
      else entry.condition = value;
      continue;
    }
    if (key === "searchCriteria[pageSize]") pageSize = Number(value);
    if (key === "searchCriteria[currentPage]") currentPage = Number(value);
  }
  return {
    groups: [...groups.values()].map((group) =>
      [...group.values()].map((f) => ({ field: f.field ?? "", value: f.value ?? "", condition: f.condition ?? "eq" })),
    ),
    pageSize,
    currentPage,
    ...(sort ? { sort } : {}),
  };
}

function matches(record: Record<string, unknown>, filter: Filter): boolean {
  const actual = String(record[filter.field] ?? "");
  switch (filter.condition) {
    case "eq":
      return actual === filter.value;
    case "neq":
      return actual !== filter.value;
    case "in":
      return filter.value.split(",").includes(actual);
    // Magento compares dates ("YYYY-MM-DD HH:MM:SS") and numbers; text order suffices for the dates the fake holds.
    case "gteq":
      return actual >= filter.value;
    case "lteq":
      return actual <= filter.value;
    default:
      return false;
  }
}

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

function invoicesOf(order: FakeOrder) {
  return order.invoices.map((invoice) => ({
    entity_id: invoice.entity_id,
    increment_id: invoice.increment_id,
    order_id: order.entity_id,
    state: invoice.state,
    created_at: invoice.created_at,
    grand_total: order.grand_total,
    items: order.items
      .filter((item) => item.qty_invoiced > 0)
      .map((item, n) => ({
        entity_id: invoice.entity_id * 100 + n,
        order_item_id: item.item_id,
        sku: item.sku,
        name: item.name,
        qty: item.qty_invoiced,
        price: item.price,
        ...(item.parent_item_id ? { parent_id: item.parent_item_id } : {}),
      })),
  }));
}

/** The fake: `fetch(request)` answers as Magento would. */
export function createFakeMagento(options: { token: string; orders: readonly FakeOrder[] }) {
  return {
    async fetch(request: Request): Promise<Response> {
      const url = new URL(request.url);
      if (request.headers.get("authorization") !== `Bearer ${options.token}`) {
        return json({ message: "The consumer isn't authorized to access %resources.", parameters: { resources: "Magento_Sales::sales" } }, 401);
      }
      if (request.method !== "GET") return json({ message: "Request does not match any route." }, 404);
      const criteria = parseSearchCriteria(url.searchParams);
      let records: Record<string, unknown>[];
      if (url.pathname === "/rest/V1/orders") records = options.orders.map((order) => ({ ...order, invoices: undefined }));
      else if (url.pathname === "/rest/V1/invoices") records = options.orders.flatMap(invoicesOf);
      else return json({ message: "Request does not match any route." }, 404);
      const found = records.filter((record) => criteria.groups.every((group) => group.some((filter) => matches(record, filter))));
      const { sort } = criteria;
      if (sort) {
        found.sort((a, b) => String(a[sort.field] ?? "").localeCompare(String(b[sort.field] ?? "")) * (sort.desc ? -1 : 1));
      }
      const start = (criteria.currentPage - 1) * criteria.pageSize;
      return json({
        items: found.slice(start, start + criteria.pageSize).map((record) => JSON.parse(JSON.stringify(record))),
        search_criteria: { filter_groups: [], page_size: criteria.pageSize, current_page: criteria.currentPage },
        total_count: found.length,
      });
    },
  };
}
