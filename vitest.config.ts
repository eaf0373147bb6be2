import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import type { Reporter } from "vitest/node";
import { defineConfig } from "vitest/config";

/** Ends the run with one plain `N passed, N failed` line that CI reads. */
const summary: Reporter = {
  onTestRunEnd(modules, unhandledErrors) {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    for (const mod of modules) {
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failed++;
        else skipped++;
      }
      if (mod.state() === "failed" && mod.children.size === 0) failed++;
    }
    console.log(`\nvitest: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  },
};

// Tests run inside workerd (miniflare) with the bindings of wrangler.toml. Migrations are read
// here (Node) and applied in test/setup.ts (inside the runtime).
export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  return {
    test: {
      reporters: ["default", summary],
      // One JSON line per request is right in production and noise in a test run.
      onConsoleLog: (log: string) => !log.includes('"msg":"request"'),
      projects: [
        {
          plugins: [
            cloudflareTest({
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: {
                  ENVIRONMENT: "test",
                  JWT_SECRET: "test-only-jwt-secret-0123456789abcdefghijklmnop",
                  TEST_MIGRATIONS: migrations,
                  AUTH_RATE_LIMIT_PER_MINUTE: "5",
                  LOGIN_RATE_LIMIT_PER_USERNAME: "5",
                  DEV_RETURN_RESET_TOKEN: "true",
                },
                // Low limits so tests can reach them: the anonymous throttle and the 60/min API-key tier.
                ratelimits: {
                  THROTTLE_ANON: { namespace_id: "1001", simple: { limit: 5, period: 60 } },
                  API_KEY_LIMIT_60: { namespace_id: "1002", simple: { limit: 3, period: 60 } },
                },
              },
            }),
          ],
          test: { name: "workers", include: ["test/**/*.test.ts", "workers/**/*.test.ts"], exclude: ["test/node/**"], setupFiles: ["./test/setup.ts"] },
        },
        // Checks that need Node (e.g. OpenAPI validation with ajv, which compiles code at run time).
        { test: { name: "node", include: ["test/node/**/*.test.ts"], environment: "node" } },
      ],
    },
  };
});
