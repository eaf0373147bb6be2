/**
 * RM365's pick & pack screens (`/api/v1/magento/…` as its backend served them): check an order
 * before starting, scan with the client's `field`, read a session's status, complete with its
 * `force_complete`, cancel with DELETE, the picker's active sessions, claim and release, send to
 * checking, the tracking board's top-level columns, an invoice's lines, the approval screen
 * (pending orders, approve), and the progress dashboard with its supervisor actions (force-cancel,
 * force-assign, takeover: `fulfillment:manage`). A thin adapter over the magento services
 * (src/modules/magento, the hand-offs in handoff.ts); `POST /session/start` is the module's own route.
 *
 * Differences from the seed, on purpose:
 * - `session_id` is the session's id as Floorline issues it (text, as RM365's was); sessions also
 *   carry RM365's integer `id`, and every route taking a session accepts either.
 * - `force_complete: true` does not complete a pick with lines missing: completion stays all
 *   or nothing (409 naming what is missing), so no order ships short by a click.
 * - The scan's `field` (RM365's shelf quantity columns) is accepted and not used: Floorline
 *   counts what was picked per line, not per shelf.
 */
import { z } from "zod";
import { AppError } from "../../lib/errors";
import { expectedVersion, setETag } from "../../lib/etag";
import { LongText, ShortText } from "../../lib/fields";
import { actorOf } from "../../lib/principal";
import { createRouter, json, principalOf } from "../../lib/route";
import type { MagentoOrder } from "../../modules/magento/client";
import {
  approveOrder,
  forceCancel,
  MAX_PENDING_ORDERS,
  markReadyToCheck,
  pendingOrders,
  releaseSession,
  resolveAssignee,
  transferSession,
} from "../../modules/magento/handoff";
import { type ItemRow, invoiceOf, type SessionRow, sessionIdOf, sessionsWithItems } from "../../modules/magento/lookup";
import {
  BoardQuery,
  FULFILLMENT_STATUSES,
  OPEN_STATUSES,
  OrderNumber,
  ScannedSku,
  ScanResult,
  Session,
  SessionId,
  SessionSummary,
  TrackingBoard,
} from "../../modules/magento/schemas";
import { cancelSession, claimSession, completeSession, getSession, scanItem, toSession, trackingBoard } from "../../modules/magento/service";
import type { Principal } from "../../types";
import { defineRoute, jsonBody, setTotal } from "./common";

const TAGS = ["rm365"];
const FULFILLMENT_TAB = "orders.order-fulfillment";

/** RM365's session status: Floorline's session, its integer id and RM365's names for the times. */
const Rm365Session = Session.extend({
  id: z.number().int().nullable().describe("RM365's integer session id"),
  started_at: z.string(),
  last_modified_at: z.string(),
  current_owner: z.string().nullable(),
  items_scanned: z.number().int(),
  items_expected: z.number().int(),
}).meta({ id: "Rm365Session" });
type Rm365Session = z.infer<typeof Rm365Session>;

function toRm365(row: SessionRow, items: ItemRow[]): Rm365Session {
  return {
    ...toSession(row, items),
    id: row.number,
    started_at: row.createdAt,
    last_modified_at: row.updatedAt,
    current_owner: row.status === "in_progress" || row.status === "ready_to_check" ? row.ownerName : null,
    items_scanned: items.reduce((n, i) => n + i.qtyScanned, 0),
    items_expected: items.reduce((n, i) => n + i.qtyExpected, 0),
  };
}

const SessionRef = z.object({ session_id: SessionId });
const Done = z.object({ success: z.literal(true), message: z.string(), session_id: z.string() });

const CheckResult = z
  .object({
    status: z.enum(["available", ...FULFILLMENT_STATUSES]),
    message: z.string(),
    order_number: z.string(),
    invoice_id: z.string(),
    session_id: z.string().optional(),
    user: z.string().optional(),
    can_start: z.boolean(),
    can_claim: z.boolean(),
  })
  .meta({ id: "Rm365SessionCheck" });

