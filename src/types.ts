import type { Deps } from "./lib/deps";
import type { Principal } from "./lib/principal";
import type { Surface } from "./lib/surface";

export type { ApiKeyPrincipal, Principal, UserPrincipal } from "./lib/principal";

export interface AppVariables {
  requestId: string;
  principal: Principal | undefined;
  /** This request's dependencies (see lib/deps.ts). */
  deps: Deps;
  /** The API surface serving this path (error format). */
  surface: Surface;
  /**
   * Set when a pure read's session check refused it after the handler ran: its error response is
   * built afresh, carrying nothing the handler set (a total, an ETag).
   */
  discardHandlerHeaders?: true;
}

/** The Hono environment every router in the app shares. `Env` comes from `wrangler types`. */
export interface AppEnv {
  Bindings: Env;
  Variables: AppVariables;
}
