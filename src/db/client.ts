import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

export type Db = ReturnType<typeof createDb>;

/** A drizzle handle over D1. Cheap: create one wherever a binding is at hand. */
export function createDb(d1: D1Database) {
  return drizzle(d1, { schema });
}

export { schema };

/** Whether a D1/drizzle error is a constraint violation of this kind (the driver's text is all there is). */
export function isConstraintError(err: unknown, kind: "UNIQUE" | "FOREIGN KEY"): boolean {
  if (!(err instanceof Error)) return false;
  const text = `${err.message} ${err.cause instanceof Error ? err.cause.message : String(err.cause ?? "")}`;
  return kind === "UNIQUE" ? /UNIQUE constraint failed|PRIMARY KEY/i.test(text) : /FOREIGN KEY constraint failed/i.test(text);
}
