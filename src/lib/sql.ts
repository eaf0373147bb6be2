/**
 * SQL helpers for the writes drizzle's builders cannot say directly. Everything goes through
 * drizzle's `sql` template with table and column objects, so `tsc` checks the names.
 *
 * D1 has no interactive transactions; a `db.batch([...])` is one. Inside a batch, `changes()`
 * is the row count of the previous statement, so a write conditioned on `afterOneChange` runs
 * only if the statement before it changed exactly one row: "spend the token, then set the
 * password", "rotate the refresh token, then insert its successor".
 */
import { Column, fillPlaceholders, type GetColumnData, getTableColumns, is, SQL, type SQLWrapper, sql } from "drizzle-orm";
import { SQLiteAsyncDialect, type SQLiteColumn, type SQLiteTable } from "drizzle-orm/sqlite-core";
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

/** The LIKE pattern "contains `text`" (`%`, `_` and `\` taken literally, with `ESCAPE '\'`). */
export const likePattern = (text: string): string => `%${escapeLike(text)}%`;

/** `column like <pattern> escape '\'` for each column, or-ed: the pattern a `SQL` or a placeholder. */
function likeAny(columns: SQLWrapper | readonly SQLWrapper[], pattern: unknown): SQL {
  const list = Array.isArray(columns) ? columns : [columns as SQLWrapper];
  const each = list.map((column) => sql`${column} like ${pattern} escape '\\'`);
  return each.length === 1 ? (each[0] as SQL) : sql`(${sql.join(each, sql` or `)})`;
}

/**
 * A search condition: `text` appears in any of `columns` (SQLite's LIKE: case-insensitive for
 * ASCII), with `%`, `_` and `\` in the text taken literally. One bound parameter per column.
 */
export const likeContains = (columns: SQLWrapper | readonly SQLWrapper[], text: string): SQL => likeAny(columns, likePattern(text));

/**
 * `likeContains` for a plain read built once: the pattern is the placeholder `name`, to be
 * given `likePattern(text)` per call.
 */
export const likePlaceholder = (columns: SQLWrapper | readonly SQLWrapper[], name: string): SQL => likeAny(columns, sql.placeholder(name));

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

// ---------------------------------------------------------------------------------------------
// Plain reads (hot lists): SQL text built once from drizzle's `sql` template and table columns,
// run as D1 statements, rows used as D1 returns them.

/** What a plain read selects: output name → a table column, or a typed `sql<T>` expression. */
export type ReadColumns = Record<string, SQLiteColumn | SQL<unknown>>;

/** A row of a plain read: each column typed as its drizzle table declares it (`sql<T>`: T). */
export type ReadRow<C extends ReadColumns> = {
  [K in keyof C]: C[K] extends Column ? GetColumnData<C[K]> : C[K] extends SQL<infer T> ? T : never;
};

/** Column types whose stored value is what drizzle returns (others decode: booleans, JSON, timestamps). */
const STORED_AS_READ = new Set(["SQLiteText", "SQLiteInteger", "SQLiteReal"]);
const dialect = new SQLiteAsyncDialect();

/**
 * One read query, built once: `select <column> as "<name>", … <rest>`, with `sql.placeholder()`s
 * in `rest` filled per call. Each column is named by its key (distinct names: a D1 batch answers
 * rows as objects), and the row comes back as D1 answers it, decoded in place only for columns
 * whose type needs it (booleans, JSON): no drizzle query building or row mapping per request,
 * so the caller maps each row once, into its response. On `deps.d1`, the statement's `all()`
 * (or a `deps.d1.batch`) carries a pure read's session check (lib/deps.ts).
 */
