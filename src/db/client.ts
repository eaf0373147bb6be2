import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

export type Db = ReturnType<typeof createDb>;

/** A drizzle handle over D1. Cheap: create one wherever a binding is at hand. */
export function createDb(d1: D1Database) {
  return drizzle(d1, { schema });
}

export { schema };
