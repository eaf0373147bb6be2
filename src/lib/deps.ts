/**
 * One dependency object per request: every service takes `(deps, input, actor)`.
 *
 * Built once by the `deps()` middleware and kept on `c.get("deps")`; tests build their own with
 * `createDeps(env)`. Holding the bindings here (rather than each handler calling
 * `createDb(c.env.DB)`) gives one place to count D1 round trips, fix the clock in tests and add
 * the next binding a domain needs.
 */
import type { Context } from "hono";
import { createDb, type Db } from "../db/client";
import type { AppEnv } from "../types";
import { type Config, type FeatureConfig, featureReader, getConfig } from "./config";
import { setResponseHeader } from "./headers";

/**
 * The header a client returns to read its own writes (D1 Sessions API): every API response
 * carries the request's latest D1 bookmark in it; a request that sends it back reads from a
 * replica at least that fresh (or the primary). Without it a request starts on the primary.
 */
export const BOOKMARK_HEADER = "X-D1-Bookmark";

/**
 * A D1 bookmark as D1 prints them (`00000000-0000001c-00000000-` + 32 hex digits: four hex
 * fields). Anything else a client sends is ignored (the request starts on the primary), so a
 * made-up value can neither fail the request nor pin it to a stale replica past its own writes.
 */
const BOOKMARK = /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$/;

/** The bookmark a request carries, if well-formed. */
export function bookmarkOf(value: string | undefined | null): string | undefined {
  const text = value?.trim().toLowerCase();
  return text && BOOKMARK.test(text) ? text : undefined;
}

/** The later of two bookmarks (D1 bookmarks order lexicographically). */
export const laterBookmark = (a: string | null | undefined, b: string | null | undefined): string | null => (a && b ? (a > b ? a : b) : (a ?? b ?? null));

/** D1 round trips of one request: `queries` calls in all, `waits` of them started with none in flight. */
export interface D1Stats {
  queries: number;
  waits: number;
}

export interface Deps {
  /** drizzle over `d1`. */
  db: Db;
  /**
   * The request's D1 (counted), for batches whose statements chain on `changes()`. In a request
   * it is a D1 session (`withSession`): started at the bookmark the client returned, else on the
   * primary, and sequentially consistent from there (each read sees the request's own writes).
   */
  d1: D1Database;
  /**
   * The D1 binding itself, outside any session: authentication reads here, so a logout, a
   * revoked API key or a demotion is seen by the very next request whatever bookmark it sends.
   * Not counted: wrap calls in `trackD1`.
   */
  primary: D1Database;
  /** Counts one D1 call made outside `d1` (see `primary`) in `d1Stats`. */
  trackD1: <T>(run: () => Promise<T>) => Promise<T>;
  /**
   * Runs a read on the primary, sharing a round trip where it can: when the request's D1 session
   * starts on the primary (`first-primary`: no bookmark) and its first call is a batch, an
   * `all()` or a `first()`, the read is put at the head of it (one D1 batch for both, on the
   * primary, in one snapshot).
   * Otherwise it runs alone on `primary` as soon as anything else touches D1, or at `flushD1()`.
   * For the session check beside a pure read (lib/route.ts); the caller must flush before it
   * waits on the result.
   */
  primaryRead: (sql: string, params: unknown[]) => Promise<D1Result<Record<string, unknown>>>;
  /** Sends a `primaryRead` still waiting for a batch to join. */
  flushD1: () => void;
  /** The latest D1 bookmark this request's session has seen (null before any query, or without a session). */
  bookmark: () => string | null;
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
  /**
   * Run `d1` as a D1 session: a bookmark (read at least that fresh) or a constraint
   * (`first-primary`: the request's first query goes to the primary). Absent: the plain binding.
   */
  session?: string | undefined;
  requestId?: string;
  now?: () => Date;
  waitUntil?: (promise: Promise<unknown>) => void;
}

type Track = <T>(run: () => Promise<T>) => Promise<T>;

interface PendingRead {
  sql: string;
  params: unknown[];
  resolve: (result: D1Result<Record<string, unknown>>) => void;
  reject: (error: unknown) => void;
}

