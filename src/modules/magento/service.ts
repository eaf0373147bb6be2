/**
 * Magento pick & pack (RM365's order fulfillment): sessions that pick (or take back) one
 * Magento order's invoiced lines by scanning SKUs, kept in D1 so a tablet reload loses nothing.
 *
 * Rules:
 * - One open session per order and type: the partial unique index decides between two tablets.
 *   Starting an order a supervisor approved claims that `approved` session (claimSession); the
 *   other hand-offs (release, ready to check, approve, transfer) are in handoff.ts.
 * - A scan is one `db.batch`: a conditional increment (`qty_scanned + q <= qty_expected`, the
 *   session in progress and the caller its owner or a manager), then, only if that changed a
 *   row (`changes() = 1`), the scan's audit row and the session's version/status. D1 runs a batch
 *   as one transaction under a single writer, so concurrent scans never lose an increment and
 *   never over-pick together. A refused scan (wrong item, over-pick, closed session) changes
 *   nothing; why is read from the same batch.
 * - Only the session's owner (the user who started it, or for an API key its creator) or a
 *   holder of `fulfillment:manage` may scan, complete or cancel it.
 * - Complete needs every line scanned in full for a pick; a return may complete with what came
 *   back (at least one unit). Complete and cancel take an optional If-Match version.
 */
import { and, asc, count, desc, eq, inArray, sql } from "drizzle-orm";
import { isConstraintError } from "../../db/client";
import { type FulfillmentStatus, fulfillmentItems, fulfillmentScans, fulfillmentSessions, OPEN_STATUSES } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { AppError, type ErrorReason } from "../../lib/errors";
import { actorOf } from "../../lib/principal";
import { hasPermission } from "../../lib/rbac";
import { afterOneChange, chunk, insertWhere, rowsPerInsert } from "../../lib/sql";
import type { Principal } from "../../types";
import { findInvoices, findOrder, findOrdersByIds, INVOICE_STATE, listInvoices as listUpstreamInvoices, type MagentoOrder, magentoClient } from "./client";
import { type LiveDeps, publishSession } from "./live";
import type {
  BoardQuery,
  CancelBody,
  CompleteBody,
  InvoiceList,
  InvoiceQuery,
  ScanBody,
  ScanResult,
  Session,
  SessionItem,
  SessionSummary,
  StartSessionBody,
  TrackingBoard,
} from "./schemas";

type SessionRow = typeof fulfillmentSessions.$inferSelect;
type ItemRow = typeof fulfillmentItems.$inferSelect;
type MagentoDeps = Pick<Deps, "db" | "feature" | "now"> & LiveDeps;

/** Who acts, as a pick event names them (lib/principal.ts: an API key acts for its creator). */
export function whoIs(actor: Principal): { userId: string; username: string } {
  const { userId, name } = actorOf(actor);
  return { userId, username: name };
}

export const isManager = (actor: Principal) => hasPermission(actor.permissions, "fulfillment:manage");

// ---------------------------------------------------------------------------------------------
// Mappers

function toItem(row: ItemRow): SessionItem {
  return {
    sku: row.sku,
    name: row.name,
    qty_ordered: row.qtyOrdered,
    qty_invoiced: row.qtyInvoiced,
    qty_expected: row.qtyExpected,
    qty_scanned: row.qtyScanned,
    qty_remaining: row.qtyExpected - row.qtyScanned,
    is_complete: row.qtyScanned >= row.qtyExpected,
  };
}

interface Progress {
  lines: number;
  completeLines: number;
  expected: number;
  scanned: number;
}

const percentage = (p: Progress) => (p.expected === 0 ? 0 : Math.round((p.scanned / p.expected) * 1000) / 10);

function toSummary(row: SessionRow, progress: Progress): SessionSummary {
  return {
    session_id: row.id,
    order_number: row.orderNumber,
    invoice_number: row.invoiceNumber,
    session_type: row.sessionType,
    status: row.status,
    customer_name: row.customerName,
    total_items: progress.lines,
    completed_items: progress.completeLines,
    progress_percentage: percentage(progress),
    created_by: row.ownerName,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
    completed_at: row.completedAt,
    cancelled_at: row.cancelledAt,
    cancel_reason: row.cancelReason,
    version: row.version,
  };
}

