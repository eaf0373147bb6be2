import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { roles, sessions, users } from "../../db/schema";
import { AppError, conflict, notFound } from "../../lib/errors";
import { hashPassword } from "../../lib/passwords";
import type { UserPrincipal } from "../../types";
import { findUserById, findUserByUsername, listUsers, toUserResponse, type UserWithRole } from "./repo";
import type { CreateUserBody, UpdateUserBody, UserResponse } from "./schemas";

const nowIso = () => new Date().toISOString();

const isUniqueViolation = (err: unknown) => err instanceof Error && /UNIQUE constraint failed/i.test(`${err.message} ${String(err.cause ?? "")}`);

async function assertRoleExists(db: Db, role: string): Promise<void> {
  const [row] = await db.select({ name: roles.name }).from(roles).where(eq(roles.name, role)).limit(1);
  if (!row) {
    throw new AppError("VALIDATION_ERROR", `Role '${role}' does not exist`, { details: [{ path: "body.role", message: "Unknown role" }] });
  }
}

/** Creates a user; 409 when the username is taken (checked, and enforced by a unique index). */
export async function createUser(db: Db, input: CreateUserBody): Promise<UserWithRole> {
  await assertRoleExists(db, input.role);
  const id = crypto.randomUUID();
  try {
    await db.insert(users).values({
      id,
      username: input.username,
      passwordHash: await hashPassword(input.password),
      role: input.role,
      allowedTabs: input.allowed_tabs ?? null,
      email: input.email ?? null,
      firstName: input.first_name ?? null,
      lastName: input.last_name ?? null,
      employeeId: input.employee_id ?? null,
      department: input.department ?? null,
      shift: input.shift ?? null,
      skills: input.skills ?? [],
      certifications: input.certifications ?? [],
      isActive: input.is_active ?? true,
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`User '${input.username}' already exists`);
    throw err;
  }
  const created = await findUserById(db, id);
  if (!created) throw new Error("user vanished after insert");
  return created;
}

export async function listUsernames(db: Db): Promise<string[]> {
  return (await listUsers(db)).map((u) => u.user.username);
}

export async function listDetailed(db: Db): Promise<UserResponse[]> {
  return (await listUsers(db)).map(toUserResponse);
}

async function activeAdminCount(db: Db): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)` })
    .from(users)
    .where(and(eq(users.role, "admin"), eq(users.isActive, true)));
  return row?.n ?? 0;
}

/**
 * RM365's PATCH: rename, new password, role, tabs, and MS5's profile fields. `expectedVersion`
 * (from If-Match) makes a stale write a 409 that changes nothing. A new password ends the
 * user's sessions. The last active admin cannot be demoted or deactivated.
 */
export async function updateUser(db: Db, input: UpdateUserBody, expectedVersion?: number): Promise<UserWithRole> {
  const existing = await findUserByUsername(db, input.username);
  if (!existing) throw notFound(`User '${input.username}'`);
  const { user } = existing;
  if (expectedVersion !== undefined && expectedVersion !== user.version) {
    throw conflict(`User '${user.username}' was changed by someone else (version ${user.version}); reload and retry`);
  }
  if (input.role !== undefined) await assertRoleExists(db, input.role);
  const losesAdmin =
    user.role === "admin" && user.isActive && ((input.role !== undefined && input.role !== "admin") || input.is_active === false);
  if (losesAdmin && (await activeAdminCount(db)) <= 1) throw conflict("The last active admin cannot be demoted or deactivated");

  const now = nowIso();
  const set: Partial<typeof users.$inferInsert> = { updatedAt: now, version: user.version + 1 };
  if (input.new_username !== undefined) set.username = input.new_username;
  if (input.new_password !== undefined) {
    set.passwordHash = await hashPassword(input.new_password);
    set.passwordChangedAt = now;
  }
  if (input.role !== undefined) set.role = input.role;
  if (input.allowed_tabs !== undefined) set.allowedTabs = input.allowed_tabs;
  if (input.email !== undefined) set.email = input.email;
  if (input.first_name !== undefined) set.firstName = input.first_name;
  if (input.last_name !== undefined) set.lastName = input.last_name;
  if (input.employee_id !== undefined) set.employeeId = input.employee_id;
  if (input.department !== undefined) set.department = input.department;
  if (input.shift !== undefined) set.shift = input.shift;
  if (input.skills !== undefined) set.skills = input.skills;
  if (input.certifications !== undefined) set.certifications = input.certifications;
  if (input.is_active !== undefined) set.isActive = input.is_active;

  try {
    const [updated] = await db.batch([
      db.update(users).set(set).where(and(eq(users.id, user.id), eq(users.version, user.version))).returning({ id: users.id }),
      ...(input.new_password !== undefined || input.is_active === false
        ? [db.update(sessions).set({ revokedAt: now, revokedReason: "credentials_changed" }).where(and(eq(sessions.userId, user.id), sql`${sessions.revokedAt} is null`))]
        : []),
    ]);
    if (updated.length === 0) throw conflict(`User '${user.username}' was changed by someone else; reload and retry`);
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`User '${input.new_username}' already exists`);
    throw err;
  }
  const fresh = await findUserById(db, user.id);
  if (!fresh) throw notFound(`User '${input.username}'`);
  return fresh;
}

/** Deletes a user (and, by cascade, their sessions). Nobody deletes themself or the last admin. */
export async function deleteUser(db: Db, username: string, actor: UserPrincipal | undefined): Promise<void> {
  const existing = await findUserByUsername(db, username);
  if (!existing) throw notFound(`User '${username}'`);
  if (actor && existing.user.id === actor.userId) throw conflict("You cannot delete your own account");
  if (existing.user.role === "admin" && existing.user.isActive && (await activeAdminCount(db)) <= 1) {
    throw conflict("The last active admin cannot be deleted");
  }
  await db.delete(users).where(eq(users.id, existing.user.id));
}
