/**
 * Reads RM365's pick & pack screens need beyond one session: an order's invoice with its lines
 * (to show before starting), the sessions of an order, of an owner or of a set of statuses with
 * their lines (the active list, the progress dashboard), and a session by RM365's integer id.
 */
import { and, asc, desc, eq, inArray, type SQL } from "drizzle-orm";
import { type FulfillmentStatus, fulfillmentItems, fulfillmentSessions } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { findInvoices, findOrder, INVOICE_STATE, type MagentoInvoice, type MagentoOrder, magentoClient } from "./client";
import { pickLines } from "./service";

/** The most sessions one list returns (open sessions are one per order being worked). */
export const MAX_SESSION_LIST = 500;

export type SessionRow = typeof fulfillmentSessions.$inferSelect;
export type ItemRow = typeof fulfillmentItems.$inferSelect;

/** An order, its newest paid (else newest) invoice and its pickable lines; undefined when the order or every invoice is missing. */
export async function invoiceOf(
  deps: Pick<Deps, "feature">,
  orderNumber: string,
): Promise<{ order: MagentoOrder; invoice: MagentoInvoice; lines: ReturnType<typeof pickLines> } | undefined> {
  const client = magentoClient(deps);
  const order = await findOrder(client, orderNumber);
  if (!order) return undefined;
  const invoices = await findInvoices(client, order.entity_id);
  const invoice = invoices.filter((i) => i.state === INVOICE_STATE.paid).at(-1) ?? invoices.at(-1);
  if (!invoice) return undefined;
  return { order, invoice, lines: pickLines(order) };
}

export interface SessionFilter {
  id?: string;
  statuses?: readonly FulfillmentStatus[];
  ownerId?: string;
  orderNumber?: string;
  limit?: number;
}

/** Sessions (newest first) with their lines, in two D1 round trips at most per 90 sessions. */
export async function sessionsWithItems(deps: Pick<Deps, "db">, filter: SessionFilter): Promise<{ row: SessionRow; items: ItemRow[] }[]> {
  const t = fulfillmentSessions;
  const conditions: (SQL | undefined)[] = [
    filter.id ? eq(t.id, filter.id) : undefined,
    filter.statuses ? inArray(t.status, [...filter.statuses]) : undefined,
    filter.ownerId ? eq(t.ownerId, filter.ownerId) : undefined,
    filter.orderNumber ? eq(t.orderNumber, filter.orderNumber) : undefined,
  ];
  const rows = await deps.db
    .select()
    .from(t)
    .where(and(...conditions))
    .orderBy(desc(t.createdAt), asc(t.id))
    .limit(Math.min(filter.limit ?? MAX_SESSION_LIST, MAX_SESSION_LIST));
  const items = new Map<string, ItemRow[]>(rows.map((r) => [r.id, []]));
  for (let i = 0; i < rows.length; i += 90) {
    const ids = rows.slice(i, i + 90).map((r) => r.id);
    const lines = await deps.db.select().from(fulfillmentItems).where(inArray(fulfillmentItems.sessionId, ids)).orderBy(asc(fulfillmentItems.position));
    for (const line of lines) items.get(line.sessionId)?.push(line);
  }
  return rows.map((row) => ({ row, items: items.get(row.id) ?? [] }));
}

/** A session id from what RM365's client sends: the id itself, or its integer number. */
export async function sessionIdOf(deps: Pick<Deps, "db">, ref: string): Promise<string> {
  if (!/^\d{1,10}$/.test(ref)) return ref;
  const [row] = await deps.db
    .select({ id: fulfillmentSessions.id })
    .from(fulfillmentSessions)
    .where(eq(fulfillmentSessions.number, Number(ref)))
    .limit(1);
  return row?.id ?? ref;
}
