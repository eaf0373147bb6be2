import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

// Runs before each test file, inside workerd: bring the test D1 to the current schema.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
