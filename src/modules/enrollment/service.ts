/**
 * Enrollment: cards (NFC/RFID UIDs) and fingerprint templates per employee. Register, replace,
 * revoke. An active card or template belongs to one employee (partial unique indexes decide,
 * so two managers enrolling the same card at once cannot both succeed); a revoked one stops
 * clocking at once (clocking re-checks it in the statement that writes the event).
 */
import { and, asc, desc, eq, isNull, sql } from "drizzle-orm";
import { isConstraintError } from "../../db/client";
import { attendanceEmployees, enrollmentCards, enrollmentFingerprints } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { AppError } from "../../lib/errors";
import { type Page, paginate } from "../../lib/pagination";
import { actorOf } from "../../lib/principal";
import { afterOneChange, insertWhere } from "../../lib/sql";
import type { Principal } from "../../types";
import { templateHash } from "./repo";
import type { Card, CredentialListQuery, EmployeeEnrollment, Fingerprint, RegisterCard, RegisterFingerprint, ReplaceCard, RevokeBody } from "./schemas";

type CardRow = typeof enrollmentCards.$inferSelect;
type FingerprintRow = typeof enrollmentFingerprints.$inferSelect;
type EnrollDeps = Pick<Deps, "db" | "now">;

/** The wire shape of a card row. */
export function toCard(row: CardRow): Card {
  return {
    id: row.id,
    employee_id: row.employeeId,
    uid: row.uid,
    label: row.label,
    active: row.revokedAt === null,
    created_at: row.createdAt,
    created_by: row.createdBy,
    revoked_at: row.revokedAt,
    revoked_by: row.revokedBy,
    revoke_reason: row.revokeReason,
  };
}

/** The wire shape of a fingerprint row (never the template bytes, which are not kept). */
export function toFingerprint(row: FingerprintRow): Fingerprint {
  return {
    id: row.id,
    employee_id: row.employeeId,
    template_id: row.templateId,
    has_template: row.templateHash !== null,
    finger: row.finger,
    active: row.revokedAt === null,
    created_at: row.createdAt,
    created_by: row.createdBy,
    revoked_at: row.revokedAt,
    revoked_by: row.revokedBy,
    revoke_reason: row.revokeReason,
  };
}

/** The active employee a credential is being enrolled for (by id or code); 404 / 409 otherwise. */
async function activeEmployee(db: Deps["db"], ref: string) {
  const rows = await db.select().from(attendanceEmployees).where(sql`${attendanceEmployees.id} = ${ref} or ${attendanceEmployees.code} = ${ref}`).limit(2);
  const row = rows.find((r) => r.id === ref) ?? rows[0];
  if (!row) throw new AppError("NOT_FOUND", `Employee '${ref}' not found`, { reason: "employee_not_found" });
  if (!row.active) throw new AppError("CONFLICT", `Employee '${row.code}' is inactive: reactivate them before enrolling`, { reason: "employee_inactive" });
  return row;
}

/** SQL: the employee is still active (the insert of a credential runs only then). */
const stillActive = (employeeId: string) =>
  sql`exists (select 1 from ${attendanceEmployees} where ${attendanceEmployees.id} = ${employeeId} and ${attendanceEmployees.active} = 1)`;

const cardTaken = (uid: string) => new AppError("CONFLICT", `Card ${uid} is already enrolled to an active employee`, { reason: "card_taken" });

/** Registers a card for an active employee; 409 when the card is active for anyone. */
export async function registerCard(deps: EnrollDeps, input: RegisterCard, actor: Principal): Promise<Card> {
  const employee = await activeEmployee(deps.db, input.employee_id);
  const id = crypto.randomUUID();
  try {
    const [, rows] = await deps.db.batch([
      insertWhere(
        deps,
        enrollmentCards,
        { id, employeeId: employee.id, uid: input.uid, label: input.label ?? null, createdBy: actorOf(actor).userId },
        stillActive(employee.id),
      ),
      deps.db.select().from(enrollmentCards).where(eq(enrollmentCards.id, id)),
    ]);
    const [row] = rows;
    if (!row) throw new AppError("CONFLICT", `Employee '${employee.code}' was deactivated meanwhile`, { reason: "employee_inactive" });
    return toCard(row);
  } catch (err) {
    if (isConstraintError(err, "UNIQUE")) throw cardTaken(input.uid);
    throw err;
  }
}

