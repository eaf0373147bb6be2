import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { createdAt, timestamp } from "./columns";

/** Fixed-window counters for throttling (per IP on unauthenticated routes, per API key). */
export const rateLimits = sqliteTable(
  "rate_limits",
  {
    bucket: text("bucket").notNull(),
    windowStart: integer("window_start").notNull(),
    count: integer("count").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.bucket, t.windowStart] })],
);

/** Responses remembered for `Idempotency-Key` replays. Bodies are stored encrypted. */
export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    scope: text("scope").notNull(),
    key: text("key").notNull(),
    requestHash: text("request_hash").notNull(),
    /** `pending` while the first request runs, `done` once its response is stored. */
    state: text("state", { enum: ["pending", "done"] }).notNull(),
    /** Who holds a pending key: only that attempt may store or release it. */
    claim: text("claim").notNull().default(""),
    responseStatus: integer("response_status"),
    responseHeaders: text("response_headers"),
    responseBody: text("response_body"),
    /** When the key was claimed (or taken over after the pending lease). */
    createdAt: createdAt(),
    expiresAt: timestamp("expires_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key] })],
);