const InvoiceDetail = z
  .object({
    invoice_number: z.string(),
    order_number: z.string(),
    invoice_id: z.number().int(),
    order_id: z.number().int(),
    state: z.string(),
    grand_total: z.number().nullable(),
    created_at: z.string().nullable(),
    order_date: z.string().nullable(),
    billing_name: z.string().nullable(),
    items: z.array(
      z.object({ sku: z.string(), name: z.string(), qty_ordered: z.number(), qty_invoiced: z.number(), qty_scanned: z.number(), is_complete: z.boolean() }),
    ),
  })
  .meta({ id: "Rm365InvoiceDetail" });

const INVOICE_STATES: Record<number, string> = { 1: "pending", 2: "paid", 3: "canceled" };

const messageFor = (status: string, order: string, user: string) =>
  ({
    completed: `Order #${order} is already completed by ${user}`,
    in_progress: `Order #${order} is currently in progress by ${user}`,
    ready_to_check: `Order #${order} is picked and waiting to be checked (${user})`,
    draft: `Order #${order} has a draft session started by ${user}`,
    approved: `Order #${order} is approved for picking`,
    cancelled: `Order #${order} was cancelled by ${user}. You can start a new session.`,
  })[status] ?? `Order #${order} is ${status}`;

/** The board's seed columns beside Floorline's: ready to pick (cancelled, draft, approved, in progress), to check, completed. */
const Rm365Board = TrackingBoard.extend({
  ready_to_pick: z.array(SessionSummary),
  ready_to_check: z.array(SessionSummary),
  completed: z.array(SessionSummary),
}).meta({ id: "Rm365TrackingBoard" });

const mine = (actor: Principal) => (actor.kind === "user" ? actor.userId : actor.createdBy);

/** An order waiting for approval, in the fields RM365's approval screen reads. */
const PendingOrder = z
  .object({
    order_id: z.number().int(),
    order_number: z.string(),
    created_at: z.string().nullable(),
    grand_total: z.number(),
    status: z.string().nullable(),
    customer_name: z.string().nullable(),
    customer_email: z.string().nullable(),
    total_qty_ordered: z.number(),
    payment_method: z.string().nullable(),
    shipping_method: z.string().nullable(),
    items: z.array(z.object({ sku: z.string(), name: z.string().nullable(), qty_ordered: z.number() })),
  })
  .meta({ id: "Rm365PendingOrder" });

function toPendingOrder(order: MagentoOrder): z.infer<typeof PendingOrder> {
  return {
    order_id: order.entity_id,
    order_number: order.increment_id,
    created_at: order.created_at ?? null,
    grand_total: order.grand_total ?? 0,
    status: order.status ?? null,
    customer_name: [order.customer_firstname, order.customer_lastname].filter(Boolean).join(" ") || null,
    customer_email: order.customer_email ?? null,
    total_qty_ordered: order.total_qty_ordered ?? order.items.reduce((n, i) => n + i.qty_ordered, 0),
    payment_method: order.payment?.method ?? null,
    shipping_method: order.shipping_description ?? null,
    items: order.items.map((i) => ({ sku: i.sku, name: i.name ?? null, qty_ordered: i.qty_ordered })),
  };
}