async function findCard(db: Deps["db"], id: string): Promise<CardRow> {
  const [row] = await db.select().from(enrollmentCards).where(eq(enrollmentCards.id, id)).limit(1);
  if (!row) throw new AppError("NOT_FOUND", `Card '${id}' not found`, { reason: "card_not_found" });
  return row;
}

/** Revokes a card: it stops clocking at once. 409 when already revoked. */
export async function revokeCard(deps: EnrollDeps, id: string, input: RevokeBody, actor: Principal): Promise<Card> {
  await findCard(deps.db, id);
  const [row] = await deps.db
    .update(enrollmentCards)
    .set({ revokedAt: deps.now().toISOString(), revokedBy: actorOf(actor).userId, revokeReason: input.reason })
    .where(and(eq(enrollmentCards.id, id), isNull(enrollmentCards.revokedAt)))
    .returning();
  if (!row) throw new AppError("CONFLICT", "This card is already revoked", { reason: "card_revoked" });
  return toCard(row);
}

/**
 * Replaces a card (lost, broken): revokes it and registers the new UID for the same employee in
 * one batch. All or nothing: a new UID in use elsewhere leaves the old card active (409).
 */
export async function replaceCard(deps: EnrollDeps, id: string, input: ReplaceCard, actor: Principal): Promise<{ revoked: Card; card: Card }> {
  const old = await findCard(deps.db, id);
  if (old.revokedAt !== null) throw new AppError("CONFLICT", "This card is already revoked; register a new one instead", { reason: "card_revoked" });
  const who = actorOf(actor);
  const newId = crypto.randomUUID();
  try {
    const [, , revokedRows, newRows] = await deps.db.batch([
      deps.db
        .update(enrollmentCards)
        .set({ revokedAt: deps.now().toISOString(), revokedBy: who.userId, revokeReason: input.reason })
        .where(and(eq(enrollmentCards.id, id), isNull(enrollmentCards.revokedAt), stillActive(old.employeeId))),
      insertWhere(
        deps,
        enrollmentCards,
        { id: newId, employeeId: old.employeeId, uid: input.uid, label: input.label === undefined ? old.label : input.label, createdBy: who.userId },
        afterOneChange,
      ),
      deps.db.select().from(enrollmentCards).where(eq(enrollmentCards.id, id)),
      deps.db.select().from(enrollmentCards).where(eq(enrollmentCards.id, newId)),
    ]);
    const [revoked] = revokedRows;
    const [card] = newRows;
    if (!revoked || !card)
      throw new AppError("CONFLICT", "The card was revoked or its employee deactivated meanwhile; nothing was changed", { reason: "card_revoked" });
    return { revoked: toCard(revoked), card: toCard(card) };
  } catch (err) {
    if (isConstraintError(err, "UNIQUE")) throw cardTaken(input.uid);
    throw err;
  }
}

/** Cards, newest first (?employee_id, ?include_revoked). */
export async function listCards(deps: Pick<Deps, "db">, query: CredentialListQuery): Promise<Page<Card>> {
  const c = enrollmentCards;
  const q = deps.db
    .select()
    .from(c)
    .where(and(query.employee_id ? eq(c.employeeId, query.employee_id) : undefined, query.include_revoked ? undefined : isNull(c.revokedAt)))
    .$dynamic();
  const page = await paginate(deps.db, q, query, { orderBy: [desc(c.createdAt)], tiebreaker: c.id });
  return { ...page, items: page.items.map(toCard) };
}

