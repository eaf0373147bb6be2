/**
 * Handing a pick session between people (RM365's collaborative fulfillment): a picker releases
 * a session back to `draft` (its scans kept) and another claims it (service.ts `claimSession`);
 * a picker sends an order to be checked; a supervisor approves Magento orders for picking, and
 * on the progress dashboard cancels, assigns or takes over anyone's session.
 *
 * Rules (the state machine; every change is one conditional UPDATE whose `changes()` decides,
 * so two tablets or a tablet and a supervisor acting at once never both win):
 * - release: in_progress | ready_to_check → draft. Owner or `fulfillment:manage`.
 * - mark ready to check: in_progress | ready_to_check → ready_to_check. Owner or manager. Lines
 *   may be missing (a checker looks); completion still needs every line.
 * - claim: draft | approved → in_progress, owned by the caller (anyone who may pick).
 * - transfer (takeover, force-assign): any open session → owned by the target; a draft or
 *   approved one becomes in_progress. Manager only (the route's `access`); the target must be an
 *   active user who may pick. Taking over what one already holds is refused.
 * - approve: a Magento order with no open or completed pick gets an `approved` session, held by
 *   the approver until a picker claims or starts it.
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import { fulfillmentSessions, OPEN_STATUSES } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { AppError } from "../../lib/errors";
import { actorOf } from "../../lib/principal";
import { hasPermission, rolePermissions } from "../../lib/rbac";
import type { Principal } from "../../types";
import { findUserById, findUserByUsername } from "../users/repo";
import { listOrdersByStatus, type MagentoOrder, magentoClient } from "./client";
import { type LiveDeps, publishSession } from "./live";
import type { Session } from "./schemas";
import { cancelSession, ownerCondition, readSession, refusal, sessionNotFound, startSession, toSession, whoIs } from "./service";

type WriteDeps = Pick<Deps, "db" | "now"> & LiveDeps;
type SessionRow = typeof fulfillmentSessions.$inferSelect;

const t = fulfillmentSessions;

/** Releases a session back to draft, its scans kept, for someone to claim (RM365 calls it on leaving the page). */
export async function releaseSession(deps: WriteDeps, sessionId: string, actor: Principal): Promise<Session> {
  const { db } = deps;
  const now = deps.now().toISOString();
  const [done, sessions, items] = await db.batch([
    db
      .update(t)
      .set({ status: "draft", updatedAt: now, version: sql`${t.version} + 1` })
      .where(and(eq(t.id, sessionId), inArray(t.status, ["in_progress", "ready_to_check"]), ownerCondition(actor))),
    ...readSession(db, sessionId),
  ]);
  const row = sessions[0];
  if (!row) throw sessionNotFound(sessionId);
  if (done.meta.changes !== 1) throw refusal(row, actor, "release", ["in_progress", "ready_to_check"]) ?? sessionChanged(row);
  publishSession(deps, "session_drafted", row, whoIs(actor));
  return toSession(row, items);
}

/** Sends a session to be checked (the tracking board's middle column). */
export async function markReadyToCheck(deps: WriteDeps, sessionId: string, actor: Principal): Promise<Session> {
  const { db } = deps;
  const now = deps.now().toISOString();
  const [done, sessions, items] = await db.batch([
    db
      .update(t)
      .set({ status: "ready_to_check", updatedAt: now, version: sql`${t.version} + 1` })
      .where(and(eq(t.id, sessionId), inArray(t.status, ["in_progress", "ready_to_check"]), ownerCondition(actor))),
    ...readSession(db, sessionId),
  ]);
  const row = sessions[0];
  if (!row) throw sessionNotFound(sessionId);
  if (done.meta.changes !== 1) {
    const refused = refusal(row, actor, "send", ["in_progress", "ready_to_check"]);
    if (refused?.reason === "session_closed") {
      throw new AppError("CONFLICT", `Session is ${row.status}; only a session being picked can be sent to checking`, {
        reason: "session_closed",
        details: { status: row.status },
      });
    }
    throw refused ?? sessionChanged(row);
  }
  publishSession(deps, "session_updated", row, whoIs(actor));
  return toSession(row, items);
}

/** A session that changed between the conditional write and its read-back (a concurrent writer won). */
const sessionChanged = (row: SessionRow) =>
  new AppError("CONFLICT", "Session changed while this request ran; reload it", { reason: "stale_version", details: { version: row.version } });

export interface Assignee {
  userId: string;
  username: string;
}

/**
 * The user a supervisor assigns a session to, by username (what RM365's dialog asks for) or id:
 * 404 when there is no such active user, 400 when they may not pick.
 */
