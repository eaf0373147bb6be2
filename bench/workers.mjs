// Builds and serves the benchmarked workers: the Floorline API and the two baselines (the bare
// Hono worker and the minimal JWT + one-query worker). The API's service bindings are served too:
// the workers they name (COMPANIONS: the documents worker's label renderer) run beside it in the
// same Miniflare, as `wrangler dev -c wrangler.toml -c workers/documents/wrangler.toml` runs them.
//
// All go through the same path: `wrangler deploy --dry-run` bundles them (the exact bytes a
// deploy would upload), then the `miniflare` package's `Miniflare` class serves each bundle on
// 127.0.0.1 from its own workerd process. No `wrangler dev` and none of its proxy workers sit in
// between, so what is measured is workerd + Miniflare's entry worker + the bundle.
import { spawnSync } from "node:child_process";
import { pbkdf2Sync, randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { basename, dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { unstable_readConfig, unstable_splitSqlQuery } from "wrangler";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);

/** Versions printed in the "how the workers were run" line. */
export function versions() {
  const require = createRequire(import.meta.url);
  const version = (pkg) => {
    try {
      return require(`${pkg}/package.json`).version;
    } catch {
      return "?";
    }
  };
  return { miniflare: version("miniflare"), wrangler: version("wrangler"), autocannon: version("autocannon") };
}

/** The API's wrangler.toml, parsed by wrangler itself (top-level environment, `--env=`). */
export function readApiConfig(configPath = join(root, "wrangler.toml")) {
  return unstable_readConfig({ config: configPath, env: undefined });
}

/**
 * Bundles one worker with `wrangler deploy --dry-run --outdir` (no Cloudflare account needed).
 * Returns the directory of emitted ES modules and the entry module's name: wrangler names it
 * after `main` (src/index.ts → index.js, bench/bare-worker.mjs → bare-worker.js).
 */
export function bundle(configPath, outdir, extraArgs = []) {
  const { main } = unstable_readConfig({ config: configPath, env: undefined });
  const args = ["deploy", "--dry-run", "-c", configPath, "--env=", "--outdir", outdir, ...extraArgs];
  const result = spawnSync(bin("wrangler"), args, {
    cwd: root,
    encoding: "utf8",
    // CI=true: no interactive prompts, no update check banners.
    env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" },
  });
  if (result.status !== 0) {
    throw new Error(`wrangler ${args.join(" ")} failed (exit ${result.status ?? result.signal})\n${result.stdout}\n${result.stderr}`);
  }
  return { dir: outdir, mainModule: `${basename(main, extname(main))}.js` };
}

/**
 * Writes a wrangler config for a baseline worker (`bench/<file>`) next to the other temporary
 * files and returns its path. It copies the API's compatibility date, flags, minify and keep_names settings so
 * every bundle runs on the same runtime behaviour; it declares no bindings (run.mjs gives the
 * minimal worker its D1 and secret when serving it).
 */
export function writeBaselineConfig(apiConfig, dir, { name, file }) {
  const path = join(dir, `${name}.wrangler.toml`);
  const toml = [
    `name = ${JSON.stringify(name)}`,
    `main = ${JSON.stringify(join(root, "bench", file))}`,
    `compatibility_date = ${JSON.stringify(apiConfig.compatibility_date)}`,
    `compatibility_flags = ${JSON.stringify(apiConfig.compatibility_flags ?? [])}`,
    `minify = ${apiConfig.minify ? "true" : "false"}`,
    `keep_names = ${apiConfig.keep_names === false ? "false" : "true"}`,
    "",
  ].join("\n");
  writeFileSync(path, toml);
  return path;
}

/** Reads a bundle directory (see `bundle`) into Miniflare's module manifest. */
function manifestOf({ dir: bundleDir, mainModule }) {
  const modules = {};
  for (const file of readdirSync(bundleDir)) {
    const ext = extname(file);
    if (ext === ".js" || ext === ".mjs") modules[file] = { type: "esm", contents: readFileSync(join(bundleDir, file), "utf8") };
    else if (ext === ".wasm") modules[file] = { type: "wasm", contents: new Uint8Array(readFileSync(join(bundleDir, file))) };
    // The documents worker's report font.
    else if (ext === ".bin") modules[file] = { type: "data", contents: new Uint8Array(readFileSync(join(bundleDir, file))) };
    // *.js.map and README.md are not modules.
  }
  if (!modules[mainModule]) throw new Error(`wrangler emitted no ${mainModule} in ${bundleDir}`);
  return { mainModule, modulesRoot: bundleDir, modules };
}

/**
 * Miniflare (v5 option format) bindings for the API worker, derived from its wrangler.toml so a
 * new binding there shows up here. `extraVars` are the secrets and overrides of `.dev.vars`.
 */
export function apiBindings(config, workerName, extraVars) {
  const env = {};
  const exports = {};
  for (const [name, value] of Object.entries({ ...config.vars, ...extraVars })) {
    env[name] = typeof value === "string" ? { type: "text", value } : { type: "json", value };
  }
  for (const d1 of config.d1_databases ?? []) env[d1.binding] = { type: "d1", id: d1.database_id ?? d1.database_name };
  for (const r2 of config.r2_buckets ?? []) env[r2.binding] = { type: "r2", name: r2.bucket_name };
  for (const q of config.queues?.producers ?? []) env[q.binding] = { type: "queue", name: q.queue };
  for (const kv of config.kv_namespaces ?? []) env[kv.binding] = { type: "kv", id: kv.id ?? kv.binding };
  // Rate-limiting bindings: all load comes from one address and one key, so the bench lifts
  // every limit (the platform's throttles are measured by the tests, not here).
  for (const rl of config.ratelimits ?? []) {
    env[rl.name] = { type: "rate-limit", namespace: String(rl.namespace_id), simple: { limit: 1_000_000_000, period: rl.simple?.period ?? 60 } };
  }
  for (const h of config.hyperdrive ?? []) {
    // /health/detailed and the legacy import (bench/bridge.mjs) open it. LEGACY_PG_PORT moves it
    // with the legacy Postgres bench/bridge.mjs starts (as vitest.config.ts does for the tests).
    const url = new URL(h.localConnectionString ?? "postgres://bench:bench@127.0.0.1:5432/bench");
    if (process.env.LEGACY_PG_PORT && h.localConnectionString) url.port = process.env.LEGACY_PG_PORT;
    env[h.binding] = { type: "hyperdrive", id: h.id, dev: { connectionString: url.toString() } };
  }
  // Durable Objects: the classes are exported by the same bundle. A class listed in a
  // `new_sqlite_classes` migration gets SQLite-backed storage, as deployed.
  const sqliteClasses = new Set((config.migrations ?? []).flatMap((m) => m.new_sqlite_classes ?? []));
  for (const dob of config.durable_objects?.bindings ?? []) {
    if (dob.script_name) throw new Error(`Durable Object ${dob.name} lives in another worker (${dob.script_name}); the bench does not serve it`);
    env[dob.name] = { type: "durable-object", worker: workerName, exportName: dob.class_name };
    exports[dob.class_name] = { type: "durable-object", storage: sqliteClasses.has(dob.class_name) ? "sqlite" : "legacy-kv" };
  }
  // Service bindings: `serve` runs the named worker beside this one (`companionsOf`).
  for (const svc of config.services ?? []) {
    if (!COMPANIONS[svc.service]) throw new Error(`bench/workers.mjs does not know how to serve ${svc.service} (service binding ${svc.binding})`);
    env[svc.binding] = { type: "worker", worker: svc.service, ...(svc.entrypoint ? { exportName: svc.entrypoint } : {}) };
  }
  const unsupported = ["workflows", "vectorize", "ai", "analytics_engine_datasets", "send_email", "browser"].filter((key) => {
    const value = config[key];
    return Array.isArray(value) ? value.length > 0 : Boolean(value);
  });
  if (unsupported.length) throw new Error(`bench/workers.mjs does not map these wrangler.toml bindings yet: ${unsupported.join(", ")}`);
  // Queues this worker consumes (the import worker's import queue): delivered to it.
  const triggers = (config.queues?.consumers ?? []).map((c) => ({
    type: "queue",
    name: c.queue,
    maxBatchSize: c.max_batch_size,
    maxBatchTimeout: c.max_batch_timeout,
    maxRetries: c.max_retries,
    deadLetterQueue: c.dead_letter_queue,
  }));
  return { env, exports, triggers };
}

/**
 * Starts one worker bundle on 127.0.0.1 (ephemeral port) in its own Miniflare/workerd, with the
 * workers its service bindings reach beside it (`companions`: by default those `env` names).
 * Returns the instance and its base URL.
 */
export async function serve({
  name,
  bundle: built,
  compatibilityDate,
  compatibilityFlags,
  env = {},
  exports = {},
  triggers,
  stateDir,
  onLog,
  inspectorPort,
  others = [],
  companions = companionsOf(env),
}) {
  const mf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    // bench/profile.mjs: workerd's own V8 inspector (ws://127.0.0.1:<port>/core:user:<name>).
    ...(inspectorPort === undefined ? {} : { inspectorPort }),
    // No network: use Miniflare's placeholder `request.cf` instead of downloading one.
    cf: false,
    // Miniflare would otherwise print (through Node) one line per request.
    logRequests: false,
    // Storage (D1, R2, Durable Objects) under the bench's temporary directory.
    resourcePersistencePath: stateDir,
    // console.* from the worker arrives here instead of this terminal (the API logs every request).
    handleStructuredLogs: onLog ?? (() => {}),
    // The worker served at the URL first, then `others` beside it (e.g. the import worker, which
    // consumes the API's import queue): one Miniflare, so they share D1, R2 and the queues.
    workers: [
      {
        config: { name, compatibilityDate, compatibilityFlags, manifest: manifestOf(built), env, exports, ...(triggers?.length ? { triggers } : {}) },
      },
      ...others.map((o) => ({
        config: {
          name: o.name,
          compatibilityDate: o.compatibilityDate ?? compatibilityDate,
          compatibilityFlags: o.compatibilityFlags ?? compatibilityFlags,
          manifest: manifestOf(o.bundle),
          env: o.env ?? {},
          ...(o.triggers?.length ? { triggers: o.triggers } : {}),
        },
      })),
      // Workers the first one reaches through service bindings (not served on the port).
      ...companions.map((c) => ({
        config: {
          name: c.name,
          compatibilityDate: c.compatibilityDate,
          compatibilityFlags: c.compatibilityFlags,
          manifest: manifestOf(c.bundle),
          env: c.env ?? {},
        },
      })),
    ],
  });
  try {
    const url = await mf.ready;
    return { mf, url: url.href.replace(/\/$/, "") };
  } catch (error) {
    await mf.dispose().catch(() => {});
    throw error;
  }
}

