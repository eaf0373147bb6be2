/**
 * A `SourceReader` over a legacy Postgres database (MS5, RM365), reached through Hyperdrive with
 * `pg`. Pages are keyset reads (`WHERE key > $after ORDER BY key LIMIT n`): memory stays bounded
 * by the page and every page is one index range scan, however large the table.
 *
 * Identifiers come only from the importers' table specs (never from a request) and are quoted.
 * `relations` lets an importer read a table joined with another (e.g. a job with its schedule's
 * line): the page query selects from that subquery instead of the table.
 */
import { Client } from "pg";
import * as pgCloudflare from "pg-cloudflare";
import type { LegacyId, LegacyRow, SourceReader, TableRead } from "./source";

export interface PostgresOptions {
  /** The schema holding the legacy tables (`factory_telemetry` for MS5, `public` for RM365). */
  schema: string;
  /** Per legacy table name: a SELECT to read instead of the plain table (its columns as TableRead names them). */
  relations?: Readonly<Record<string, string>>;
  /** Statement timeout per page (ms). */
  statementTimeoutMs?: number;
}

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

/** A quoted identifier; refuses anything but plain lower-case names (they come from our specs). */
export function ident(name: string): string {
  if (!IDENT.test(name)) throw new Error(`Not a plain identifier: ${name}`);
  return `"${name}"`;
}

type SocketClass = new (ssl: boolean) => unknown;

/**
 * pg's socket on Workers. pg picks it itself by `require("pg-cloudflare")`, which resolves to the
 * package's `workerd` export when Wrangler bundles the worker but to its empty default in the
 * test runtime; importing it here (ESM, `workerd` condition) and handing pg a `stream` factory
 * works in both. (TypeScript resolves the package's default types, hence the cast.)
 */
export function workersSocket(): { stream: () => unknown } | Record<string, never> {
  const Socket = (pgCloudflare as unknown as { CloudflareSocket?: SocketClass }).CloudflareSocket;
  return Socket ? { stream: () => new Socket(false) } : {};
}

/** A pg client that connects from Workers (and from the test runtime). */
export function legacyClient(connectionString: string, options: { statementTimeoutMs?: number; connectionTimeoutMs?: number } = {}): Client {
  const client = new Client({
    connectionString,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 10_000,
    statement_timeout: options.statementTimeoutMs ?? 60_000,
    ...(workersSocket() as Record<string, never>),
  });
  client.on("error", () => undefined); // surfaced by the awaited calls
  return client;
}

export async function openPostgres(connectionString: string, options: PostgresOptions): Promise<SourceReader> {
  const client = legacyClient(connectionString, options);
  await client.connect();
  // Times compare and print in UTC, whatever the server's zone.
  await client.query("SET TIME ZONE 'UTC'");
  const from = (table: TableRead): string => {
    const relation = options.relations?.[table.name];
    return relation ? `(${relation}) AS t` : `${ident(options.schema)}.${ident(table.name)} AS t`;
  };
  return {
    async page(table: TableRead, after: LegacyId | null, limit: number, since: string | null): Promise<LegacyRow[]> {
      const columns = table.columns.map((c) => `t.${ident(c)}`).join(", ");
      const key = `t.${ident(table.key)}`;
      const params: unknown[] = [];
      const where: string[] = [];
      if (after !== null) {
        params.push(after);
        where.push(table.keyType === "int" ? `${key} > $${params.length}::bigint` : `${key} > $${params.length}`);
      }
      if (since !== null && table.updatedAt) {
        params.push(since);
        where.push(`t.${ident(table.updatedAt)} >= $${params.length}::timestamptz`);
      }
      params.push(limit);
      const text = `SELECT ${columns} FROM ${from(table)}${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY ${key} LIMIT $${params.length}`;
      const result = await client.query(text, params);
      return result.rows as LegacyRow[];
    },
    async count(table: TableRead): Promise<number> {
      const result = await client.query(`SELECT count(*)::int AS n FROM ${from(table)}`);
      return Number((result.rows[0] as { n: number }).n);
    },
    async close(): Promise<void> {
      await client.end().catch(() => undefined);
    },
  };
}
