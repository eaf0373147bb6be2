import type { D1Migration } from "@cloudflare/vitest-plugin";

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      /** Test files that reach the legacy Postgres, relative to the root (vitest.config.ts): run one at a time. */
      TEST_LEGACY_PG_FILES: string[];
    }
  }
}