/**
 * The import worker (workers/import), bundled into `outdir`, as an entry of `serve({ others })`:
 * it consumes the API's import queue against the same D1 and R2. Its Hyperdrive bindings point at
 * `legacyPort` (default: its wrangler.toml's localConnectionString); `bundleArgs` go to `bundle`.
 */
export function importWorker(outdir, { legacyPort = process.env.LEGACY_PG_PORT, vars = {}, bundleArgs = [] } = {}) {
  const configPath = join(root, "workers", "import", "wrangler.toml");
  const config = readApiConfig(configPath);
  if (legacyPort) {
    for (const h of config.hyperdrive ?? []) {
      if (!h.localConnectionString) continue;
      const url = new URL(h.localConnectionString);
      url.port = String(legacyPort);
      h.localConnectionString = url.toString();
    }
  }
  const { env, triggers } = apiBindings(config, config.name, vars);
  return {
    name: config.name,
    bundle: bundle(configPath, outdir, bundleArgs),
    env,
    triggers,
    compatibilityDate: config.compatibility_date,
    compatibilityFlags: config.compatibility_flags ?? [],
  };
}

/**
 * Workers the API reaches through service bindings, by service name: their wrangler config. The
 * documents worker is served as its label renderer only (its RPC entrypoint needs no bindings):
 * no queue consumer, so the bench's API queues label jobs exactly as before, with nothing
 * consuming them.
 */
