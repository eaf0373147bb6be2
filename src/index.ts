import { createApp } from "./app";
import { createDeps } from "./lib/deps";
import { sweepPendingFileDeletions } from "./modules/issue-reports/service";
import { cleanupExpired } from "./modules/maintenance/cleanup";
import { sweepStalledImports } from "./modules/salesdata/service";
import { rekeyUsernames } from "./modules/users/repo";

export { InventoryRoom } from "./rooms/inventory-room";
export { LineRoom } from "./rooms/line-room";

const app = createApp();

export default {
  fetch: app.fetch,
  /**
   * Hourly: drop expired rate-limit windows, idempotency records, sessions and reset tokens, and
   * key imported usernames that migration 0004 could not (rekeyUsernames); mark sales imports
   * whose isolate died mid-run as failed (sweepStalledImports).
   */
  async scheduled(_controller, env, ctx) {
    const deps = createDeps(env, { waitUntil: (p) => ctx.waitUntil(p) });
    await cleanupExpired(deps);
    await sweepPendingFileDeletions(deps);
    await rekeyUsernames(deps);
    await sweepStalledImports(deps);
  },
} satisfies ExportedHandler<Env>;
