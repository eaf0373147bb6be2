/**
 * Who is calling, and how the rest of the system names them.
 *
 * A request is made by a principal: a signed-in user, or an API key acting for the user who
 * created it. Audit columns ("who did it") and per-user limits name principals through the
 * helpers here, so a value means the same in every module:
 *
 * - `actorOf(p).name`: the username, or `api_key:<key name>` for an API key;
 * - `actorOf(p).userId`: the user, or the key's creator (a key acts for them);
 * - `principalKey(p)`: `user:<id>` or `api_key:<key id>`, for counters and logs.
 */
import type { Permission } from "./rbac";

/** A signed-in person, resolved from an access token on every request. */
export interface UserPrincipal {
  kind: "user";
  userId: string;
  username: string;
  role: string;
  permissions: ReadonlySet<Permission | "*">;
  tabs: readonly string[];
  sessionId: string;
}

/**
 * A machine client holding an API key (seed 002's `X-API-Key`). It acts within its creator's
 * current rights, re-read on every request: `permissions` is the key's scope intersected with
 * the creator's permissions, `tabs` the creator's effective tabs.
 */
export interface ApiKeyPrincipal {
  kind: "api_key";
  keyId: string;
  name: string;
  permissions: ReadonlySet<Permission | "*">;
  tabs: readonly string[];
  /** The user who created the key (a key acts for them). */
  createdBy: string;
}

export type Principal = UserPrincipal | ApiKeyPrincipal;

/** The prefix an API key's name carries in audit columns (migration 0020 made it the only one). */
export const API_KEY_ACTOR_PREFIX = "api_key:";

/** Who did something, as audit columns record it. */
export interface Actor {
  /** The user acting: the signed-in user, or an API key's creator. */
  userId: string;
  /** The username, or `api_key:<key name>`. */
  name: string;
}

/** The one way to name the actor of a write. */
export function actorOf(principal: Principal): Actor {
  return principal.kind === "user"
    ? { userId: principal.userId, name: principal.username }
    : { userId: principal.createdBy, name: `${API_KEY_ACTOR_PREFIX}${principal.name}` };
}

/** A principal's own identity (`user:<id>`, `api_key:<key id>`): a key is counted apart from its creator. */
export const principalKey = (principal: Principal): string => (principal.kind === "user" ? `user:${principal.userId}` : `api_key:${principal.keyId}`);
