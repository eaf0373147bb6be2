/**
 * The test runtime's main module (vitest.config.ts `main`): the API worker, plus the queue handler
 * of the import worker (workers/import/index.ts, which is this same call), so that the imports the
 * API queues are delivered by the runtime's real queue (vitest.config.ts `queueConsumers`, read
 * from workers/import/wrangler.toml) as they are between the two deployed workers. The other
 * workers' tests call their handlers directly (workers/consumer-test.ts).
 */
import api from "../src/index";
import { consumeImports } from "../src/modules/bridge/consumer";

export { InventoryRoom, LineRoom } from "../src/index";

export default {
  ...api,
  async queue(batch, env) {
    await consumeImports(batch, env);
  },
} satisfies ExportedHandler<Env>;
