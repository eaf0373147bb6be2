import { createApp } from "./app";
import { createDeps } from "./lib/deps";
import { cleanupExpired } from "./modules/maintenance/cleanup";

export { InventoryRoom } from "../durable-objects/inventory-room";
export { LineRoom } from "../durable-objects/line-room";

const app = createApp();

export default {
  fetch: app.fetch,
  /** Hourly: drop expired rate-limit windows, idempotency records, sessions and reset tokens. */
  async scheduled(_controller, env, ctx) {
    await cleanupExpired(createDeps(env, { waitUntil: (p) => ctx.waitUntil(p) }));
  },
} satisfies ExportedHandler<Env>;
