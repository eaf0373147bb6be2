import { and, eq, ne, sql } from "drizzle-orm";
import { isConstraintError } from "../../db/client";
import { roles, sessions, users } from "../../db/schema";
import { sessionUserOf } from "../../lib/auth";
import type { Deps } from "../../lib/deps";
import { AppError, conflict, forbidden, notFound } from "../../lib/errors";
import { usernameKey } from "../../lib/fields";
import { hashPassword } from "../../lib/passwords";
import { actorOf } from "../../lib/principal";
import { effectiveTabs, holdsAll, holdsTabs, type Permission, rolePermissions } from "../../lib/rbac";
import type { Principal, UserPrincipal } from "../../types";
import { type AuthDeps, type IssuedResetToken, issueResetToken, type SessionDeps, setPassword } from "../auth/service";
import { findUserById, findUserByUsername, listUsers, toUserResponse, type UserWithRole } from "./repo";
import type { CreateUserBody, ProfileUpdate, UpdateUserBody, UserResponse } from "./schemas";
import { closeSockets, type SocketDeps } from "./sockets";

const nowIso = () => new Date().toISOString();

const isUniqueViolation = (err: unknown) => isConstraintError(err, "UNIQUE");

type RoleRow = typeof roles.$inferSelect;

/** The role row; 422 when the role does not exist. */
async function roleNamed({ db }: Pick<Deps, "db">, role: string): Promise<RoleRow> {
  const [row] = await db.select().from(roles).where(eq(roles.name, role)).limit(1);
  if (!row) {
    throw new AppError("VALIDATION_ERROR", `Role '${role}' does not exist`, { details: [{ path: "body.role", message: "Unknown role" }] });
  }
  return row;
}

/** The user an actor acts as: themself, or for an API key the key's creator. */
export const actingUserId = (actor: Principal): string => actorOf(actor).userId;

/** A user's permissions and effective tabs (their own list, or their role's when null). */
function rightsOf(target: UserWithRole): { permissions: ReadonlySet<Permission | "*">; tabs: readonly string[] } {
  const permissions = rolePermissions(target.user.role, target.rolePermissions);
  return { permissions, tabs: effectiveTabs(permissions, target.user.allowedTabs, target.roleTabs) };
}

/**
 * Nobody grants RM365 tabs they do not hold (admins, with `*`, hold them all). `tabs` is the
 * effective list after the write: a user's own list, or their role's when it will be null.
 */
export function assertMayGrantTabs(actor: Principal, tabs: readonly string[]): void {
  if (actor.permissions.has("*")) return;
  if (!holdsTabs(actor.tabs, tabs)) throw forbidden("You cannot grant tabs you do not hold");
}

/** Nobody assigns a role that grants permissions they do not hold. */
function assertMayAssign(actor: Principal, role: RoleRow): void {
  if (!holdsAll(actor.permissions, rolePermissions(role.name, role.permissions))) {
    throw forbidden(`You cannot assign role '${role.name}': it grants permissions you do not hold`);
  }
}

/**
 * Nobody changes, resets or deletes a user who holds permissions or (effective) tabs they do
 * not hold themselves.
 */
export function assertMayManage(actor: Principal, target: UserWithRole): void {
  const rights = rightsOf(target);
  if (!holdsAll(actor.permissions, rights.permissions)) {
    throw new AppError("AUTHORIZATION_ERROR", `You cannot manage '${target.user.username}': they hold permissions you do not`, { reason: "may_not_manage" });
  }
  if (!actor.permissions.has("*") && !holdsTabs(actor.tabs, rights.tabs)) {
    throw forbidden(`You cannot manage '${target.user.username}': they hold tabs you do not`);
  }
}

/** 403 for an admin tool aimed at the caller's own password: that takes the current one. */
const ownPasswordRefused = () =>
  new AppError("AUTHORIZATION_ERROR", "Change your own password at POST /api/v1/auth/change-password, which asks for the current one", {
    reason: "own_password",
  });

/**
 * An administrator sets someone else's password, no current password asked (CCbackend's
 * `PUT /api/reset_password`): the target must exist (404), must not be the caller, nor an API
 * key's creator (403: one's own password needs the current one), and the caller must hold the
 * target's permissions and tabs (403). Every session of the target ends with the change.
 */
export async function adminSetPassword(deps: SessionDeps, actor: Principal, targetUsername: string, newPassword: string): Promise<UserWithRole> {
  const target = await findUserByUsername(deps, targetUsername);
  if (!target) throw new AppError("NOT_FOUND", `User '${targetUsername}' not found`, { reason: "user_not_found" });
  if (actingUserId(actor) === target.user.id) throw ownPasswordRefused();
  assertMayManage(actor, target);
  await setPassword(deps, target.user.id, newPassword, { reason: "password_set_by_admin" });
  return target;
}

