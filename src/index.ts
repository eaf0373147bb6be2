import { createApp } from "./app";
import { createDeps } from "./lib/deps";
import { sweepFiles } from "./lib/files";
import { reapExpired } from "./lib/jobs";
import { importJobKind } from "./modules/bridge/lease";
import { labelJobKind } from "./modules/labels/lease";
import { cleanupExpired } from "./modules/maintenance/cleanup";
import { conversionJobKind } from "./modules/parts/lease";
import { reportJobKind } from "./modules/reports/lease";
import { runScheduledReports } from "./modules/reports/runner";
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
   * whose isolate died mid-run as failed (sweepStalledImports); re-queue or fail every job whose
   * lease expired (src/lib/jobs.ts; imports are run by workers/import, re-queued from here); queue the scheduled reports that are due (reports/runner.ts); then delete the files due in the file outbox, abandoned
   * uploads and outputs included (src/lib/files.ts).
   */
  async scheduled(_controller, env, ctx) {
    const deps = createDeps(env, { waitUntil: (p) => ctx.waitUntil(p) });
    await cleanupExpired(deps);
    await rekeyUsernames(deps);
    await sweepStalledImports(deps);
    await reapExpired(deps, labelJobKind);
    await reapExpired(deps, conversionJobKind);
    await reapExpired(deps, reportJobKind);
    await reapExpired(deps, importJobKind);
    await runScheduledReports(deps);
    await sweepFiles(deps);
  },
} satisfies ExportedHandler<Env>;
