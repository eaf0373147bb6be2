/**
 * How an importer writes a legacy user (MS5, RM365, CCbackend). A new user is inserted with everything the
 * legacy system held. An existing one — already imported, and maybe changed in Floorline since —
 * only has its profile refreshed: a re-import during the cutover never rewrites a password, a
 * role, tabs, activation or the name. Otherwise a login in the old system (which changes its row)
 * would bring back a password changed in Floorline, re-activate a user deactivated here, or
 * re-promote a demoted one. Such changes made in the old system after the first import are set
 * in Floorline by an admin (README "Moving from the old systems").
 */
import { eq } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "../../db/client";
import { users } from "../../db/schema";
import { legacyHashProblem } from "../../lib/passwords";
import { BadValue, requiredText } from "./values";

/** The longest password hash kept (bcrypt is 60 characters, Werkzeug's scrypt about 160). */
const MAX_HASH_CHARS = 500;

/**
 * A legacy user's password hash, kept only when it is one the login verifies, in the shape its
 * writer gives it (src/lib/passwords.ts `legacyHashProblem`). Anything else (a plain password, a
 * format Floorline does not verify, a digest cut short, a work factor that would pin a CPU) is
 * a BadValue: the row is reported with its legacy key and the reason (never the hash), not stored.
 */
export function legacyPasswordHash(value: unknown, column: string): string {
  const hash = requiredText(value, column, MAX_HASH_CHARS);
  const problem = legacyHashProblem(hash);
  if (problem) throw new BadValue(`${column}: ${problem}; set a new password after the import`);
  return hash;
}

/** The columns a re-import leaves as Floorline has them. */
const KEPT_ON_REIMPORT = new Set(["username", "usernameKey", "passwordHash", "role", "allowedTabs", "isActive"]);

type UserInsert = typeof users.$inferInsert;

export function writeImportedUser<V extends Omit<UserInsert, "id">>(db: Db, id: string, values: V, existing: boolean): BatchItem<"sqlite">[] {
  if (!existing) return [db.insert(users).values({ ...values, id })];
  const profile = Object.fromEntries(Object.entries(values).filter(([column]) => !KEPT_ON_REIMPORT.has(column)));
  if (Object.keys(profile).length === 0) return [];
  return [
    db
      .update(users)
      .set(profile as Partial<UserInsert>)
      .where(eq(users.id, id)),
  ];
}
