// Side effect first: adds zod's `.openapi()`, which shared schemas in src/ (e.g. parts' MiscInfo,
// read by the Part Management importer) call as they load, as in the API worker.
import "@hono/zod-openapi";
import { consumeImports } from "../../src/modules/bridge/consumer";

/**
 * Consumer of the import queue (legacy bridge, issue 19): one import job per message, run by
 * src/modules/bridge/consumer.ts. Its own worker so the importers, `pg` and sql.js's WebAssembly
 * stay out of the API's bundle; the API only sends (IMPORT_QUEUE) and reads the jobs.
 */
export default {
  async queue(batch, env, _ctx) {
    await consumeImports(batch, env);
  },
} satisfies ExportedHandler<ImportEnv>;