/** One request's D1 bookkeeping: the call counter, and a primary read waiting to join a batch. */
class RequestD1 {
  pending: PendingRead | undefined;
  /** Whether the session has made a call (its first one goes to the primary under `first-primary`). */
  used = false;
  constructor(
    readonly track: Track,
    readonly primary: D1Database | undefined,
    /** The session starts on the primary, so its first batch may carry a primary read. */
    readonly firstPrimary: boolean,
  ) {}
  /** Sends the waiting primary read on its own. */
  flush(): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    const db = this.primary;
    if (!db) {
      p.reject(new Error("no primary D1 binding"));
      return;
    }
    this.track(() =>
      db
        .prepare(p.sql)
        .bind(...p.params)
        .all<Record<string, unknown>>(),
    ).then(p.resolve, p.reject);
  }
  /** Before the session's own call: anything waiting goes now, beside it. */
  beforeCall(): void {
    this.flush();
    this.used = true;
  }
  /**
   * The waiting primary read, when it may ride at the head of the session's first call (the
   * session starts on the primary and has made no call yet); taken, so nothing sends it twice.
   */
  takeJoinable(): PendingRead | undefined {
    const p = this.pending;
    if (!p || this.used || !this.firstPrimary) return undefined;
    this.pending = undefined;
    this.used = true;
    return p;
  }
  /**
   * One D1 call for the session's first statements and the waiting primary read at their head:
   * the read gets the head's result, the caller the rest. If the batch fails (its own
   * statements), the read still gets its answer, sent alone.
   */
  joined<T>(target: D1Database | D1DatabaseSession, joining: PendingRead, inner: D1PreparedStatement[]): Promise<D1Result<T>[]> {
    const head = target.prepare(joining.sql).bind(...joining.params);
    return this.track(() => target.batch<unknown>([head, ...inner])).then(
      ([first, ...rest]) => {
        if (first) joining.resolve(first as D1Result<Record<string, unknown>>);
        else joining.reject(new Error("D1 batch returned no result for the joined read"));
        return rest as D1Result<T>[];
      },
      (error: unknown) => {
        this.pending = joining;
        this.flush();
        throw error;
      },
    );
  }
}

/**
 * A prepared statement whose calls are counted. A plain class rather than a Proxy: drizzle
 * prepares and binds a statement per query, and a Proxy with per-access closures was measurable
 * churn on every read (bench/README.md).
 */
class CountedStatement {
  constructor(
    readonly inner: D1PreparedStatement,
    private readonly state: RequestD1,
    /** The binding or session it was prepared on (a joined call batches there). */
    private readonly target: D1Database | D1DatabaseSession,
  ) {}
  bind(...values: unknown[]): CountedStatement {
    return new CountedStatement(this.inner.bind(...values), this.state, this.target);
  }
  first<T>(column?: string): Promise<T | null> {
    const joining = this.state.takeJoinable();
    if (joining) {
      // As D1's own first(): the first row (or one column of it; an unknown column is an error), or null.
      return this.state.joined<Record<string, unknown>>(this.target, joining, [this.inner]).then(([result]) => {
        const row = result?.results[0];
        if (row === undefined) return null;
        if (column === undefined) return row as T;
        if (!(column in row)) throw new Error(`D1_COLUMN_NOTFOUND: Column not found (${column})`);
        return (row[column] ?? null) as T | null;
      });
    }
    this.state.beforeCall();
    return this.state.track(() => (column === undefined ? this.inner.first<T>() : this.inner.first<T>(column)));
  }
  run<T>(): Promise<D1Result<T>> {
    this.state.beforeCall();
    return this.state.track(() => this.inner.run<T>());
  }
  /**
   * The rows as objects. A session's first call on the primary carries the waiting session
   * check at its head (one D1 call for both): a batch answers each statement as `all()` does.
   * `raw()` never joins: a batch names columns, so two of the same name would collapse.
   */
  all<T>(): Promise<D1Result<T>> {
    const joining = this.state.takeJoinable();
    if (joining) {
      return this.state.joined<T>(this.target, joining, [this.inner]).then(([result]) => {
        if (!result) throw new Error("D1 batch returned no result for the statement");
        return result;
      });
    }
    this.state.beforeCall();
    return this.state.track(() => this.inner.all<T>());
  }
  raw<T>(options?: { columnNames?: boolean }): Promise<T[] | [string[], ...T[]]> {
    this.state.beforeCall();
    const inner = this.inner;
    return this.state.track<T[] | [string[], ...T[]]>(() => (options?.columnNames ? inner.raw<T>({ columnNames: true }) : inner.raw<T>()));
  }
}