export class PlainRead<Row> {
  readonly sql: string;
  private readonly params: unknown[];
  private readonly decoders: [string, SQLiteColumn][];
  constructor(columns: ReadColumns, rest: SQL) {
    const names = Object.keys(columns);
    const list = sql.join(
      names.map((name) => sql`${columns[name]} as ${sql.identifier(name)}`),
      sql`, `,
    );
    const query = dialect.sqlToQuery(sql`select ${list} ${rest}`);
    this.sql = query.sql;
    this.params = query.params;
    this.decoders = names.flatMap((name): [string, SQLiteColumn][] => {
      const column = columns[name];
      return is(column, Column) && !STORED_AS_READ.has(column.columnType) ? [[name, column as SQLiteColumn]] : [];
    });
  }
  /** The statement on `d1` with `values` for the placeholders. */
  statement(d1: D1Database, values: Record<string, unknown> = {}): D1PreparedStatement {
    return d1.prepare(this.sql).bind(...fillPlaceholders(this.params, values));
  }
  /** The rows of a result of `statement()` (its `all()`, or its place in a batch). */
  rows(result: D1Result<unknown> | undefined): Row[] {
    const rows = (result?.results ?? []) as Record<string, unknown>[];
    if (this.decoders.length > 0) {
      for (const row of rows) {
        for (const [name, column] of this.decoders) {
          const value = row[name];
          if (value !== null && value !== undefined) row[name] = column.mapFromDriverValue(value);
        }
      }
    }
    return rows as Row[];
  }
  /** Runs it: every row. */
  async all(d1: D1Database, values?: Record<string, unknown>): Promise<Row[]> {
    return this.rows(await this.statement(d1, values).all());
  }
}

/** A plain read of `columns` (see `PlainRead`): `plainRead({ id: t.id }, sql\`from ${t} where …\`)`. */
export const plainRead = <C extends ReadColumns>(columns: C, rest: SQL): PlainRead<ReadRow<C>> => new PlainRead<ReadRow<C>>(columns, rest);

/** The column a paged read's rows carry the total in (cleared before the rows are returned). */
const TOTAL = "__total";

/**
 * A page and the total, in **one** statement: `select <columns>, (select count(*) <countFrom>)
 * as __total <from> <order> limit :limit offset :offset`. SQLite runs the uncorrelated count once,
 * and D1 gets one statement where a page + count batch sent two (on `deps.d1` it still carries a
 * pure read's session check). A page that comes back empty past the first row (`offset > 0`)
 * carries no total: then the count runs alone. `countFrom` is the `from … where …` to count (by
 * default `from`; a cheaper one when it counts the same rows, e.g. without a join). Placeholders
 * appear in both and are filled from the same values, with `limit` and `offset`.
 */
export class PagedRead<Row> {
  private readonly page: PlainRead<Row & { [TOTAL]: number }>;
  private readonly count: PlainRead<{ total: number }>;
  constructor(columns: ReadColumns, from: SQL, order: SQL, countFrom: SQL = from) {
    if (TOTAL in columns) throw new Error(`pagedRead: '${TOTAL}' is reserved`);
    this.page = new PlainRead(
      { ...columns, [TOTAL]: sql<number>`(select count(*) ${countFrom})` },
      sql`${from} ${order} limit ${sql.placeholder("limit")} offset ${sql.placeholder("offset")}`,
    );
    this.count = new PlainRead({ total: sql<number>`count(*)` }, countFrom);
  }
  /** The SQL of the page statement (tests, EXPLAIN). */
  get sql(): string {
    return this.page.sql;
  }
  /** Runs it: the page's rows (without the total column) and the total. */
  async run(d1: D1Database, values: Record<string, unknown> & { limit: number; offset: number }): Promise<{ rows: Row[]; total: number }> {
    const rows = await this.page.all(d1, values);
    const first = rows[0];
    if (first === undefined) return { rows: [], total: values.offset === 0 && values.limit > 0 ? 0 : ((await this.count.all(d1, values))[0]?.total ?? 0) };
    const total = Number(first[TOTAL]);
    // Cleared, not deleted: `delete` turns each row into a slow dictionary-mode object (66 µs of a
    // 50-row page in the profile); an undefined value is left out of JSON like a missing key.
    for (const row of rows) (row as Record<string, unknown>)[TOTAL] = undefined;
    return { rows, total };
  }
}

/** A paged read (see `PagedRead`). */
export const pagedRead = <C extends ReadColumns>(columns: C, from: SQL, order: SQL, countFrom?: SQL): PagedRead<ReadRow<C>> =>
  new PagedRead<ReadRow<C>>(columns, from, order, countFrom);