/** The full wire shape of a session with its lines. */
export function toSession(row: SessionRow, items: ItemRow[]): Session {
  const progress: Progress = {
    lines: items.length,
    completeLines: items.filter((i) => i.qtyScanned >= i.qtyExpected).length,
    expected: items.reduce((n, i) => n + i.qtyExpected, 0),
    scanned: items.reduce((n, i) => n + i.qtyScanned, 0),
  };
  return { ...toSummary(row, progress), items: items.map(toItem) };
}

// ---------------------------------------------------------------------------------------------
// Start

interface Line {
  sku: string;
  name: string;
  qtyOrdered: number;
  qtyInvoiced: number;
}

/**
 * The physical lines to pick from a Magento order, one per SKU (case-insensitively; repeated
 * SKUs are summed): a bundle's parent is skipped (its children are picked), a configurable's
 * child is skipped (the parent line carries the simple product's SKU and quantity). Lines with
 * nothing invoiced are left out. Quantities are whole units.
 */
export function pickLines(order: MagentoOrder): Line[] {
  const byId = new Map(order.items.map((item) => [item.item_id, item]));
  const lines = new Map<string, Line>();
  for (const item of order.items) {
    if (item.product_type === "bundle") continue;
    const parent = item.parent_item_id == null ? undefined : byId.get(item.parent_item_id);
    if (parent?.product_type === "configurable") continue;
    const invoiced = Math.round(item.qty_invoiced);
    if (invoiced <= 0) continue;
    const key = item.sku.toLowerCase();
    const line = lines.get(key) ?? { sku: item.sku, name: item.name ?? item.sku, qtyOrdered: 0, qtyInvoiced: 0 };
    line.qtyOrdered += Math.round(item.qty_ordered);
    line.qtyInvoiced += invoiced;
    lines.set(key, line);
  }
  return [...lines.values()];
}

/**
 * Magento order states (or statuses of the same name) that must not be picked: closed (refunded),
 * holded (on hold), payment_review and pending_payment (money not settled). `canceled` has its own
 * message above; processing and complete are picked.
 */
const NOT_PICKABLE: Record<string, string> = {
  closed: "closed",
  holded: "on hold",
  payment_review: "in payment review",
  pending_payment: "pending payment",
};

const orderConflict = (message: string, reason: ErrorReason, details?: unknown) => new AppError("CONFLICT", message, { reason, details });

/**
 * Refuses an order that already has an open session of this type, or (pick) a completed one.
 * An `approved` pick (RM365's approval screen) is the one exception when starting: its id is
 * returned, and the starter claims it.
 */
async function assertOrderFree(
  deps: Pick<Deps, "db">,
  orderNumber: string,
  type: StartSessionBody["session_type"],
  approving: boolean,
): Promise<{ approvedId: string } | undefined> {
  const rows = await deps.db
    .select({ id: fulfillmentSessions.id, status: fulfillmentSessions.status })
    .from(fulfillmentSessions)
    .where(
      and(
        eq(fulfillmentSessions.orderNumber, orderNumber),
        eq(fulfillmentSessions.sessionType, type),
        inArray(fulfillmentSessions.status, [...OPEN_STATUSES, "completed"]),
      ),
    )
    .orderBy(desc(fulfillmentSessions.createdAt))
    .limit(1);
  const found = rows[0];
  if (!found) return undefined;
  if (found.status === "completed") {
    if (type === "pick") throw orderConflict(`Order ${orderNumber} has already been picked`, "order_completed", { session_id: found.id });
    return undefined;
  }
  if (found.status === "approved" && !approving) return { approvedId: found.id };
  if (found.status === "approved") throw orderConflict(`Order ${orderNumber} is already approved for picking`, "order_in_progress", { session_id: found.id });
  throw orderConflict(`Order ${orderNumber} is already in progress`, "order_in_progress", { session_id: found.id });
}

