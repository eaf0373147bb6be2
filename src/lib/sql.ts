/**
 * SQL helpers for the writes drizzle's builders cannot say directly. Everything goes through
 * drizzle's `sql` template with table and column objects, so `tsc` checks the names.
 *
 * D1 has no interactive transactions; a `db.batch([...])` is one. Inside a batch, `changes()`
 * is the row count of the previous statement, so a write conditioned on `afterOneChange` runs
 * only if the statement before it changed exactly one row: "spend the token, then set the
 * password", "rotate the refresh token, then insert its successor".
 */
import { getTableColumns, type SQL, sql } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";

/** Batch condition: the previous statement changed exactly one row. */
export const afterOneChange: SQL = sql`changes() = 1`;

/**
 * `INSERT INTO table (cols) SELECT values WHERE condition`: an insert that happens only when
 * `where` holds (e.g. `afterOneChange`, or an EXISTS on another table). Values are mapped to the
 * driver the way drizzle's own inserts map them (booleans, JSON).
 */
export function insertWhere<T extends SQLiteTable>(table: T, values: Partial<T["$inferInsert"]>, where: SQL): SQL {
  const columns = Object.entries(getTableColumns(table)).filter(([key]) => Object.hasOwn(values, key));
  const names = columns.map(([, column]) => sql.identifier(column.name));
  const params = columns.map(([key, column]) => sql`${column.mapToDriverValue((values as Record<string, unknown>)[key])}`);
  return sql`insert into ${table} (${sql.join(names, sql`, `)}) select ${sql.join(params, sql`, `)} where ${where}`;
}
