/**
 * One dependency object per request: every service takes `(deps, input, actor)`.
 *
 * Built once by the `deps()` middleware and kept on `c.var.deps`; tests build their own with
 * `createDeps(env)`. Holding the bindings here (rather than each handler calling
 * `createDb(c.env.DB)`) gives one place to count D1 round trips, fix the clock in tests and add
 * the next binding a domain needs.
 */
import type { MiddlewareHandler } from "hono";
import { createDb, type Db } from "../db/client";
import type { AppEnv } from "../types";
import { type Config, type FeatureConfig, featureReader, getConfig } from "./config";

/** D1 round trips of one request: `queries` calls in all, `waits` of them started with none in flight. */
export interface D1Stats {
  queries: number;
  waits: number;
}

export interface Deps {
  /** drizzle over `d1`. */
  db: Db;
  /** The D1 binding (counted), for batches whose statements chain on `changes()`. */
  d1: D1Database;
  config: Config;
  /** A feature's settings (`featureConfig()` in lib/config.ts), validated on first use; 503 when bad. */
  feature: <T>(config: FeatureConfig<T>) => T;
  files: R2Bucket;
  /** `imports`: the legacy import queue (src/modules/bridge); optional so narrower test deps need not bind it. */
  queues: { convert: Queue; documents: Queue; imports?: Queue };
  rooms: { line: Env["LINE_ROOM"]; inventory: Env["INVENTORY_ROOM"] };
  /** Hyperdrive to the legacy Postgres databases. */
  legacyDb: Hyperdrive;
  /** The bindings, for src/lib (rate limits); modules read settings through `config`/`feature`. */
  env: Env;
  requestId: string;
  /** The clock; tests pass a fixed one. */
  now: () => Date;
  /** Work that may finish after the response (logging, last-used touches). */
  waitUntil: (promise: Promise<unknown>) => void;
  d1Stats: D1Stats;
}

export interface DepsOptions {
  requestId?: string;
  now?: () => Date;
  waitUntil?: (promise: Promise<unknown>) => void;
}

const STATEMENT_CALLS = new Set(["first", "run", "all", "raw"]);

/**
 * Wraps a D1 binding so each query or batch is counted. A call that starts while another is in
 * flight runs beside it, so only calls that start with nothing in flight count as a wait.
 */
export function countingD1(d1: D1Database, stats: D1Stats): D1Database {
  let inFlight = 0;
  const track = <T>(run: () => Promise<T>): Promise<T> => {
    stats.queries++;
    if (inFlight === 0) stats.waits++;
    inFlight++;
    return run().finally(() => {
      inFlight--;
    });
  };
  const unwrapped = new WeakMap<object, D1PreparedStatement>();
  const wrapStatement = (stmt: D1PreparedStatement): D1PreparedStatement => {
    const proxy = new Proxy(stmt, {
      get(target, prop) {
        if (prop === "bind") return (...values: unknown[]) => wrapStatement(target.bind(...values));
        const value: unknown = Reflect.get(target, prop, target);
        if (typeof value !== "function") return value;
        if (typeof prop === "string" && STATEMENT_CALLS.has(prop)) {
          return (...args: unknown[]) => track(() => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args));
        }
        return (value as (...a: unknown[]) => unknown).bind(target);
      },
    });
    unwrapped.set(proxy, stmt);
    return proxy;
  };
  return new Proxy(d1, {
    get(target, prop) {
      if (prop === "prepare") return (query: string) => wrapStatement(target.prepare(query));
      if (prop === "batch") {
        return <T>(statements: D1PreparedStatement[]) => track(() => target.batch<T>(statements.map((s) => unwrapped.get(s) ?? s)));
      }
      if (prop === "exec") return (query: string) => track(() => target.exec(query));
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** Builds the dependencies of one request (or of a test, a cron run, a queue batch). */
export function createDeps(env: Env, options: DepsOptions = {}): Deps {
  const d1Stats: D1Stats = { queries: 0, waits: 0 };
  const d1 = countingD1(env.DB, d1Stats);
  return {
    db: createDb(d1),
    d1,
    config: getConfig(env),
    feature: featureReader(env),
    files: env.FILES,
    queues: { convert: env.CONVERT_QUEUE, documents: env.DOCUMENTS_QUEUE, imports: env.IMPORT_QUEUE },
    rooms: { line: env.LINE_ROOM, inventory: env.INVENTORY_ROOM },
    legacyDb: env.LEGACY_DB,
    env,
    requestId: options.requestId ?? crypto.randomUUID(),
    now: options.now ?? (() => new Date()),
    waitUntil:
      options.waitUntil ??
      ((promise) => {
        promise.catch(() => undefined);
      }),
    d1Stats,
  };
}

/**
 * Middleware: puts this request's `deps` on `c.var`, and reports its D1 round trips in
 * `Server-Timing` (`d1q` queries, `d1w` sequential waits) for the bench and for clients
 * measuring latency.
 */
export const depsMiddleware = (): MiddlewareHandler<AppEnv> => async (c, next) => {
  const deps = createDeps(c.env, {
    requestId: c.get("requestId"),
    waitUntil: (promise) =>
      c.executionCtx.waitUntil(
        promise.then(
          () => undefined,
          () => undefined,
        ),
      ),
  });
  c.set("deps", deps);
  await next();
  if (c.res.status !== 101) c.header("Server-Timing", `d1q;desc="${deps.d1Stats.queries}", d1w;desc="${deps.d1Stats.waits}"`, { append: true });
};
