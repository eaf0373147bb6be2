import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { extname, join, resolve } from "node:path";
import { cloudflareTest, type D1Migration, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { BaseSequencer, type Reporter, type TestSpecification } from "vitest/node";
import { unstable_readConfig } from "wrangler";

/** Ends the run with one plain `N passed, N failed` line that CI reads. */
const summary: Reporter = {
  onTestRunEnd(modules, unhandledErrors) {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    for (const mod of modules) {
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failed++;
        else skipped++;
      }
      if (mod.state() === "failed" && mod.children.size === 0) failed++;
    }
    console.log(`\nvitest: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  },
};

/**
 * vitest's order (project by project, so a runtime serves a whole project; the longest files
 * first, from the last run's durations), with the legacy Postgres's files spread out: the order
 * is laid out on the workers as they free up, and a Postgres file that would start while another
 * still holds the lock (test/setup.ts) gives its place to the next file of its project.
 */
class LegacyPgSpreadSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const queue = await super.sort(files);
    const pg = new Set(legacyPgFiles().map((file) => resolve(file)));
    const duration = (spec: TestSpecification) => this.ctx.cache.getTestSpecificationResult(spec)?.duration ?? 0;
    const lanes: number[] = Array.from({ length: Math.max(1, this.ctx.config.maxWorkers) }, () => 0);
    let lockFreeAt = 0;
    const order: TestSpecification[] = [];
    while (queue.length > 0) {
      const lane = lanes.indexOf(Math.min(...lanes));
      const now = lanes[lane] ?? 0;
      const project = queue[0]?.project.name;
      const free = queue.findIndex((spec) => spec.project.name === project && !(pg.has(spec.moduleId) && lockFreeAt > now));
      const [spec] = queue.splice(Math.max(0, free), 1);
      if (!spec) break;
      const start = pg.has(spec.moduleId) ? Math.max(now, lockFreeAt) : now;
      lanes[lane] = start + duration(spec);
      if (pg.has(spec.moduleId)) lockFreeAt = lanes[lane] ?? 0;
      order.push(spec);
    }
    return order;
  }
}

/**
 * The workerd runtime every in-Workers project runs in: the bindings of wrangler.toml plus test
 * secrets and tight throttles. One plugin instance per project, built from the same options.
 */
/**
 * The test files that reach the legacy Postgres (they name a `LEGACY_*` Hyperdrive binding or
 * open a `legacyClient`), relative to the root. Test files run two at a time (`maxWorkers`) and
 * these share one Postgres (issue 19), so test/setup.ts runs them one at a time (an advisory
 * lock): e.g. rm365-inventory.test.ts adds RM365 users that rm365.test.ts would import.
 */
function legacyPgFiles(): string[] {
  const found: string[] = [];
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.name.endsWith(".test.ts") && /\benv\.LEGACY_\w+|\blegacyClient\(/.test(readFileSync(path, "utf8"))) found.push(path);
    }
  };
  for (const dir of ["test", "workers"]) visit(dir);
  return found.sort();
}

function workersRuntime(migrations: D1Migration[], storage: StorageBindings, documents: AuxiliaryWorker) {
  return cloudflareTest({
    wrangler: { configPath: "./wrangler.toml" },
    // The API worker plus the import worker's queue handler (test/main.ts), so imports run end to end.
    main: "./test/main.ts",
    miniflare: {
      queueConsumers: importQueueConsumers(),
      bindings: {
        ENVIRONMENT: "test",
        JWT_SECRET: "test-only-jwt-secret-0123456789abcdefghijklmnop",
        TEST_MIGRATIONS: migrations,
        TEST_STORAGE_BINDINGS: storage,
        TEST_LEGACY_PG_FILES: legacyPgFiles(),
        LOGIN_RATE_LIMIT_PER_USERNAME: "5",
        DEV_RETURN_RESET_TOKEN: "true",
        // A fake Onshape (test/parts/onshape.test.ts mocks these hosts; nothing reaches the internet).
        ONSHAPE_BASE_URL: "https://onshape.test",
        ONSHAPE_OAUTH_URL: "https://oauth.onshape.test",
        ONSHAPE_CLIENT_ID: "test-client",
        ONSHAPE_CLIENT_SECRET: "test-client-secret",
        ONSHAPE_TOKEN_KEY: "test-only-onshape-token-key-0123456789abcdef",
      },
      // Low limits so tests can reach them: the anonymous throttle, the 60/min API-key tier, per-user exports.
      ratelimits: {
        THROTTLE_ANON: { namespace_id: "1001", simple: { limit: 5, period: 60 } },
        API_KEY_LIMIT_60: { namespace_id: "1002", simple: { limit: 3, period: 60 } },
        USER_LIMIT_EXPORTS: { namespace_id: "1008", simple: { limit: 3, period: 60 } },
        USER_LIMIT_REPORTS: { namespace_id: "1009", simple: { limit: 100, period: 60 } }, // tests race 12 generates per user
      },
      ...legacyHyperdrives(),
      // The documents worker beside the API: wrangler.toml's DOCUMENTS service binding reaches its
      // LabelRenderer entrypoint, so the single-label route's tests render in the real worker.
      workers: [documents],
    },
  });
}

/** An auxiliary worker in Miniflare's (V4) options, as the plugin's `miniflare.workers` takes it. */
type AuxiliaryWorker = {
  name: string;
  modules: { type: "ESModule" | "CompiledWasm" | "Data"; path: string }[];
  modulesRoot: string;
  compatibilityDate: string;
  compatibilityFlags: string[];
};

const MODULE_TYPES: Record<string, AuxiliaryWorker["modules"][number]["type"]> = { ".js": "ESModule", ".wasm": "CompiledWasm", ".bin": "Data" };

/** The newest modification time (ms) of the files under `paths` (directories walked, generated output included). */
function newestMtime(paths: string[]): number {
  let newest = 0;
  const visit = (path: string) => {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) return;
    if (stat.isDirectory()) for (const entry of readdirSync(path)) visit(join(path, entry));
    else if (!path.endsWith(".test.ts")) newest = Math.max(newest, stat.mtimeMs);
  };
  for (const path of paths) visit(path);
  return newest;
}

/**
 * The documents worker's deploy bundle (`wrangler deploy --dry-run`, the bytes a deploy uploads)
 * in .wrangler/vitest-documents, rebuilt when anything under src/ or workers/, the lockfile or its
 * config is newer than the last build (a fresh clone builds it on its first run). It runs as
 * itself: no bindings (its label renderer needs none), no queue consumer (the tests run label
 * and report jobs directly).
 */
function documentsWorker(): AuxiliaryWorker {
  const configPath = "./workers/documents/wrangler.toml";
  const outdir = resolve(".wrangler/vitest-documents");
  const stampPath = join(outdir, "built-at");
  const built = existsSync(stampPath) ? Number(readFileSync(stampPath, "utf8")) : 0;
  if (newestMtime(["src", "workers", "package-lock.json"]) >= built) {
    // The report font it imports (gitignored), when npm ci skipped postinstall.
    const font = spawnSync(process.execPath, ["scripts/report-font.mjs"], { stdio: "inherit" });
    if (font.status !== 0) throw new Error("scripts/report-font.mjs failed: the documents worker cannot be built");
    const started = Date.now();
    const tmp = `${outdir}.tmp-${process.pid}`;
    const args = ["deploy", "--dry-run", "-c", configPath, "--env=", "--outdir", tmp];
    const result = spawnSync(resolve("node_modules/.bin/wrangler"), args, {
      encoding: "utf8",
      env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" },
    });
    if (result.status !== 0) throw new Error(`wrangler ${args.join(" ")} failed (exit ${result.status ?? result.signal})\n${result.stdout}\n${result.stderr}`);
    writeFileSync(join(tmp, "built-at"), String(started));
    rmSync(outdir, { recursive: true, force: true });
    renameSync(tmp, outdir);
  }
  const modules = readdirSync(outdir).flatMap((file) => {
    const type = MODULE_TYPES[extname(file)];
    // index.js first: Miniflare's entry module.
    return type ? [{ type, path: join(outdir, file) }] : [];
  });
  modules.sort((a, b) => Number(b.path.endsWith("/index.js")) - Number(a.path.endsWith("/index.js")));
  const config = unstable_readConfig({ config: configPath });
  return {
    name: config.name ?? "floorline-documents",
    modules,
    modulesRoot: outdir,
    compatibilityDate: config.compatibility_date ?? "2026-10-01",
    compatibilityFlags: config.compatibility_flags,
  };
}

/**
 * The Hyperdrive bindings of wrangler.toml, on the port the legacy Postgres runs on for this run
 * (`LEGACY_PG_PORT`, as scripts/legacy-pg.mjs reads it): two worktrees can run the bridge tests at
 * once on different ports. Unset, wrangler.toml's localConnectionString stands.
 */
function legacyHyperdrives(): { hyperdrives?: Record<string, string> } {
  const port = process.env.LEGACY_PG_PORT;
  if (!port) return {}; // (an undefined `hyperdrives` key would crash Miniflare)
  if (!/^\d{2,5}$/.test(port)) throw new Error(`LEGACY_PG_PORT must be a port number, not ${port}`);
  const config = unstable_readConfig({ config: "./wrangler.toml" });
  const out: Record<string, string> = {};
  for (const h of config.hyperdrive as { binding: string; localConnectionString?: string }[]) {
    if (!h.localConnectionString) continue;
    const url = new URL(h.localConnectionString);
    url.port = port;
    out[h.binding] = url.toString();
  }
  return { hyperdrives: out };
}

/**
 * The import worker's queue consumer (workers/import/wrangler.toml), delivered to test/main.ts:
 * the API's wrangler.toml only produces to that queue.
 */
function importQueueConsumers() {
  const config = unstable_readConfig({ config: "./workers/import/wrangler.toml" });
  type Consumer = { queue: string; max_batch_size?: number; max_batch_timeout?: number; max_retries?: number; dead_letter_queue?: string };
  return Object.fromEntries(
    (config.queues.consumers as Consumer[]).map((c) => [
      c.queue,
      { maxBatchSize: c.max_batch_size, maxBatchTimeout: c.max_batch_timeout, maxRetries: c.max_retries, deadLetterQueue: c.dead_letter_queue },
    ]),
  );
}

/** The storage bindings of wrangler.toml by kind: test/storage.ts empties them between test files. */
type StorageBindings = { d1: string[]; r2: string[]; kv: string[]; durableObjects: string[] };

async function storageBindings(): Promise<StorageBindings> {
  const config = unstable_readConfig({ config: "./wrangler.toml" });
  return {
    d1: config.d1_databases.map((b: { binding: string }) => b.binding),
    r2: config.r2_buckets.map((b: { binding: string }) => b.binding),
    kv: config.kv_namespaces.map((b: { binding: string }) => b.binding),
    durableObjects: config.durable_objects.bindings.map((b: { name: string }) => b.name),
  };
}

// Tests run inside workerd (miniflare) with the bindings of wrangler.toml. Migrations are read
// here (Node) and applied in test/setup.ts (inside the runtime).
//
// Projects: `workers` (the everyday suite: `vitest run --project workers`), `slow` (same runtime;
// tests that take seconds, e.g. legacy password hashes at their real work factors) and `node`.
// `vitest run` (and so `npm test` and CI) runs all three.
export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  const storage = await storageBindings();
  const documents = documentsWorker();
  return {
    test: {
      reporters: ["default", summary],
      // Two test files at a time even on two cores (vitest's default there is one): a file often
      // waits (on workerd, Postgres, a bundle build, a socket), so a second one fills the gaps.
      maxWorkers: Math.max(2, availableParallelism() - 1),
      sequence: { sequencer: LegacyPgSpreadSequencer },
      // The reports' CJK font (gitignored), when npm ci skipped postinstall; the legacy Postgres (issue 19).
      globalSetup: ["./scripts/report-font.mjs", "./test/legacy-pg.setup.mjs"],
      // One JSON line per request is right in production and noise in a test run.
      onConsoleLog: (log: string) => !log.includes('"msg":"request"'),
      projects: [
        {
          plugins: [workersRuntime(migrations, storage, documents)],
          test: {
            name: "workers",
            include: ["test/**/*.test.ts", "workers/**/*.test.ts"],
            exclude: ["test/node/**", "test/slow/**", "test/socketio/**"],
            setupFiles: ["./test/setup.ts"],
            // Files share the runtime (test/setup.ts resets its storage before each one).
            // TEST_ISOLATE=1 gives each file its own runtime: a check for a leak through module state.
            isolate: process.env.TEST_ISOLATE === "1",
            // A stall guard, not a speed check: a PDF render or a multi-part upload that takes 1–2 s
            // on a quiet machine passed 5 s on a loaded one (speed is `npm run bench`'s job).
            testTimeout: 30_000,
          },
        },
        {
          plugins: [workersRuntime(migrations, storage, documents)],
          // Pure-JS key derivation runs far slower in the test runtime than in production V8.
          // A stall guard: 600,000 rounds took 10 s, and 60 s beside the other worker on a loaded machine.
          test: { name: "slow", include: ["test/slow/**/*.test.ts"], setupFiles: ["./test/setup.ts"], testTimeout: 180_000 },
        },
        // Checks that need Node (e.g. OpenAPI validation with ajv, which compiles code at run time).
        { test: { name: "node", include: ["test/node/**/*.test.ts"], environment: "node" } },
        // RM365's real socket.io-client against the deploy bundle served by Miniflare (test/socketio/server.ts).
        { test: { name: "socketio", include: ["test/socketio/**/*.test.ts"], environment: "node", hookTimeout: 180_000, testTimeout: 30_000 } },
      ],
    },
  };
});
