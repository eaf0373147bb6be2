import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

export type Db = ReturnType<typeof createDb>;

/**
 * A drizzle handle over D1. Cheap: create one wherever a binding is at hand. Without `schema`:
 * nothing uses drizzle's relational `db.query` API, and passing the schema made every request
 * rebuild its relations config (a measurable share of an authenticated read; bench/README.md).
 */
export function createDb(d1: D1Database) {
  return drizzle(d1);
}

export { schema };

/** Whether a D1/drizzle error is a constraint violation of this kind (the driver's text is all there is). */
export function isConstraintError(err: unknown, kind: "UNIQUE" | "FOREIGN KEY"): boolean {
  if (!(err instanceof Error)) return false;
  const text = `${err.message} ${err.cause instanceof Error ? err.cause.message : String(err.cause ?? "")}`;
  return kind === "UNIQUE" ? /UNIQUE constraint failed|PRIMARY KEY/i.test(text) : /FOREIGN KEY constraint failed/i.test(text);
}