/** A D1 binding or session whose queries and batches are counted. */
class CountedD1 {
  constructor(
    private readonly target: D1Database | D1DatabaseSession,
    private readonly state: RequestD1,
  ) {}
  prepare(query: string): CountedStatement {
    return new CountedStatement(this.target.prepare(query), this.state, this.target);
  }
  batch<T>(statements: (D1PreparedStatement | CountedStatement)[]): Promise<D1Result<T>[]> {
    const inner = statements.map((s) => (s instanceof CountedStatement ? s.inner : s));
    const { state } = this;
    // The session's first call goes to the primary: the waiting read rides at the head of it.
    const joining = state.takeJoinable();
    if (joining) return state.joined<T>(this.target, joining, inner);
    state.beforeCall();
    return state.track(() => this.target.batch<T>(inner));
  }
  /** A session has no exec(): it runs on the binding (DDL and scripts: tests and migrations). */
  exec(query: string): Promise<D1ExecResult> {
    const db = this.state.primary ?? this.target;
    if (!("exec" in db)) throw new Error("exec() needs the D1 binding, not a session");
    this.state.beforeCall();
    return this.state.track(() => db.exec(query));
  }
  withSession(constraintOrBookmark?: string): D1DatabaseSession {
    const db = this.state.primary ?? this.target;
    if (!("withSession" in db)) throw new Error("withSession() needs the D1 binding, not a session");
    return db.withSession(constraintOrBookmark);
  }
  dump(): Promise<ArrayBuffer> {
    const db = this.state.primary ?? this.target;
    if (!("dump" in db)) throw new Error("dump() needs the D1 binding, not a session");
    return db.dump();
  }
}

/**
 * Wraps a D1 binding (or a session of it: `base` is then the binding, for exec) so each query or
 * batch is counted. A call that starts while another is in flight runs beside it, so only calls
 * that start with nothing in flight count as a wait.
 */
export function countingD1(d1: D1Database | D1DatabaseSession, stats: D1Stats, track: Track = d1Tracker(stats), base?: D1Database): D1Database {
  return countedD1(d1, new RequestD1(track, base ?? ("exec" in d1 ? d1 : undefined), false));
}

// The classes implement every member drizzle and the services use; D1's declarations are abstract classes.
const countedD1 = (d1: D1Database | D1DatabaseSession, state: RequestD1) => new CountedD1(d1, state) as unknown as D1Database;

/**
 * Counts D1 calls into `stats`. A call that starts while another is in flight runs beside it,
 * so only calls that start with nothing in flight count as a wait. One tracker per request, shared
 * by the session and the primary, so a session check beside a read counts one wait.
 */
export function d1Tracker(stats: D1Stats): <T>(run: () => Promise<T>) => Promise<T> {
  let inFlight = 0;
  return (run) => {
    stats.queries++;
    if (inFlight === 0) stats.waits++;
    inFlight++;
    return run().finally(() => {
      inFlight--;
    });
  };
}

/** Builds the dependencies of one request (or of a test, a cron run, a queue batch). */
export function createDeps(env: Env, options: DepsOptions = {}): Deps {
  const d1Stats: D1Stats = { queries: 0, waits: 0 };
  const trackD1 = d1Tracker(d1Stats);
  const session = options.session === undefined ? undefined : env.DB.withSession(options.session);
  const state = new RequestD1(trackD1, env.DB, options.session === "first-primary");
  const d1 = countedD1(session ?? env.DB, state);
  return {
    db: createDb(d1),
    d1,
    primary: env.DB,
    trackD1,
    primaryRead: (sql, params) =>
      new Promise((resolve, reject) => {
        state.flush();
        state.pending = { sql, params, resolve, reject };
      }),
    flushD1: () => state.flush(),
    bookmark: () => session?.getBookmark() ?? null,
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

/** A request's deps as `startRequestDeps` made them, and the bookmark the client returned. */
export interface RequestDeps {
  deps: Deps;
  returned: string | undefined;
}

/**
 * Puts this request's `deps` on the context (lib/platform.ts), its D1 a session started at the
 * bookmark the client returned in `X-D1-Bookmark` (else `first-primary`).
 */
export function startRequestDeps(c: Context<AppEnv>): RequestDeps {
  const returned = bookmarkOf(c.req.header(BOOKMARK_HEADER));
  const deps = createDeps(c.env, {
    session: returned ?? "first-primary",
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
  return { deps, returned };
}

/**
 * Once the answer exists: the session's latest bookmark in `X-D1-Bookmark`, and the request's D1
 * round trips in `Server-Timing` (`d1q` queries, `d1w` sequential waits) for the bench and for
 * clients measuring latency. Not on a 101.
 */
export function answerRequestDeps(c: Context<AppEnv>, { deps, returned }: RequestDeps): void {
  if (c.res.status === 101) return;
  setResponseHeader(c, "Server-Timing", `d1q;desc="${deps.d1Stats.queries}", d1w;desc="${deps.d1Stats.waits}"`, true);
  // The client's position for its next request: what this one saw, never older than what it sent.
  const bookmark = laterBookmark(deps.bookmark(), returned);
  if (bookmark) setResponseHeader(c, BOOKMARK_HEADER, bookmark);
}
