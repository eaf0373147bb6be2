import { defineConfig } from "drizzle-kit";

// `npm run db:generate` writes SQL migrations to migrations/; wrangler applies them.
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/schema/index.ts",
  out: "./migrations",
});
