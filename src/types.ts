import type { Deps } from "./lib/deps";
import type { Permission } from "./lib/rbac";
import type { Surface } from "./lib/surface";

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

export interface AppVariables {
  requestId: string;
  principal: Principal | undefined;
  /** This request's dependencies (see lib/deps.ts). */
  deps: Deps;
  /** The API surface serving this path (error format). */
  surface: Surface;
}

/** The Hono environment every router in the app shares. `Env` comes from `wrangler types`. */
export interface AppEnv {
  Bindings: Env;
  Variables: AppVariables;
}
