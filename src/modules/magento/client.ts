/**
 * A small Magento 2 REST client: orders and invoices by `searchCriteria`, with a Bearer
 * integration token (`MAGENTO_BASE_URL`, secret `MAGENTO_TOKEN`).
 *
 * `MAGENTO_BASE_URL` must be https:// unless ENVIRONMENT is development or test (503 otherwise), and
 * redirects are never followed (the token would go along): a 3xx answer is a 502.
 *
 * Every call has a deadline (`AbortSignal.timeout`, MAGENTO_TIMEOUT_MS per attempt) and is
 * retried a bounded number of times (MAGENTO_RETRIES) with exponential backoff on network
 * errors, timeouts, 429 and 5xx. Anything else that is not a 2xx, any answer over
 * MAX_ANSWER_BYTES (declared or read), and any answer whose JSON does not match the shapes below, is a 502 that says what went wrong upstream, never a 500. The
 * shapes bound every string and list this API stores.
 */
import { z } from "zod";
import { envDoc, featureConfig } from "../../lib/config";
import type { Deps } from "../../lib/deps";
import { AppError } from "../../lib/errors";
import { describeError, log } from "../../lib/logging";
import { readBounded } from "../../lib/upstream";

/** The shop's settings: `deps.feature(magentoConfig)`. */
export const magentoConfig = featureConfig({
  feature: "Magento",
  schema: z.object({
    MAGENTO_BASE_URL: z
      .url({ protocol: /^https?$/ })
      .max(2048)
      .meta(
        envDoc(
          "var",
          "Magento 2 base URL for pick & pack (`{base}/rest/V1/orders`, `/invoices`); https:// outside development and test; set it per environment before deploying",
          "`http://127.0.0.1:8791` locally (the fake shop `npm run dev` starts, moved with `FAKE_MAGENTO_PORT`); a placeholder shop URL in staging/production",
        ),
      ),
    MAGENTO_TOKEN: z
      .string()
      .min(1)
      .max(2048)
      .meta(
        envDoc(
          "secret",
          "Magento integration access token (Bearer); without it the Magento routes answer 503 `Magento is not configured: MAGENTO_TOKEN`",
          "dev value in `.dev.vars.example` (the fake shop accepts it)",
        ),
      ),
    MAGENTO_TIMEOUT_MS: z.coerce
      .number()
      .int()
      .min(1)
      .max(60_000)
      .default(8000)
      .meta(envDoc("var, optional", "deadline of one Magento request, in milliseconds")),
    MAGENTO_RETRIES: z.coerce
      .number()
      .int()
      .min(0)
      .max(5)
      .default(2)
      .meta(envDoc("var, optional", "retries after a network error, timeout, 429 or 5xx (backoff 200 ms, doubling); then 502")),
  }),
  message: (names) => `Magento is not configured: ${names.join(", ")}`,
  reason: "magento_not_configured",
  derive: (config, { environment }) => {
    // The Bearer token travels with every request: plain http only on a developer's machine or in tests.
    if (config.MAGENTO_BASE_URL.startsWith("http:") && environment !== "development" && environment !== "test") {
      throw new AppError("SERVICE_UNAVAILABLE", "Magento is not configured: MAGENTO_BASE_URL must be an https:// URL outside development and test", {
        reason: "magento_not_configured",
      });
    }
    return {
      baseUrl: config.MAGENTO_BASE_URL.replace(/\/+$/, ""),
      token: config.MAGENTO_TOKEN,
      timeoutMs: config.MAGENTO_TIMEOUT_MS,
      retries: config.MAGENTO_RETRIES,
    };
  },
});

/** How to reach the shop. `fetch` and `sleep` are the runtime's unless a test passes its own. */
export interface MagentoClient {
  baseUrl: string;
  token: string;
  timeoutMs: number;
  retries: number;
  /** First backoff delay in milliseconds; doubles per retry. */
  backoffMs: number;
  fetch: (request: Request) => Promise<Response>;
  sleep: (ms: number) => Promise<void>;
}

/**
 * The client configured from `magentoConfig`; 503 naming what is missing, or an http://
 * MAGENTO_BASE_URL outside development/test.
 */
export function magentoClient(deps: Pick<Deps, "feature">, overrides: Partial<MagentoClient> = {}): MagentoClient {
  return {
    ...deps.feature(magentoConfig),
    backoffMs: 200,
    // Looked up at call time, so the runtime's (or a test's) current fetch is used.
    fetch: (request) => fetch(request),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    ...overrides,
  };
}

