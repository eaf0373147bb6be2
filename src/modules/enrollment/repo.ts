/**
 * What attendance reads of enrollment: the active credential a reader presented, and the SQL
 * condition that it is still active, which clocking puts in the statement that writes the event
 * (so a card revoked a moment earlier cannot clock).
 */
import { and, eq, isNull, type SQL, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { attendanceEmployees, enrollmentCards, enrollmentFingerprints } from "../../db/schema";
import { toHex } from "../../lib/encoding";

export type EmployeeRow = typeof attendanceEmployees.$inferSelect;
export interface Credential {
  kind: "card" | "fingerprint";
  id: string;
}

/** The employee an active card (UID already normalised) belongs to, with the card's id. */
export async function employeeByCard(db: Db, uid: string): Promise<{ employee: EmployeeRow; credential: Credential } | undefined> {
  const [row] = await db
    .select({ employee: attendanceEmployees, cardId: enrollmentCards.id })
    .from(enrollmentCards)
    .innerJoin(attendanceEmployees, eq(attendanceEmployees.id, enrollmentCards.employeeId))
    .where(and(eq(enrollmentCards.uid, uid), isNull(enrollmentCards.revokedAt)))
    .limit(1);
  return row ? { employee: row.employee, credential: { kind: "card", id: row.cardId } } : undefined;
}

/** SHA-256 (hex) of template bytes given as base64: how enrolled templates are recognised. */
export async function templateHash(templateB64: string): Promise<string> {
  const bytes = Uint8Array.from(atob(templateB64), (c) => c.charCodeAt(0));
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
}

/** The employee an active fingerprint enrolment belongs to, by the reader's template id or the template's hash. */
export async function employeeByFingerprint(
  db: Db,
  by: { templateId: string } | { templateHash: string },
): Promise<{ employee: EmployeeRow; credential: Credential } | undefined> {
  const f = enrollmentFingerprints;
  const match = "templateId" in by ? eq(f.templateId, by.templateId) : eq(f.templateHash, by.templateHash);
  const [row] = await db
    .select({ employee: attendanceEmployees, id: f.id })
    .from(f)
    .innerJoin(attendanceEmployees, eq(attendanceEmployees.id, f.employeeId))
    .where(and(match, isNull(f.revokedAt)))
    .limit(1);
  return row ? { employee: row.employee, credential: { kind: "fingerprint", id: row.id } } : undefined;
}

/** SQL: the credential is still active (not revoked since it was looked up). */
export function credentialActive(credential: Credential): SQL {
  const t = credential.kind === "card" ? enrollmentCards : enrollmentFingerprints;
  return sql`exists (select 1 from ${t} where ${t.id} = ${credential.id} and ${t.revokedAt} is null)`;
}

/** Statements that revoke every active credential of an employee when `when` holds (deactivation). */
export function revokeAllOf(db: Db, employeeId: string, at: string, by: string | null, reason: string, when: SQL) {
  return [
    db
      .update(enrollmentCards)
      .set({ revokedAt: at, revokedBy: by, revokeReason: reason })
      .where(and(eq(enrollmentCards.employeeId, employeeId), isNull(enrollmentCards.revokedAt), when)),
    db
      .update(enrollmentFingerprints)
      .set({ revokedAt: at, revokedBy: by, revokeReason: reason })
      .where(and(eq(enrollmentFingerprints.employeeId, employeeId), isNull(enrollmentFingerprints.revokedAt), when)),
  ] as const;
}