/** Item rows per multi-row insert (D1's parameter bound). */
const ITEM_ROWS_PER_STATEMENT = rowsPerInsert(fulfillmentItems);

/**
 * Starts a session for a Magento order: 404 when Magento has no such order; 409 when the order
 * is cancelled, closed, on hold, in payment review or pending payment, has no paid invoice or nothing invoiced, is in progress in another session, or
 * (pick) has already been picked. Magento failures are 502.
 */
export async function startSession(deps: MagentoDeps, input: StartSessionBody, actor: Principal, options: { approve?: boolean } = {}): Promise<Session> {
  const orderNumber = input.order_number;
  const approving = options.approve === true;
  const free = await assertOrderFree(deps, orderNumber, input.session_type, approving);
  // Starting an order a supervisor approved claims that session (RM365's approval flow).
  if (free) return claimSession(deps, free.approvedId, actor);
  const client = magentoClient(deps);
  const order = await findOrder(client, orderNumber);
  if (!order) throw new AppError("NOT_FOUND", `Order ${orderNumber} not found in Magento`, { reason: "magento_order_not_found" });
  if (order.state === "canceled" || order.status === "canceled") throw orderConflict(`Order ${orderNumber} is cancelled`, "order_cancelled");
  const blocked = Object.hasOwn(NOT_PICKABLE, order.state ?? "") ? order.state : Object.hasOwn(NOT_PICKABLE, order.status ?? "") ? order.status : undefined;
  if (blocked) {
    throw orderConflict(`Order ${orderNumber} cannot be picked: it is ${NOT_PICKABLE[blocked]} in Magento`, "order_not_pickable", {
      state: order.state ?? null,
      status: order.status ?? null,
    });
  }
  const invoices = await findInvoices(client, order.entity_id);
  const paid = invoices.filter((invoice) => invoice.state === INVOICE_STATE.paid);
  const invoice = paid.at(-1);
  if (!invoice) {
    const pending = invoices.some((i) => i.state === INVOICE_STATE.pending);
    throw orderConflict(
      pending ? `Order ${orderNumber}'s invoice is not paid yet` : `Order ${orderNumber} has no invoice to pick against`,
      pending ? "invoice_not_paid" : "invoice_missing",
    );
  }
  const lines = pickLines(order);
  if (lines.length === 0) throw orderConflict(`Order ${orderNumber} has nothing invoiced to pick`, "nothing_to_pick");

  const who = actorOf(actor);
  const now = deps.now().toISOString();
  const customer = [order.customer_firstname, order.customer_lastname].filter(Boolean).join(" ").slice(0, 200) || null;
  const session: SessionRow = {
    id: crypto.randomUUID(),
    // Set by the insert trigger (migration 0022).
    number: null,
    orderNumber,
    orderId: order.entity_id,
    invoiceNumber: invoice.increment_id,
    sessionType: input.session_type,
    // Approved (RM365's approval screen): waiting for a picker to claim it; the approver holds it until then.
    status: approving ? "approved" : "in_progress",
    customerName: customer,
    ownerId: who.userId,
    ownerName: who.name,
    completedAt: null,
    cancelledAt: null,
    cancelReason: null,
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
  const items: ItemRow[] = lines.map((line, position) => ({
    sessionId: session.id,
    sku: line.sku,
    name: line.name,
    position,
    qtyOrdered: line.qtyOrdered,
    qtyInvoiced: line.qtyInvoiced,
    qtyExpected: line.qtyInvoiced,
    qtyScanned: 0,
  }));
  try {
    await deps.db.batch([
      deps.db.insert(fulfillmentSessions).values(session),
      ...chunk(items, ITEM_ROWS_PER_STATEMENT).map((rows) => deps.db.insert(fulfillmentItems).values(rows)),
    ]);
  } catch (err) {
    // Another tablet opened a session for this order between the check and the insert.
    if (isConstraintError(err, "UNIQUE")) throw orderConflict(`Order ${orderNumber} is already in progress`, "order_in_progress");
    throw err;
  }
  publishSession(deps, "session_started", session, { userId: who.userId, username: who.name });
  return toSession(session, items);
}

/**
 * Claims a draft (released) or approved session: it becomes in progress, owned by the caller.
 * One conditional UPDATE decides between two pickers claiming at once (`changes()`); a session
 * in progress, waiting to be checked or closed is refused (409) and nothing changes.
 */
export async function claimSession(deps: Pick<Deps, "db" | "now"> & LiveDeps, sessionId: string, actor: Principal): Promise<Session> {
  const { db } = deps;
  const now = deps.now().toISOString();
  const who = actorOf(actor);
  const t = fulfillmentSessions;
  const [done, sessions, items] = await db.batch([
    db
      .update(t)
      .set({ status: "in_progress", ownerId: who.userId, ownerName: who.name, updatedAt: now, version: sql`${t.version} + 1` })
      .where(and(eq(t.id, sessionId), inArray(t.status, [...CLAIMABLE_STATUSES]))),
    ...readSession(db, sessionId),
  ]);
  const row = sessions[0];
  if (!row) throw sessionNotFound(sessionId);
  if (done.meta.changes !== 1) {
    const by = row.status === "in_progress" || row.status === "ready_to_check" ? ` by ${row.ownerName}` : "";
    throw new AppError("CONFLICT", `Session is ${row.status}${by}; only a draft or approved session can be claimed`, {
      reason: "session_not_claimable",
      details: { status: row.status },
    });
  }
  publishSession(deps, "session_started", row, { userId: who.userId, username: who.name });
  return toSession(row, items);
}

// ---------------------------------------------------------------------------------------------
// Read

/** Statuses a picker may claim: released (draft) or approved, nobody is picking them. */
export const CLAIMABLE_STATUSES = ["draft", "approved"] as const satisfies readonly FulfillmentStatus[];

export const sessionNotFound = (id: string) => new AppError("NOT_FOUND", `Session ${id} not found`, { reason: "session_not_found" });

export function readSession(db: Deps["db"], sessionId: string) {
  return [
    db.select().from(fulfillmentSessions).where(eq(fulfillmentSessions.id, sessionId)).limit(1),
    db.select().from(fulfillmentItems).where(eq(fulfillmentItems.sessionId, sessionId)).orderBy(asc(fulfillmentItems.position)),
  ] as const;
}

/** A session's full state (what a tablet reloads); 404 when none. */
export async function getSession(deps: Pick<Deps, "db">, sessionId: string): Promise<Session> {
  const [sessions, items] = await deps.db.batch(readSession(deps.db, sessionId));
  const row = sessions[0];
  if (!row) throw sessionNotFound(sessionId);
  return toSession(row, items);
}

/** 403/409 for a write the conditions refused: not the owner, or the session is not open. */
export function refusal(row: SessionRow, actor: Principal, action: string, allowed: readonly FulfillmentStatus[]): AppError | undefined {
  if (!isManager(actor) && row.ownerId !== actorOf(actor).userId) {
    return new AppError("AUTHORIZATION_ERROR", `Only the session's owner (${row.ownerName}) or a fulfillment manager may ${action} it`, {
      reason: "not_session_owner",
    });
  }
  if (!allowed.includes(row.status)) {
    return new AppError("CONFLICT", `Session is ${row.status}; it cannot ${action === "scan into" ? "take scans" : `be ${action}d`}`, {
      reason: "session_closed",
      details: { status: row.status },
    });
  }
  return undefined;
}

/** The SQL condition "the caller may act on this session": its owner, or anyone for a manager. */
export const ownerCondition = (actor: Principal) => (isManager(actor) ? sql`1 = 1` : sql`${fulfillmentSessions.ownerId} = ${actorOf(actor).userId}`);

// ---------------------------------------------------------------------------------------------
// Scan

/**
 * Records a scan of `quantity` units of `sku`. 400 when the SKU is not on the order (wrong
 * item), 409 when it would exceed the invoiced quantity (over-pick) or the session is not in
 * progress, 403 for someone else's session; each changes nothing. The last unit moves the
 * session to `ready_to_check`.
 */
export async function scanItem(deps: Pick<Deps, "db" | "now"> & LiveDeps, input: ScanBody, actor: Principal): Promise<ScanResult> {
  const { db } = deps;
  const now = deps.now().toISOString();
  const who = actorOf(actor);
  const sessionId = input.session_id;
  const sameSku = sql`lower(${fulfillmentItems.sku}) = lower(${input.sku})`;
  const [increment, , , sessions, items] = await db.batch([
    db
      .update(fulfillmentItems)
      .set({ qtyScanned: sql`${fulfillmentItems.qtyScanned} + ${input.quantity}` })
      .where(
        and(
          eq(fulfillmentItems.sessionId, sessionId),
          sameSku,
          sql`${fulfillmentItems.qtyScanned} + ${input.quantity} <= ${fulfillmentItems.qtyExpected}`,
          sql`exists (select 1 from ${fulfillmentSessions} where ${fulfillmentSessions.id} = ${sessionId} and ${fulfillmentSessions.status} = 'in_progress' and ${ownerCondition(actor)})`,
        ),
      ),
    insertWhere(
      deps,
      fulfillmentScans,
      { sessionId, sku: input.sku, quantity: input.quantity, userId: who.userId, username: who.name, createdAt: now },
      afterOneChange,
    ),
    db
      .update(fulfillmentSessions)
      .set({
        version: sql`${fulfillmentSessions.version} + 1`,
        updatedAt: now,
        status: sql`case when exists (select 1 from ${fulfillmentItems} where ${fulfillmentItems.sessionId} = ${sessionId} and ${fulfillmentItems.qtyScanned} < ${fulfillmentItems.qtyExpected}) then ${fulfillmentSessions.status} else 'ready_to_check' end`,
      })
      .where(and(eq(fulfillmentSessions.id, sessionId), afterOneChange)),
    ...readSession(db, sessionId),
  ]);
  const row = sessions[0];
  if (!row) throw sessionNotFound(sessionId);
  const item = items.find((i) => i.sku.toLowerCase() === input.sku.toLowerCase());
  if (increment.meta.changes !== 1) {
    const refused = refusal(row, actor, "scan into", ["in_progress"]);
    if (refused) throw refused;
    if (!item) {
      throw new AppError("BUSINESS_LOGIC_ERROR", `Wrong item: ${input.sku} is not on order ${row.orderNumber}`, {
        reason: "wrong_item",
        details: { sku: input.sku, expected_skus: items.filter((i) => i.qtyScanned < i.qtyExpected).map((i) => i.sku) },
      });
    }
    throw new AppError(
      "CONFLICT",
      `Over-pick: ${item.sku} needs ${item.qtyExpected - item.qtyScanned} more (${item.qtyScanned} of ${item.qtyExpected} scanned); ${input.quantity} refused`,
      {
        reason: "over_pick",
        details: {
          sku: item.sku,
          qty_expected: item.qtyExpected,
          qty_scanned: item.qtyScanned,
          qty_remaining: item.qtyExpected - item.qtyScanned,
          quantity: input.quantity,
        },
      },
    );
  }
  if (!item) throw new Error("scan applied to an item the session does not list");
  publishSession(deps, "session_updated", row, { userId: who.userId, username: who.name }, { sku: item.sku, qty_scanned: item.qtyScanned });
  const allComplete = items.every((i) => i.qtyScanned >= i.qtyExpected);
  const remaining = item.qtyExpected - item.qtyScanned;
  return {
    success: true,
    message: allComplete ? "All items scanned" : remaining === 0 ? `${item.sku} complete` : `Scanned ${input.quantity} × ${item.sku}; ${remaining} to go`,
    sku: item.sku,
    qty_expected: item.qtyExpected,
    qty_scanned: item.qtyScanned,
    qty_remaining: remaining,
    is_complete: remaining === 0,
    is_overpicked: false,
    all_items_complete: allComplete,
    session_status: row.status,
  };
}

// ---------------------------------------------------------------------------------------------
// Complete / cancel

const staleVersion = (row: SessionRow) =>
  new AppError("CONFLICT", `Session changed since version you sent (now ${row.version}); reload it`, {
    reason: "stale_version",
    details: { version: row.version },
  });

/**
 * Completes a session: a pick needs every line scanned in full (409 naming what is missing); a
 * return needs at least one unit back. Owner or manager only; optional If-Match version.
 */
export async function completeSession(
  deps: Pick<Deps, "db" | "now"> & LiveDeps,
  input: CompleteBody,
  actor: Principal,
  expectedVersion?: number,
): Promise<Session> {
  const { db } = deps;
  const now = deps.now().toISOString();
  const sessionId = input.session_id;
  const t = fulfillmentSessions;
  const ready = sql`case when ${t.sessionType} = 'return'
      then exists (select 1 from ${fulfillmentItems} where ${fulfillmentItems.sessionId} = ${sessionId} and ${fulfillmentItems.qtyScanned} > 0)
      else not exists (select 1 from ${fulfillmentItems} where ${fulfillmentItems.sessionId} = ${sessionId} and ${fulfillmentItems.qtyScanned} < ${fulfillmentItems.qtyExpected}) end`;
  const [done, sessions, items] = await db.batch([
    db
      .update(t)
      .set({ status: "completed", completedAt: now, updatedAt: now, version: sql`${t.version} + 1` })
      .where(
        and(
          eq(t.id, sessionId),
          inArray(t.status, ["in_progress", "ready_to_check"]),
          ownerCondition(actor),
          expectedVersion === undefined ? undefined : eq(t.version, expectedVersion),
          ready,
        ),
      ),
    ...readSession(db, sessionId),
  ]);
  const row = sessions[0];
  if (!row) throw sessionNotFound(sessionId);
  if (done.meta.changes !== 1) {
    const refused = refusal(row, actor, "complete", ["in_progress", "ready_to_check"]);
    if (refused) throw refused;
    if (expectedVersion !== undefined && row.version !== expectedVersion) throw staleVersion(row);
    const missing = items.filter((i) => i.qtyScanned < i.qtyExpected).map((i) => ({ sku: i.sku, qty_remaining: i.qtyExpected - i.qtyScanned }));
    throw new AppError("CONFLICT", row.sessionType === "return" ? "Nothing has been scanned back yet" : `${missing.length} item(s) are not fully picked`, {
      reason: "items_incomplete",
      details: missing,
    });
  }
  publishSession(deps, "session_completed", row, whoIs(actor));
  return toSession(row, items);
}

/** Cancels an open session (the order can then be started again). Owner or manager only. */
export async function cancelSession(
  deps: Pick<Deps, "db" | "now"> & LiveDeps,
  input: CancelBody,
  actor: Principal,
  expectedVersion?: number,
): Promise<Session> {
  const { db } = deps;
  const now = deps.now().toISOString();
  const t = fulfillmentSessions;
  const [done, sessions, items] = await db.batch([
    db
      .update(t)
      .set({ status: "cancelled", cancelledAt: now, cancelReason: input.reason ?? null, updatedAt: now, version: sql`${t.version} + 1` })
      .where(
        and(
          eq(t.id, input.session_id),
          inArray(t.status, [...OPEN_STATUSES]),
          ownerCondition(actor),
          expectedVersion === undefined ? undefined : eq(t.version, expectedVersion),
        ),
      ),
    ...readSession(db, input.session_id),
  ]);
  const row = sessions[0];
  if (!row) throw sessionNotFound(input.session_id);
  if (done.meta.changes !== 1) {
    const refused = refusal(row, actor, "cancel", OPEN_STATUSES);
    if (refused) throw refused;
    throw staleVersion(row);
  }
  publishSession(deps, "session_cancelled", row, whoIs(actor));
  return toSession(row, items);
}

// ---------------------------------------------------------------------------------------------
// Tracking board

/** Every open session, and the most recent finished ones, by status column, with counts. */
export async function trackingBoard(deps: Pick<Deps, "db" | "now">, query: BoardQuery): Promise<TrackingBoard> {
  const { db } = deps;
  const t = fulfillmentSessions;
  const i = fulfillmentItems;
  const withProgress = () =>
    db
      .select({
        session: t,
        lines: sql<number>`count(${i.sku})`.mapWith(Number),
        completeLines: sql<number>`coalesce(sum(case when ${i.qtyScanned} >= ${i.qtyExpected} then 1 else 0 end), 0)`.mapWith(Number),
        expected: sql<number>`coalesce(sum(${i.qtyExpected}), 0)`.mapWith(Number),
        scanned: sql<number>`coalesce(sum(${i.qtyScanned}), 0)`.mapWith(Number),
      })
      .from(t)
      .leftJoin(i, eq(i.sessionId, t.id))
      .groupBy(t.id);
  // Open sessions are few (one per order being worked); 500 bounds a runaway board.
  const [open, completed, cancelled, counts] = await db.batch([
    withProgress()
      .where(inArray(t.status, [...OPEN_STATUSES]))
      .orderBy(asc(t.createdAt), asc(t.id))
      .limit(500),
    withProgress().where(eq(t.status, "completed")).orderBy(desc(t.updatedAt), asc(t.id)).limit(query.recent),
    withProgress().where(eq(t.status, "cancelled")).orderBy(desc(t.updatedAt), asc(t.id)).limit(query.recent),
    db.select({ status: t.status, n: count() }).from(t).groupBy(t.status),
  ]);
  const board: TrackingBoard = {
    columns: { draft: [], approved: [], in_progress: [], ready_to_check: [], completed: [], cancelled: [] },
    counts: { draft: 0, approved: 0, in_progress: 0, ready_to_check: 0, completed: 0, cancelled: 0 },
    generated_at: deps.now().toISOString(),
  };
  for (const { session, ...progress } of [...open, ...completed, ...cancelled]) board.columns[session.status].push(toSummary(session, progress));
  for (const { status, n } of counts) board.counts[status] = n;
  return board;
}

// ---------------------------------------------------------------------------------------------
// Invoices to pick

const STATE_CODES = { pending: INVOICE_STATE.pending, paid: INVOICE_STATE.paid, canceled: INVOICE_STATE.canceled } as const;

/** A page of Magento invoices (default: paid, newest first) with their order numbers and any open pick session. */
export async function listInvoices(deps: MagentoDeps, query: InvoiceQuery): Promise<InvoiceList> {
  const client = magentoClient(deps);
  const page = await listUpstreamInvoices(client, { pageSize: query.limit, currentPage: query.page, state: STATE_CODES[query.state] });
  const orderIds = [...new Set(page.items.map((invoice) => invoice.order_id))];
  const orders = orderIds.length === 0 ? [] : await findOrdersByIds(client, orderIds);
  const numberOf = new Map(orders.map((order) => [order.entity_id, order.increment_id]));
  const numbers = [...new Set(orders.map((order) => order.increment_id))];
  const open =
    numbers.length === 0
      ? []
      : await deps.db
          .select({ id: fulfillmentSessions.id, orderNumber: fulfillmentSessions.orderNumber })
          .from(fulfillmentSessions)
          .where(
            and(
              inArray(fulfillmentSessions.orderNumber, numbers),
              eq(fulfillmentSessions.sessionType, "pick"),
              inArray(fulfillmentSessions.status, [...OPEN_STATUSES]),
            ),
          );
  const openByOrder = new Map(open.map((s) => [s.orderNumber, s.id]));
  return {
    items: page.items.map((invoice) => {
      const orderNumber = numberOf.get(invoice.order_id) ?? null;
      return {
        invoice_number: invoice.increment_id,
        order_number: orderNumber,
        state: invoice.state,
        created_at: invoice.created_at ?? null,
        grand_total: invoice.grand_total ?? null,
        open_session_id: orderNumber === null ? null : (openByOrder.get(orderNumber) ?? null),
      };
    }),
    total: page.total_count,
    limit: query.limit,
    page: query.page,
  };
}