// ---------------------------------------------------------------------------------------------
// Upstream shapes (only the fields Floorline reads; others are dropped).

const Qty = z.number().min(0).max(1_000_000);
const Sku = z.string().trim().min(1).max(64);
const Name = z.string().max(255);
const IncrementId = z.string().trim().min(1).max(32);

export const MagentoOrderItem = z.object({
  item_id: z.number().int(),
  sku: Sku,
  name: Name.nullish(),
  qty_ordered: Qty,
  qty_invoiced: Qty.default(0),
  product_type: z.string().max(32).nullish(),
  parent_item_id: z.number().int().nullish(),
});

/** Optional display text: cut to `max` characters; anything but text is read as absent. */
const clipped = (max: number) =>
  z
    .string()
    .nullish()
    .catch(null)
    .transform((v) => (v == null ? null : v.slice(0, max)))
    .optional();

export const MagentoOrder = z.object({
  entity_id: z.number().int(),
  increment_id: IncrementId,
  state: z.string().max(32).nullish(),
  status: z.string().max(32).nullish(),
  created_at: z.string().max(32).nullish(),
  customer_firstname: z.string().max(255).nullish(),
  customer_lastname: z.string().max(255).nullish(),
  // Display-only fields (RM365's approval screen): clipped, never a reason to refuse the answer.
  customer_email: clipped(255),
  grand_total: z.number().nullish().catch(null),
  total_qty_ordered: z.number().nullish().catch(null),
  shipping_description: clipped(255),
  payment: z
    .object({ method: clipped(64) })
    .nullish()
    .catch(null),
  items: z.array(MagentoOrderItem).max(500),
});
export type MagentoOrder = z.infer<typeof MagentoOrder>;

/** Invoice states: 1 pending, 2 paid, 3 canceled. */
export const INVOICE_STATE = { pending: 1, paid: 2, canceled: 3 } as const;

export const MagentoInvoice = z.object({
  entity_id: z.number().int(),
  increment_id: IncrementId,
  order_id: z.number().int(),
  state: z.number().int(),
  created_at: z.string().max(32).nullish(),
  grand_total: z.number().nullish(),
});
export type MagentoInvoice = z.infer<typeof MagentoInvoice>;

const searchResult = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item).max(500), total_count: z.number().int().min(0) });

// ---------------------------------------------------------------------------------------------
// Requests

/** One `searchCriteria` filter; filters in one group are OR-ed, groups are AND-ed. */
export interface Filter {
  field: string;
  value: string | number;
  condition?: "eq" | "neq" | "in" | "gteq" | "lteq" | "like";
}

export interface Search {
  /** AND of groups, each an OR of filters. */
  groups: Filter[][];
  pageSize: number;
  currentPage?: number;
  sort?: { field: string; direction: "ASC" | "DESC" };
}

/** Magento's bracketed `searchCriteria` query string. */
export function searchCriteria(search: Search): URLSearchParams {
  const params = new URLSearchParams();
  search.groups.forEach((group, g) => {
    group.forEach((filter, f) => {
      const prefix = `searchCriteria[filter_groups][${g}][filters][${f}]`;
      params.set(`${prefix}[field]`, filter.field);
      params.set(`${prefix}[value]`, String(filter.value));
      params.set(`${prefix}[condition_type]`, filter.condition ?? "eq");
    });
  });
  params.set("searchCriteria[pageSize]", String(search.pageSize));
  params.set("searchCriteria[currentPage]", String(search.currentPage ?? 1));
  if (search.sort) {
    params.set("searchCriteria[sortOrders][0][field]", search.sort.field);
    params.set("searchCriteria[sortOrders][0][direction]", search.sort.direction);
  }
  return params;
}

const upstream = (message: string, details?: unknown) => new AppError("BAD_GATEWAY", message, { reason: "magento_unavailable", details });

const retryable = (status: number) => status === 429 || status >= 500;

/** The largest answer read (a page of 500 lines is far below it); anything bigger is a 502. */
export const MAX_ANSWER_BYTES = 2 * 1024 * 1024;