export const rm365OrderRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: "/session/check/{order_number}",
      access: "fulfillment:read",
      tab: FULFILLMENT_TAB,
      userLimit: "upstream",
      summary: "RM365: may this order be started? Its latest session's status and owner, or `available`",
      tags: TAGS,
      request: { params: z.object({ order_number: OrderNumber }) },
      errors: { 404: "No invoice for the order", 502: "Magento failed", 503: "Magento is not configured" },
      responses: { 200: json(CheckResult, "The order's state") },
    }),
    async (c) => {
      const deps = c.get("deps");
      const orderNumber = c.req.valid("param").order_number;
      const [latest] = await sessionsWithItems(deps, { orderNumber, limit: 1 });
      if (latest) {
        const { row } = latest;
        const open = (OPEN_STATUSES as readonly string[]).includes(row.status);
        return c.json(
          {
            status: row.status,
            message: messageFor(row.status, row.orderNumber, row.ownerName),
            order_number: row.orderNumber,
            invoice_id: row.invoiceNumber,
            session_id: row.id,
            user: row.ownerName,
            // Starting an approved order claims it; a draft is claimed (RM365's client reads `can_claim: false` as "your own draft").
            can_start: row.status === "approved" || (!open && row.status !== "completed"),
            can_claim: row.status === "draft" && row.ownerId !== mine(principalOf(c)),
          },
          200,
        );
      }
      const found = await invoiceOf(deps, orderNumber);
      if (!found) throw new AppError("NOT_FOUND", `No invoice found for order number: ${orderNumber}`, { reason: "magento_order_not_found" });
      return c.json(
        {
          status: "available" as const,
          message: `Order #${orderNumber} is available to start`,
          order_number: orderNumber,
          invoice_id: found.invoice.increment_id,
          can_start: true,
          can_claim: false,
        },
        200,
      );
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/session/scan",
      access: "fulfillment:pick",
      tab: FULFILLMENT_TAB,
      summary: "Scan units of a SKU into a session (RM365's `field` accepted)",
      description: "Atomic: concurrent scans from several tablets all count. Wrong item (400) and over-pick (409) change nothing.",
      tags: TAGS,
      request: jsonBody(
        z.object({
          session_id: SessionId,
          sku: ScannedSku,
          quantity: z.number().int("quantity must be a whole number").min(1).max(10_000).default(1),
          field: ShortText.max(32).optional().describe("RM365's shelf column; accepted, not used"),
        }),
      ),
      errors: { 400: "Wrong item: the SKU is not on the order", 404: "No such session", 409: "Over-pick, or the session is not in progress" },
      responses: { 200: json(ScanResult.extend({ item_name: z.string().nullable() }), "The line after the scan") },
    }),
    async (c) => {
      const { session_id, sku, quantity } = c.req.valid("json");
      const deps = c.get("deps");
      const id = await sessionIdOf(deps, session_id);
      const result = await scanItem(deps, { session_id: id, sku, quantity }, principalOf(c));
      const session = await getSession(deps, id);
      const item = session.items.find((i) => i.sku === result.sku);
      return c.json({ ...result, item_name: item?.name ?? null }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/session/status/{session_id}",
      access: "fulfillment:read",
      tab: "orders",
      summary: "RM365: a session's status and lines",
      tags: TAGS,
      request: { params: SessionRef },
      errors: { 404: "No such session" },
      responses: { 200: json(Rm365Session, "The session") },
    }),
    async (c) => {
      const deps = c.get("deps");
      const id = await sessionIdOf(deps, c.req.valid("param").session_id);
      const [found] = await sessionsWithItems(deps, { id, limit: 1 });
      if (!found) throw new AppError("NOT_FOUND", `Session not found: ${c.req.valid("param").session_id}`, { reason: "session_not_found" });
      setETag(c, found.row.version);
      return c.json(toRm365(found.row, found.items), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/session/complete",
      access: "fulfillment:pick",
      tab: FULFILLMENT_TAB,
      summary: "Complete a session (a pick needs every line scanned in full; RM365's `force_complete` accepted)",
      description: "Optional If-Match: the session's version (ETag).",
      tags: TAGS,
      request: jsonBody(z.object({ session_id: SessionId, force_complete: z.boolean().optional().describe("Accepted; a pick still needs every line") })),
      errors: { 404: "No such session", 409: "Lines not fully picked, session closed, or stale If-Match" },
      responses: { 200: json(Session.extend({ success: z.literal(true), message: z.string() }), "The completed session") },
    }),
    async (c) => {
      const deps = c.get("deps");
      const id = await sessionIdOf(deps, c.req.valid("json").session_id);
      const session = await completeSession(deps, { session_id: id }, principalOf(c), expectedVersion(c.req.header("if-match")));
      setETag(c, session.version);
      return c.json({ ...session, success: true as const, message: "Session completed successfully" }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "delete",
      path: "/session/{session_id}",
      access: "fulfillment:pick",
      tab: FULFILLMENT_TAB,
      summary: "RM365: cancel an open session (the order can be started again)",
      tags: TAGS,
      request: { params: SessionRef },
      errors: { 404: "No such session", 409: "Session closed" },
      responses: { 200: json(Done, "Cancelled") },
    }),
    async (c) => {
      const deps = c.get("deps");
      const id = await sessionIdOf(deps, c.req.valid("param").session_id);
      const session = await cancelSession(deps, { session_id: id, reason: "Cancelled in RM365's fulfillment screen" }, principalOf(c), undefined);
      return c.json({ success: true as const, message: "Session cancelled", session_id: session.session_id }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/sessions/active",
      access: "fulfillment:read",
      tab: FULFILLMENT_TAB,
      summary: "RM365: the caller's open sessions (bare array)",
      tags: TAGS,
      responses: { 200: json(z.array(Rm365Session), "Newest first") },
    }),
    async (c) => {
      const found = await sessionsWithItems(c.get("deps"), { statuses: ["in_progress", "ready_to_check"], ownerId: mine(principalOf(c)) });
      setTotal(c, found.length);
      return c.json(
        found.map((s) => toRm365(s.row, s.items)),
        200,
      );
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/tracking/board",
      access: "fulfillment:read",
      tab: "orders",
      summary: "Sessions by status: RM365's three columns, Floorline's columns and counts",
      tags: TAGS,
      request: { query: BoardQuery },
      responses: { 200: json(Rm365Board, "The board") },
    }),
    async (c) => {
      const board = await trackingBoard(c.get("deps"), c.req.valid("query"));
      const { columns } = board;
      return c.json(
        {
          ...board,
          ready_to_pick: [...columns.cancelled, ...columns.draft, ...columns.approved, ...columns.in_progress],
          ready_to_check: columns.ready_to_check,
          completed: columns.completed,
        },
        200,
      );
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/invoice/lookup/{order_number}",
      access: "fulfillment:read",
      tab: "orders",
      userLimit: "upstream",
      summary: "RM365: an order's invoice and its lines, from Magento",
      tags: TAGS,
      request: { params: z.object({ order_number: OrderNumber }) },
      errors: { 404: "No invoice for the order", 502: "Magento failed", 503: "Magento is not configured" },
      responses: { 200: json(InvoiceDetail, "The invoice") },
    }),
    async (c) => {
      const orderNumber = c.req.valid("param").order_number;
      const found = await invoiceOf(c.get("deps"), orderNumber);
      if (!found) throw new AppError("NOT_FOUND", `No invoice found for order number: ${orderNumber}`, { reason: "magento_order_not_found" });
      const { order, invoice, lines } = found;
      const billing = [order.customer_firstname, order.customer_lastname].filter(Boolean).join(" ") || null;
      return c.json(
        {
          invoice_number: invoice.increment_id,
          order_number: order.increment_id,
          invoice_id: invoice.entity_id,
          order_id: order.entity_id,
          state: INVOICE_STATES[invoice.state] ?? String(invoice.state),
          grand_total: invoice.grand_total ?? null,
          created_at: invoice.created_at ?? null,
          order_date: order.created_at ?? null,
          billing_name: billing,
          items: lines.map((l) => ({ sku: l.sku, name: l.name, qty_ordered: l.qtyOrdered, qty_invoiced: l.qtyInvoiced, qty_scanned: 0, is_complete: false })),
        },
        200,
      );
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/dashboard/sessions",
      access: "fulfillment:read",
      tab: "orders.order-progress",
      summary: "RM365: the progress dashboard: open sessions (and finished ones with include_completed)",
      tags: TAGS,
      request: { query: z.object({ include_completed: z.enum(["true", "false"]).default("false") }) },
      responses: { 200: json(z.object({ sessions: z.array(Rm365Session), total: z.number().int() }), "Newest first") },
    }),
    async (c) => {
      const all = c.req.valid("query").include_completed === "true";
      const found = await sessionsWithItems(c.get("deps"), all ? {} : { statuses: OPEN_STATUSES });
      return c.json({ sessions: found.map((s) => toRm365(s.row, s.items)), total: found.length }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/sessions/{session_id}/claim",
      access: "fulfillment:pick",
      tab: FULFILLMENT_TAB,
      summary: "RM365: claim a draft (released) or approved session; it becomes the caller's, in progress",
      description: "Two pickers claiming at once: one wins, the other gets 409. A session someone is picking cannot be claimed.",
      tags: TAGS,
      request: { params: SessionRef },
      errors: { 404: "No such session", 409: "Not a draft or approved session" },
      responses: { 200: json(Done, "Claimed") },
    }),
    async (c) => {
      const deps = c.get("deps");
      const id = await sessionIdOf(deps, c.req.valid("param").session_id);
      const session = await claimSession(deps, id, principalOf(c));
      return c.json({ success: true as const, message: "Session claimed successfully", session_id: session.session_id }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/sessions/{session_id}/release",
      access: "fulfillment:pick",
      tab: FULFILLMENT_TAB,
      summary: "RM365: release a session back to draft, its scans kept (the client calls it on leaving the page)",
      description: "The session's owner or a fulfillment manager; a session in progress or waiting to be checked.",
      tags: TAGS,
      request: { params: SessionRef },
      errors: { 403: "Someone else's session", 404: "No such session", 409: "Not in progress" },
      responses: { 200: json(Done, "Released") },
    }),
    async (c) => {
      const deps = c.get("deps");
      const id = await sessionIdOf(deps, c.req.valid("param").session_id);
      const session = await releaseSession(deps, id, principalOf(c));
      return c.json({ success: true as const, message: "Session released successfully", session_id: session.session_id }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/tracking/mark-ready-to-check",
      access: "fulfillment:pick",
      tab: FULFILLMENT_TAB,
      summary: "RM365: send a session to be checked instead of completing it",
      description: "The session's owner or a fulfillment manager. Completing it later still needs every line picked.",
      tags: TAGS,
      request: jsonBody(z.object({ session_id: SessionId })),
      errors: { 403: "Someone else's session", 404: "No such session", 409: "Not in progress" },
      responses: { 200: json(Done, "Waiting to be checked") },
    }),
    async (c) => {
      const deps = c.get("deps");
      const id = await sessionIdOf(deps, c.req.valid("json").session_id);
      const session = await markReadyToCheck(deps, id, principalOf(c));
      return c.json({ success: true as const, message: "Order marked as ready to check", session_id: session.session_id }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/tracking/pending-orders",
      access: "fulfillment:read",
      tab: "orders.order-approval",
      userLimit: "upstream",
      summary: `RM365: Magento orders in processing with no pick session yet (newest ${MAX_PENDING_ORDERS} at most)`,
      tags: TAGS,
      errors: { 502: "Magento failed", 503: "Magento is not configured" },
      responses: { 200: json(z.object({ orders: z.array(PendingOrder), count: z.number().int() }), "Waiting for approval") },
    }),
    async (c) => {
      const orders = (await pendingOrders(c.get("deps"))).map(toPendingOrder);
      setTotal(c, orders.length);
      return c.json({ orders, count: orders.length }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/tracking/approve-order",
      access: "fulfillment:manage",
      tab: "orders.order-approval",
      userLimit: "upstream",
      summary: "RM365: approve a Magento order for picking (an `approved` session a picker claims or starts)",
      description: "Nothing is written to Magento. 409 when the order already has an open or completed pick.",
      tags: TAGS,
      request: jsonBody(z.object({ order_number: OrderNumber })),
      errors: { 404: "No such order", 409: "Already approved, in progress or picked", 502: "Magento failed", 503: "Magento is not configured" },
      responses: {
        200: json(z.object({ success: z.literal(true), message: z.string(), session_id: z.string(), order_number: z.string() }), "Approved"),
      },
    }),
    async (c) => {
      const orderNumber = c.req.valid("json").order_number;
      const session = await approveOrder(c.get("deps"), orderNumber, principalOf(c));
      return c.json(
        { success: true as const, message: `Order ${orderNumber} approved for picking`, session_id: session.session_id, order_number: orderNumber },
        200,
      );
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/dashboard/sessions/{session_id}/force-cancel",
      access: "fulfillment:manage",
      tab: "orders.order-progress",
      summary: "RM365: a supervisor cancels anyone's open session (the picker's screen is told why)",
      tags: TAGS,
      request: { params: SessionRef, ...jsonBody(z.object({ reason: LongText.optional() })) },
      errors: { 404: "No such session", 409: "Session closed" },
      responses: { 200: json(z.object({ success: z.literal(true), message: z.string(), cancelled_by: z.string() }), "Cancelled") },
    }),
    async (c) => {
      const deps = c.get("deps");
      const actor = principalOf(c);
      const id = await sessionIdOf(deps, c.req.valid("param").session_id);
      const session = await forceCancel(deps, id, c.req.valid("json").reason, actor);
      const by = actorOf(actor).name;
      return c.json({ success: true as const, message: `Session ${session.session_id} cancelled by administrator`, cancelled_by: by }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/dashboard/sessions/{session_id}/force-assign",
      access: "fulfillment:manage",
      tab: "orders.order-progress",
      summary: "RM365: a supervisor gives an open session to another user (by username) who may pick",
      description: "A draft or approved session starts for them; one being picked or checked keeps its status.",
      tags: TAGS,
      request: { params: SessionRef, ...jsonBody(z.object({ target_user_id: ShortText.max(150).describe("The target's username (or user id)") })) },
      errors: { 400: "The target may not pick", 404: "No such session or active user", 409: "Session closed, or the target already holds it" },
      responses: {
        200: json(z.object({ success: z.literal(true), message: z.string(), assigned_by: z.string(), assigned_to: z.string() }), "Assigned"),
      },
    }),
    async (c) => {
      const deps = c.get("deps");
      const actor = principalOf(c);
      const id = await sessionIdOf(deps, c.req.valid("param").session_id);
      const target = await resolveAssignee(deps, c.req.valid("json").target_user_id);
      await transferSession(deps, id, target, actor);
      return c.json(
        { success: true as const, message: `Session assigned to ${target.username}`, assigned_by: actorOf(actor).name, assigned_to: target.username },
        200,
      );
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/dashboard/sessions/{session_id}/takeover",
      access: "fulfillment:manage",
      tab: "orders.order-progress",
      summary: "RM365: a supervisor takes an open session over themselves (then opens it to pick)",
      tags: TAGS,
      request: { params: SessionRef },
      errors: { 404: "No such session", 409: "Session closed, or already the caller's" },
      responses: {
        200: json(
          z.object({ success: z.literal(true), message: z.string(), session_id: z.string(), order_number: z.string(), invoice_number: z.string() }),
          "Taken over",
        ),
      },
    }),
    async (c) => {
      const deps = c.get("deps");
      const actor = principalOf(c);
      const id = await sessionIdOf(deps, c.req.valid("param").session_id);
      const who = actorOf(actor);
      const session = await transferSession(deps, id, { userId: who.userId, username: who.name }, actor);
      return c.json(
        {
          success: true as const,
          message: `You have taken over session ${session.session_id}`,
          session_id: session.session_id,
          order_number: session.order_number,
          invoice_number: session.invoice_number,
        },
        200,
      );
    },
  );
