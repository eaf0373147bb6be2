/**
 * RM365's Magento pick & pack at `/api/v1/magento`: sessions (start, cancel, read) and the
 * invoices to pick. Scan, complete and the tracking board are paths RM365's backend served: they
 * are answered by src/compat/rm365/orders.ts (the same services, RM365's keys and columns added). Gated by `fulfillment:*` and by RM365's
 * tabs: `orders.order-fulfillment` for the session writes, `orders` (any orders sub-tab) for
 * reading one session, `orders.order-tracking` for the board and `magentodata` for invoices.
 */
import { expectedVersion, setETag } from "../../lib/etag";
import { createRouter, defineRoute, json, principalOf } from "../../lib/route";
import { CancelBody, InvoiceList, InvoiceQuery, Session, SessionParams, StartSessionBody } from "./schemas";
import { cancelSession, getSession, listInvoices, startSession } from "./service";

const TAGS = ["magento"];
const FULFILLMENT_TAB = "orders.order-fulfillment";
const UPSTREAM = { 502: "Magento failed, timed out or answered something unusable", 503: "Magento is not configured" };

export const magentoRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "post",
      path: "/session/start",
      access: "fulfillment:pick",
      userLimit: "upstream",
      tab: FULFILLMENT_TAB,
      summary: "Start a pick (or return) session for a Magento order",
      description: "Reads the order and its paid invoice from Magento. 409 if the order is completed, in progress, cancelled or has no paid invoice.",
      tags: TAGS,
      request: { body: { content: { "application/json": { schema: StartSessionBody } } } },
      errors: { 404: "Magento has no such order", 409: "Order completed, in progress, cancelled or not invoiced", ...UPSTREAM },
      responses: { 201: json(Session, "The new session with its lines") },
    }),
    async (c) => {
      const session = await startSession(c.get("deps"), c.req.valid("json"), principalOf(c));
      setETag(c, session.version);
      return c.json(session, 201);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/session/cancel",
      access: "fulfillment:pick",
      tab: FULFILLMENT_TAB,
      summary: "Cancel an open session (the order can be started again)",
      description: "Optional If-Match: the session's version (ETag).",
      tags: TAGS,
      request: { body: { content: { "application/json": { schema: CancelBody } } } },
      errors: { 404: "No such session", 409: "Session closed, or stale If-Match" },
      responses: { 200: json(Session, "The cancelled session") },
    }),
    async (c) => {
      const session = await cancelSession(c.get("deps"), c.req.valid("json"), principalOf(c), expectedVersion(c.req.header("if-match")));
      setETag(c, session.version);
      return c.json(session, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/session/{session_id}",
      access: "fulfillment:read",
      pureRead: true,
      tab: "orders",
      summary: "A session's full state (what a tablet reloads)",
      tags: TAGS,
      request: { params: SessionParams },
      errors: { 404: "No such session" },
      responses: { 200: json(Session, "The session with its lines") },
    }),
    async (c) => {
      const session = await getSession(c.get("deps"), c.req.valid("param").session_id);
      setETag(c, session.version);
      return c.json(session, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/invoices",
      access: "fulfillment:read",
      userLimit: "upstream",
      tab: "magentodata",
      summary: "Magento invoices (default: paid, newest first) with their orders and open sessions",
      tags: TAGS,
      request: { query: InvoiceQuery },
      errors: UPSTREAM,
      responses: { 200: json(InvoiceList, "A page of invoices") },
    }),
    async (c) => c.json(await listInvoices(c.get("deps"), c.req.valid("query")), 200),
  );