/** The body as text, refusing (502) a declared or actual size over MAX_ANSWER_BYTES without reading the rest. */
async function readCapped(res: Response): Promise<string> {
  const bytes = await readBounded(res, MAX_ANSWER_BYTES, () => upstream(`Magento's answer is larger than ${MAX_ANSWER_BYTES} bytes`));
  return new TextDecoder().decode(bytes);
}

/**
 * GETs `/rest/V1/<resource>?searchCriteria…` and validates the answer. Retries network errors,
 * timeouts, 429 and 5xx with backoff; every failure left at the end is a 502.
 */
export async function search<T extends z.ZodType>(client: MagentoClient, resource: "orders" | "invoices", query: Search, item: T) {
  const url = `${client.baseUrl}/rest/V1/${resource}?${searchCriteria(query)}`;
  let lastProblem = "";
  for (let attempt = 0; attempt <= client.retries; attempt++) {
    if (attempt > 0) await client.sleep(client.backoffMs * 2 ** (attempt - 1));
    let res: Response;
    try {
      res = await client.fetch(
        new Request(url, {
          headers: { authorization: `Bearer ${client.token}`, accept: "application/json" },
          // Never follow a redirect: it would carry the Bearer token to wherever it points. A 3xx is a 502 below.
          redirect: "manual",
          signal: AbortSignal.timeout(client.timeoutMs),
        }),
      );
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
      lastProblem = timedOut ? `Magento did not answer within ${client.timeoutMs} ms` : "Magento could not be reached";
      log("warn", "magento request failed", { resource, attempt, ...describeError(err) });
      continue;
    }
    if (retryable(res.status)) {
      await res.body?.cancel();
      lastProblem = `Magento answered HTTP ${res.status}`;
      log("warn", "magento request failed", { resource, attempt, status: res.status });
      continue;
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw upstream(`Magento refused the request (HTTP ${res.status})`, { upstream_status: res.status });
    }
    const text = await readCapped(res);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw upstream("Magento answered with something that is not JSON");
    }
    const parsed = searchResult(item).safeParse(body);
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, 5).map((i) => ({ path: i.path.join("."), message: i.message }));
      throw upstream(`Magento's ${resource} answer has an unexpected shape`, issues);
    }
    return parsed.data;
  }
  throw upstream(`${lastProblem} (${client.retries + 1} attempts)`);
}

/**
 * The order with this increment id (the customer-facing order number), or undefined. Only an
 * answer whose increment_id is exactly the number asked for counts: a shop that ignored the
 * filter must not hand over another customer's order.
 */
export async function findOrder(client: MagentoClient, orderNumber: string): Promise<MagentoOrder | undefined> {
  const result = await search(client, "orders", { groups: [[{ field: "increment_id", value: orderNumber }]], pageSize: 5 }, MagentoOrder);
  return result.items.find((order) => order.increment_id === orderNumber);
}

/** An order's invoices, oldest first. */
export async function findInvoices(client: MagentoClient, orderId: number): Promise<MagentoInvoice[]> {
  const result = await search(
    client,
    "invoices",
    { groups: [[{ field: "order_id", value: orderId }]], pageSize: 50, sort: { field: "created_at", direction: "ASC" } },
    MagentoInvoice,
  );
  return result.items;
}

/** A page of invoices in one state (default paid), newest first. */
export async function listInvoices(client: MagentoClient, page: { pageSize: number; currentPage: number; state: number }) {
  return search(
    client,
    "invoices",
    {
      groups: [[{ field: "state", value: page.state }]],
      pageSize: page.pageSize,
      currentPage: page.currentPage,
      sort: { field: "created_at", direction: "DESC" },
    },
    MagentoInvoice,
  );
}

/** Orders by entity id (at most one page of 100). */
export async function findOrdersByIds(client: MagentoClient, ids: readonly number[]): Promise<MagentoOrder[]> {
  const result = await search(
    client,
    "orders",
    { groups: [[{ field: "entity_id", value: ids.slice(0, 100).join(","), condition: "in" }]], pageSize: 100 },
    MagentoOrder,
  );
  return result.items;
}

/** The newest orders in one Magento status (RM365's approval screen lists `processing`), one page. */
export async function listOrdersByStatus(client: MagentoClient, status: string, pageSize: number): Promise<MagentoOrder[]> {
  const result = await search(
    client,
    "orders",
    { groups: [[{ field: "status", value: status }]], pageSize, sort: { field: "created_at", direction: "DESC" } },
    MagentoOrder,
  );
  return result.items.filter((order) => order.status === status);
}
