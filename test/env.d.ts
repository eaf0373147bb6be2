import type { D1Migration } from "@cloudflare/vitest-plugin";

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      /** The storage bindings of wrangler.toml, by kind (vitest.config.ts), reset before each test file. */
      TEST_STORAGE_BINDINGS: { d1: string[]; r2: string[]; kv: string[]; durableObjects: string[] };
      /** Test files that reach the legacy Postgres, relative to the root (vitest.config.ts): run one at a time. */
      TEST_LEGACY_PG_FILES: string[];
    }
  }
}