/** Enrols a fingerprint template id (and, when sent, the template's SHA-256) for an active employee. */
export async function registerFingerprint(deps: EnrollDeps, input: RegisterFingerprint, actor: Principal): Promise<Fingerprint> {
  const employee = await activeEmployee(deps.db, input.employee_id);
  const id = crypto.randomUUID();
  const hash = input.template_b64 === undefined ? null : await templateHash(input.template_b64);
  try {
    const [, rows] = await deps.db.batch([
      insertWhere(
        deps,
        enrollmentFingerprints,
        { id, employeeId: employee.id, templateId: input.template_id, templateHash: hash, finger: input.finger ?? null, createdBy: actorOf(actor).userId },
        stillActive(employee.id),
      ),
      deps.db.select().from(enrollmentFingerprints).where(eq(enrollmentFingerprints.id, id)),
    ]);
    const [row] = rows;
    if (!row) throw new AppError("CONFLICT", `Employee '${employee.code}' was deactivated meanwhile`, { reason: "employee_inactive" });
    return toFingerprint(row);
  } catch (err) {
    if (isConstraintError(err, "UNIQUE")) {
      throw new AppError("CONFLICT", `Template '${input.template_id}' (or the same template bytes) is already enrolled`, { reason: "template_taken" });
    }
    throw err;
  }
}

/** Revokes a fingerprint enrolment: it stops clocking at once. */
export async function revokeFingerprint(deps: EnrollDeps, id: string, input: RevokeBody, actor: Principal): Promise<Fingerprint> {
  const [existing] = await deps.db.select().from(enrollmentFingerprints).where(eq(enrollmentFingerprints.id, id)).limit(1);
  if (!existing) throw new AppError("NOT_FOUND", `Fingerprint '${id}' not found`, { reason: "fingerprint_not_found" });
  const [row] = await deps.db
    .update(enrollmentFingerprints)
    .set({ revokedAt: deps.now().toISOString(), revokedBy: actorOf(actor).userId, revokeReason: input.reason })
    .where(and(eq(enrollmentFingerprints.id, id), isNull(enrollmentFingerprints.revokedAt)))
    .returning();
  if (!row) throw new AppError("CONFLICT", "This fingerprint is already revoked", { reason: "fingerprint_revoked" });
  return toFingerprint(row);
}

/** Fingerprint enrolments, newest first (?employee_id, ?include_revoked). */
export async function listFingerprints(deps: Pick<Deps, "db">, query: CredentialListQuery): Promise<Page<Fingerprint>> {
  const f = enrollmentFingerprints;
  const q = deps.db
    .select()
    .from(f)
    .where(and(query.employee_id ? eq(f.employeeId, query.employee_id) : undefined, query.include_revoked ? undefined : isNull(f.revokedAt)))
    .$dynamic();
  const page = await paginate(deps.db, q, query, { orderBy: [desc(f.createdAt)], tiebreaker: f.id });
  return { ...page, items: page.items.map(toFingerprint) };
}

/** One employee's credentials, active and revoked. */
export async function employeeEnrollment(deps: Pick<Deps, "db">, ref: string): Promise<EmployeeEnrollment> {
  const rows = await deps.db.select().from(attendanceEmployees).where(sql`${attendanceEmployees.id} = ${ref} or ${attendanceEmployees.code} = ${ref}`).limit(2);
  const employee = rows.find((r) => r.id === ref) ?? rows[0];
  if (!employee) throw new AppError("NOT_FOUND", `Employee '${ref}' not found`, { reason: "employee_not_found" });
  const [cards, fingerprints] = await deps.db.batch([
    deps.db.select().from(enrollmentCards).where(eq(enrollmentCards.employeeId, employee.id)).orderBy(asc(enrollmentCards.createdAt), asc(enrollmentCards.id)),
    deps.db
      .select()
      .from(enrollmentFingerprints)
      .where(eq(enrollmentFingerprints.employeeId, employee.id))
      .orderBy(asc(enrollmentFingerprints.createdAt), asc(enrollmentFingerprints.id)),
  ]);
  return {
    employee_id: employee.id,
    employee_code: employee.code,
    employee_name: employee.name,
    active: employee.active,
    cards: cards.map(toCard),
    fingerprints: fingerprints.map(toFingerprint),
  };
}