export async function resolveAssignee(deps: Pick<Deps, "db">, ref: string): Promise<Assignee> {
  const found = (await findUserByUsername(deps, ref)) ?? (/^[0-9a-f-]{36}$/i.test(ref) ? await findUserById(deps, ref) : undefined);
  if (!found?.user.isActive) throw new AppError("NOT_FOUND", `No active user named ${ref}`, { reason: "user_not_found" });
  if (!hasPermission(rolePermissions(found.user.role, found.rolePermissions), "fulfillment:pick")) {
    throw new AppError("BUSINESS_LOGIC_ERROR", `${found.user.username} may not pick orders (no fulfillment:pick)`, { reason: "assignee_cannot_pick" });
  }
  return { userId: found.user.id, username: found.user.username };
}

/**
 * Gives an open session to `to` (a supervisor's takeover or assignment): a draft or approved one
 * starts (in_progress), one being picked or checked keeps its status. The caller must hold
 * `fulfillment:manage` (the routes declare it). 409 when it is closed or `to` already holds it.
 */
export async function transferSession(deps: WriteDeps, sessionId: string, to: Assignee, actor: Principal): Promise<Session> {
  const { db } = deps;
  const now = deps.now().toISOString();
  const alreadyHeld = sql`(${t.status} in ('in_progress', 'ready_to_check') and ${t.ownerId} = ${to.userId})`;
  // One batch (one transaction): who held it just before the write, the write, the result.
  const [before, done, sessions, items] = await db.batch([
    db.select({ ownerName: t.ownerName }).from(t).where(eq(t.id, sessionId)).limit(1),
    db
      .update(t)
      .set({
        ownerId: to.userId,
        ownerName: to.username,
        status: sql`case when ${t.status} in ('draft', 'approved') then 'in_progress' else ${t.status} end`,
        updatedAt: now,
        version: sql`${t.version} + 1`,
      })
      .where(and(eq(t.id, sessionId), inArray(t.status, [...OPEN_STATUSES]), sql`not ${alreadyHeld}`)),
    ...readSession(db, sessionId),
  ]);
  const row = sessions[0];
  if (!row) throw sessionNotFound(sessionId);
  if (done.meta.changes !== 1) {
    if (!(OPEN_STATUSES as readonly string[]).includes(row.status)) {
      throw new AppError("CONFLICT", `Session is ${row.status}; it cannot be taken over or assigned`, {
        reason: "session_closed",
        details: { status: row.status },
      });
    }
    if (row.ownerId === to.userId) {
      const self = to.userId === actorOf(actor).userId;
      throw new AppError("CONFLICT", self ? "You cannot take over your own session" : `${to.username} already holds this session`, {
        reason: "session_already_owned",
      });
    }
    throw sessionChanged(row);
  }
  publishSession(deps, "session_transferred", row, whoIs(actor), { previous_owner: before[0]?.ownerName ?? row.ownerName, new_owner: to.username });
  return toSession(row, items);
}

/** Approves a Magento order for picking: an `approved` session a picker then claims or starts. */
export function approveOrder(deps: Parameters<typeof startSession>[0], orderNumber: string, actor: Principal): Promise<Session> {
  return startSession(deps, { order_number: orderNumber, session_type: "pick" }, actor, { approve: true });
}

/** The most orders the approval screen lists (one Magento page). */
export const MAX_PENDING_ORDERS = 100;

/** Session ids per `IN (…)` (D1 binds at most 100 parameters per statement). */
const ORDERS_PER_QUERY = 90;

/**
 * Magento orders in `processing` (newest first, at most {@link MAX_PENDING_ORDERS}) that have no
 * open or completed pick session: what is waiting for approval.
 */
export async function pendingOrders(deps: Pick<Deps, "db" | "feature">): Promise<MagentoOrder[]> {
  const orders = await listOrdersByStatus(magentoClient(deps), "processing", MAX_PENDING_ORDERS);
  const numbers = [...new Set(orders.map((o) => o.increment_id))];
  const taken = new Set<string>();
  for (let i = 0; i < numbers.length; i += ORDERS_PER_QUERY) {
    const rows = await deps.db
      .select({ orderNumber: t.orderNumber })
      .from(t)
      .where(
        and(inArray(t.orderNumber, numbers.slice(i, i + ORDERS_PER_QUERY)), eq(t.sessionType, "pick"), inArray(t.status, [...OPEN_STATUSES, "completed"])),
      );
    for (const r of rows) taken.add(r.orderNumber);
  }
  return orders.filter((o) => !taken.has(o.increment_id));
}

/** A manager's cancel of anyone's open session: `session_cancelled`, then `session_forced_cancel` with the reason (RM365's picker screen leaves the session on it). */
export async function forceCancel(deps: WriteDeps, sessionId: string, reason: string | undefined, actor: Principal): Promise<Session> {
  const session = await cancelSession(deps, { session_id: sessionId, reason: reason ?? "Cancelled by a supervisor" }, actor, undefined);
  const facts = {
    id: session.session_id,
    orderNumber: session.order_number,
    sessionType: session.session_type,
    status: session.status,
    version: session.version,
    updatedAt: session.updated_at,
  };
  publishSession(deps, "session_forced_cancel", facts, whoIs(actor), { reason: reason ?? null });
  return session;
}
