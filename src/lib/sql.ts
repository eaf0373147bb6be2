/**
 * SQL helpers for the writes drizzle's builders cannot say directly. Everything goes through
 * drizzle's `sql` template with table and column objects, so `tsc` checks the names.
 *
 * D1 has no interactive transactions; a `db.batch([...])` is one. Inside a batch, `changes()`
 * is the row count of the previous statement, so a write conditioned on `afterOneChange` runs
 * only if the statement before it changed exactly one row: "spend the token, then set the
 * password", "rotate the refresh token, then insert its successor".
 */
import { getTableColumns, is, SQL, type SQLWrapper, sql } from "drizzle-orm";
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

/** `text` with `%`, `_` and `\` taken literally in a LIKE pattern (used with `ESCAPE '\'`). */
export const escapeLike = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * A search condition: `text` appears in any of `columns` (SQLite's LIKE: case-insensitive for
 * ASCII), with `%`, `_` and `\` in the text taken literally. One bound parameter per column.
 */
export function likeContains(columns: SQLWrapper | readonly SQLWrapper[], text: string): SQL {
  const list = Array.isArray(columns) ? columns : [columns as SQLWrapper];
  const pattern = `%${escapeLike(text)}%`;
  const each = list.map((column) => sql`${column} like ${pattern} escape '\\'`);
  return each.length === 1 ? (each[0] as SQL) : sql`(${sql.join(each, sql` or `)})`;
}

/** D1 binds at most this many parameters per statement (local D1 enforces it too). */
export const D1_MAX_PARAMS = 100;

/** `items` in lists of at most `size` (a statement each, so its parameters stay under D1's bound). */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`chunk size must be a positive integer, not ${size}`);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Rows of `table` one multi-row insert can carry: every column may bind a parameter. */
export const rowsPerInsert = (table: SQLiteTable): number => Math.max(1, Math.floor(D1_MAX_PARAMS / Object.keys(getTableColumns(table)).length));

/** Ids per `IN (…)` list, leaving room for a statement's other parameters. */
export const IDS_PER_STATEMENT = D1_MAX_PARAMS - 10;
