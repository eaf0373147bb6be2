/**
 * SQL helpers for the writes drizzle's builders cannot say directly. Everything goes through
 * drizzle's `sql` template with table and column objects, so `tsc` checks the names.
 *
 * D1 has no interactive transactions; a `db.batch([...])` is one. Inside a batch, `changes()`
 * is the row count of the previous statement, so a write conditioned on `afterOneChange` runs
 * only if the statement before it changed exactly one row: "spend the token, then set the
 * password", "rotate the refresh token, then insert its successor".
 */
import { getTableColumns, is, SQL, sql } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Db } from "../db/client";

/** Batch condition: the previous statement changed exactly one row. */
export const afterOneChange: SQL = sql`changes() = 1`;

/**
 * `INSERT INTO table SELECT values WHERE condition`: an insert that happens only when `where`
 * holds (e.g. `afterOneChange`, or an EXISTS on another table). Columns left out take their
 * defaults, and values are encoded as drizzle's own inserts encode them (booleans, JSON). The
 * result is an ordinary drizzle insert, so it can go in a `db.batch`.
 */
export function insertWhere<T extends SQLiteTable>({ db }: { db: Db }, table: T, values: T["$inferInsert"], where: SQL) {
  const given = values as Record<string, unknown>;
  const list = Object.entries(getTableColumns(table))
    // As drizzle's own insert: every column but generated ones, in table order.
    .filter(([, column]) => column.generated === undefined || column.generated.type === "byDefault")
    .map(([key, column]) => {
      const value = given[key];
      if (value !== undefined) return sql.param(value, column);
      const fallback: unknown = column.default ?? column.defaultFn?.();
      if (fallback !== undefined && fallback !== null) return is(fallback, SQL) ? fallback : sql.param(fallback, column);
      return sql`null`;
    });
  return db.insert(table).select(sql`select ${sql.join(list, sql`, `)} where ${where}`);
}