/**
 * Creates a user; 409 when the username is taken (checked, and enforced by a unique index).
 * `actor` is who asks; self-registration (no actor) uses the configured role.
 */
export async function createUser(deps: Pick<Deps, "db">, input: CreateUserBody, actor?: Principal): Promise<UserWithRole> {
  const { db } = deps;
  const role = await roleNamed(deps, input.role);
  if (actor) {
    assertMayAssign(actor, role);
    assertMayGrantTabs(actor, effectiveTabs(rolePermissions(role.name, role.permissions), input.allowed_tabs ?? null, role.allowedTabs));
  }
  const id = crypto.randomUUID();
  try {
    await db.insert(users).values({
      id,
      username: input.username,
      usernameKey: usernameKey(input.username),
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
    if (isUniqueViolation(err)) throw new AppError("CONFLICT", `User '${input.username}' already exists`, { reason: "username_taken" });
    throw err;
  }
  const created = await findUserById(deps, id);
  if (!created) throw new Error("user vanished after insert");
  return created;
}

export async function listUsernames(deps: Pick<Deps, "db">): Promise<string[]> {
  return (await listUsers(deps)).map((u) => u.user.username);
}

export async function listDetailed(deps: Pick<Deps, "db">): Promise<UserResponse[]> {
  return (await listUsers(deps)).map(toUserResponse);
}

/**
 * SQL condition: another active admin remains besides `userId`. Part of the write itself, so
 * two admins demoting each other at once cannot both succeed.
 */
const anotherActiveAdmin = (userId: string) =>
  sql`(select count(*) from ${users} where ${users.role} = 'admin' and ${users.isActive} = 1 and ${users.id} <> ${userId}) >= 1`;

async function otherActiveAdmins({ db }: Pick<Deps, "db">, userId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)` })
    .from(users)
    .where(and(eq(users.role, "admin"), eq(users.isActive, true), ne(users.id, userId)));
  return row?.n ?? 0;
}

const LAST_ADMIN = "The last active admin cannot be demoted, deactivated or deleted";

/**
 * RM365's PATCH: rename, new password, role, tabs, and MS5's profile fields. `expectedVersion`
 * (from If-Match) makes a stale write a 409 that changes nothing. A new password or
 * deactivation ends the user's sessions in the same batch.
 */
export async function updateUser(
  deps: Pick<Deps, "db" | "rooms" | "requestId" | "config">,
  input: UpdateUserBody,
  actor: Principal,
  expectedVersion?: number,
): Promise<UserWithRole> {
  const { db } = deps;
  const existing = await findUserByUsername(deps, input.username);
  if (!existing) throw notFound(`User '${input.username}'`);
  if (input.new_password !== undefined && actingUserId(actor) === existing.user.id) throw ownPasswordRefused();
  assertMayManage(actor, existing);
  const { user } = existing;
  if (expectedVersion !== undefined && expectedVersion !== user.version) {
    throw conflict(`User '${user.username}' was changed by someone else (version ${user.version}); reload and retry`);
  }
  const roleAfter = input.role !== undefined ? await roleNamed(deps, input.role) : undefined;
  if (roleAfter) assertMayAssign(actor, roleAfter);
  if (roleAfter || input.allowed_tabs !== undefined) {
    // The tabs the user will hold after this write, null (the role's) included.
    const permissionsAfter = roleAfter ? rolePermissions(roleAfter.name, roleAfter.permissions) : rightsOf(existing).permissions;
    const tabsAfter = input.allowed_tabs !== undefined ? input.allowed_tabs : user.allowedTabs;
    assertMayGrantTabs(actor, effectiveTabs(permissionsAfter, tabsAfter, roleAfter ? roleAfter.allowedTabs : existing.roleTabs));
  }
  const losesAdmin = user.role === "admin" && user.isActive && ((input.role !== undefined && input.role !== "admin") || input.is_active === false);

  const now = nowIso();
  const set: Partial<typeof users.$inferInsert> = { updatedAt: now, version: user.version + 1 };
  if (input.new_username !== undefined) {
    set.username = input.new_username;
    set.usernameKey = usernameKey(input.new_username);
  }
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

  const endSessions = input.new_password !== undefined || input.is_active === false;
  try {
    const [updated] = await db.batch([
      db
        .update(users)
        .set(set)
        .where(and(eq(users.id, user.id), eq(users.version, user.version), losesAdmin ? anotherActiveAdmin(user.id) : undefined))
        .returning({ id: users.id }),
      // Runs after the update in the same transaction; a no-op when the update changed nothing.
      ...(endSessions
        ? [
            db
              .update(sessions)
              .set({ revokedAt: now, revokedReason: "credentials_changed" })
              .where(and(eq(sessions.userId, user.id), sql`${sessions.revokedAt} is null`, sql`changes() = 1`)),
          ]
        : []),
    ]);
    if (updated.length === 0) {
      throw conflict(
        losesAdmin && (await otherActiveAdmins(deps, user.id)) === 0 ? LAST_ADMIN : `User '${user.username}' was changed by someone else; reload and retry`,
      );
    }
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`User '${input.new_username}' already exists`);
    throw err;
  }
  // Sockets hold the rights of their connect: any change of rights (or the end of the
  // sessions) closes them, and the clients reconnect with what the user holds now.
  const rightsChanged = input.role !== undefined || input.allowed_tabs !== undefined || endSessions;
  if (rightsChanged) await closeSockets(deps, { userId: user.id }, input.is_active === false ? "Account deactivated" : "Your access changed");
  const fresh = await findUserById(deps, user.id);
  if (!fresh) throw notFound(`User '${input.username}'`);
  return fresh;
}

/** An administrator issues a reset token for someone they may manage (staff without email). */
export async function createPasswordResetToken(deps: AuthDeps, username: string, actor: Principal): Promise<IssuedResetToken> {
  const target = await findUserByUsername(deps, username);
  if (!target) throw new AppError("NOT_FOUND", `User '${username}' not found`, { reason: "user_not_found" });
  assertMayManage(actor, target);
  return issueResetToken(deps, target);
}

/**
 * Anonymous sign-up (CCbackend's `/api/register`), as SELF_REGISTRATION says: `off` refuses
 * (`registration_closed`), `approval` creates the account inactive until an admin activates
 * it, `open` active at once; always with SELF_REGISTRATION_ROLE.
 */
export async function selfRegister(deps: Pick<Deps, "db" | "config">, input: { username: string; password: string }): Promise<{ pending: boolean }> {
  const { config } = deps;
  if (config.SELF_REGISTRATION === "off") throw new AppError("AUTHORIZATION_ERROR", "Self-registration is off", { reason: "registration_closed" });
  const pending = config.SELF_REGISTRATION === "approval";
  await createUser(deps, {
    username: input.username,
    password: input.password,
    role: config.CCBACKEND_SELF_REGISTER_ROLE ?? config.SELF_REGISTRATION_ROLE,
    is_active: !pending,
  });
  return { pending };
}

/** The signed-in user's own profile. */
export async function getProfile(deps: Pick<Deps, "db">, actor: UserPrincipal): Promise<UserResponse> {
  const found = await findUserById(deps, actor.userId);
  if (!found) throw notFound("User");
  return toUserResponse(found);
}

/**
 * The signed-in user's profile: the user row the request's session check read (one D1 query for
 * both), else read now.
 */
export async function myProfile(deps: Pick<Deps, "db">, actor: UserPrincipal): Promise<UserResponse> {
  const checked = sessionUserOf(actor);
  return checked ? toUserResponse(checked) : getProfile(deps, actor);
}

/** Updates the signed-in user's email and name. The version moves, so an admin's If-Match sees it. */
export async function updateProfile(deps: Pick<Deps, "db" | "now">, input: ProfileUpdate, actor: UserPrincipal): Promise<UserResponse> {
  const set: Partial<typeof users.$inferInsert> = { updatedAt: deps.now().toISOString() };
  if (input.email !== undefined) set.email = input.email;
  if (input.first_name !== undefined) set.firstName = input.first_name;
  if (input.last_name !== undefined) set.lastName = input.last_name;
  await deps.db
    .update(users)
    .set({ ...set, version: sql`${users.version} + 1` })
    .where(eq(users.id, actor.userId));
  return getProfile(deps, actor);
}

/** Deletes a user (and, by cascade, their sessions). Nobody deletes themself or the last admin. */
export async function deleteUser(deps: SocketDeps, username: string, actor: Principal): Promise<void> {
  const { db } = deps;
  const existing = await findUserByUsername(deps, username);
  if (!existing) throw notFound(`User '${username}'`);
  if (actor.kind === "user" && existing.user.id === actor.userId) throw conflict("You cannot delete your own account");
  assertMayManage(actor, existing);
  const isActiveAdmin = existing.user.role === "admin" && existing.user.isActive;
  const deleted = await db
    .delete(users)
    .where(and(eq(users.id, existing.user.id), eq(users.version, existing.user.version), isActiveAdmin ? anotherActiveAdmin(existing.user.id) : undefined))
    .returning({ id: users.id });
  if (deleted.length === 0) {
    throw conflict(
      isActiveAdmin && (await otherActiveAdmins(deps, existing.user.id)) === 0 ? LAST_ADMIN : `User '${username}' was changed meanwhile; reload and retry`,
    );
  }
  await closeSockets(deps, { userId: existing.user.id }, "Account deleted");
}