const COMPANIONS = { "floorline-documents": "workers/documents/wrangler.toml" };

const companionBundles = new Map();

/**
 * The worker a service binding names, bundled (`wrangler deploy --dry-run`) once per process into
 * a temporary directory removed at exit, ready for `serve`.
 */
function companion(name) {
  let built = companionBundles.get(name);
  if (!built) {
    const configPath = join(root, COMPANIONS[name]);
    const own = unstable_readConfig({ config: configPath, env: undefined });
    const dir = mkdtempSync(join(tmpdir(), "floorline-bench-companion-"));
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    built = { name, bundle: bundle(configPath, dir), compatibilityDate: own.compatibility_date, compatibilityFlags: own.compatibility_flags ?? [] };
    companionBundles.set(name, built);
  }
  return built;
}

/** The companions `env`'s service bindings need (`apiBindings` maps only services it knows). */
export function companionsOf(env) {
  const names = new Set(Object.values(env).flatMap((b) => (b?.type === "worker" && COMPANIONS[b.worker] ? [b.worker] : [])));
  return [...names].map(companion);
}

/** Applies migrations/*.sql in name order through the D1 binding (as `wrangler d1 migrations apply`). */
export async function applyMigrations(mf, binding, migrationsDir) {
  const db = await mf.getD1Database(binding);
  const files = readdirSync(migrationsDir)
    .filter((f) => f.endsWith(".sql"))
    .sort();
  for (const file of files) {
    // wrangler's own splitter: knows about strings, comments and drizzle's breakpoint markers.
    const statements = unstable_splitSqlQuery(readFileSync(join(migrationsDir, file), "utf8")).filter((s) => s.trim());
    if (statements.length) await db.batch(statements.map((s) => db.prepare(s)));
  }
  return files;
}

/**
 * A users row for `{ username, password, role }` in the API's native password format
 * (src/lib/passwords.ts): `pbkdf2_sha256$100000$<salt b64url>$<hash b64url>`, PBKDF2-SHA256,
 * 16-byte salt, 32-byte hash. Insert the same row into every worker's D1 so that one worker's
 * access token names a user the others know too.
 */
export function userRow({ username, password, role }) {
  const iterations = 100_000;
  const salt = randomBytes(16);
  const hash = pbkdf2Sync(password, salt, iterations, 32, "sha256");
  return { id: randomUUID(), username, role, passwordHash: `pbkdf2_sha256$${iterations}$${salt.toString("base64url")}$${hash.toString("base64url")}` };
}

/** Inserts a `userRow()` through the D1 binding. */
export async function insertUser(mf, binding, { id, username, passwordHash, role }) {
  const db = await mf.getD1Database(binding);
  await db.prepare("INSERT INTO users (id, username, password_hash, role) VALUES (?, ?, ?, ?)").bind(id, username, passwordHash, role).run();
}
