/**
 * Column helpers every table uses, so ids, times and versions look the same everywhere.
 *
 * Times are ISO 8601 UTC text with millisecond precision (`2026-05-04T07:08:09.123Z`): the
 * database default (`strftime('%Y-%m-%dT%H:%M:%fZ','now')`) and JavaScript's
 * `Date#toISOString()` write the same fixed-width format, so times compare correctly as text
 * (`lt(table.expiresAt, isoNow())`) and go out on the wire unchanged.
 */
import { sql } from "drizzle-orm";
import { integer, text } from "drizzle-orm/sqlite-core";

/** SQL default for a time column: now, in the one format. */
export const sqlNow = sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`;

/** Now (or `date`) in the one time format, from JavaScript. */
export const isoNow = (date: Date = new Date()): string => date.toISOString();

/** The id column: a text primary key (callers set it, e.g. `crypto.randomUUID()`). */
export const id = (name = "id") => text(name).primaryKey();

/** A time column in the one format (nullable unless chained with `.notNull()`). */
export const timestamp = (name: string) => text(name);

/** `created_at`, set by the database when the row is inserted. */
export const createdAt = () => timestamp("created_at").notNull().default(sqlNow);

/**
 * `updated_at`: set on insert by the database, and moved by drizzle on every `update()` that
 * does not set it itself (raw SQL updates must set it).
 */
export const updatedAt = () =>
  timestamp("updated_at")
    .notNull()
    .default(sqlNow)
    .$onUpdate(() => isoNow());

/** The `created_at`/`updated_at` pair; spread it into a table's columns. */
export const timestamps = () => ({ createdAt: createdAt(), updatedAt: updatedAt() });

/**
 * The optimistic-concurrency `version` (starts at 1). Every write moves it
 * (`set({ version: sql\`${t.version} + 1\` })`) and a write that expects a version puts it in
 * its WHERE, so a stale write changes nothing (then: 409).
 */
export const version = () => integer("version").notNull().default(1);

/**
 * `heartbeat_at` of a leased job (src/lib/jobs.ts): when its holder last proved alive (queued,
 * claimed, progress). Set on insert; a job in progress whose heartbeat is older than the lease
 * is re-queued or failed by the reaper.
 */
export const heartbeatAt = () => timestamp("heartbeat_at").$defaultFn(() => isoNow());
