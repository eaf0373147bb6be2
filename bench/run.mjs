// `npm run bench`: loads the Floorline API and two baselines with autocannon, scenario by
// scenario (bench/scenarios.mjs): a bare Hono worker (fixed JSON) and a minimal worker (jose JWT
// verification + one D1 query). Prints requests/s and p50/p99 latency, the D1 round trips the
// API reports per request, and the ratios bare/api and minimal/api. See bench/README.md.
//
// Settings (environment variables):
//   BENCH_DURATION     seconds of measured load per scenario and target (default 8)
//   BENCH_WARMUP       seconds of unrecorded load before each measurement (default 2; 0 = none)
//   BENCH_CONNECTIONS  concurrent keep-alive connections (default 10)
//   BENCH_ROUNDS       slices the measured seconds are cut into, taken by the targets in turn (default 4)
//   BENCH_SCENARIOS    comma-separated substrings; only scenarios whose name contains one run
//                      ("socketio" selects the Socket.IO fan-out section, which runs last)
//   BENCH_SIO_CLIENTS, BENCH_SIO_ROUNDS   the Socket.IO fan-out's N (default 100,1000) and rounds (10)
//
// Exit code 0 when every scenario was measured with only 2xx responses; 1 when a server did not
// start or any request failed (a benchmark whose requests fail is not a measurement).
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { legacyImport } from "./bridge.mjs";
import { printDocumentGoals } from "./documents-goals.mjs";
import { fanout } from "./fanout.mjs";
import { floodLatency } from "./flood.mjs";
import { COLD_START, coldStart, renderColdStart, renderIssue20 } from "./issue20.mjs";
import { failureOf, load, mergeRuns } from "./load.mjs";
import { renderChecks, renderTable } from "./report.mjs";
import { csvImport, stageLine } from "./salesdata.mjs";
import { BENCH_USER, scenarios } from "./scenarios.mjs";
import { d1RoundTrips } from "./server-timing.mjs";
import { socketioFanout } from "./socketio.mjs";
import {
  apiBindings,
  applyMigrations,
  bundle,
  importWorker,
  insertUser,
  readApiConfig,
  root,
  serve,
  userRow,
  versions,
  writeBaselineConfig,
} from "./workers.mjs";

const settings = {
  duration: positiveNumber("BENCH_DURATION", 8),
  warmup: positiveNumber("BENCH_WARMUP", 2, { allowZero: true }),
  connections: positiveNumber("BENCH_CONNECTIONS", 10, { integer: true }),
  rounds: positiveNumber("BENCH_ROUNDS", 4, { integer: true }),
  only: (process.env.BENCH_SCENARIOS ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean),
};

// Values the API reads from `.dev.vars` / secrets. The per-username login-failure lockout must
// never trip under load (the per-IP throttles are rate-limiting bindings, lifted in workers.mjs).
const API_VARS = {
  JWT_SECRET: "bench-only-jwt-secret-0123456789abcdef-0123456789",
  ENVIRONMENT: "production",
  LOGIN_RATE_LIMIT_PER_USERNAME: "100000000",
};

const tmp = mkdtempSync(join(tmpdir(), "floorline-bench-"));
const servers = [];

/** Disposes every Miniflare (and its workerd process) and deletes the temporary directory. */
async function cleanup() {
  await Promise.allSettled(servers.map((s) => s.mf.dispose()));
  rmSync(tmp, { recursive: true, force: true });
}

// Ctrl-C / kill: clean up synchronously. Miniflare installs its own SIGINT/SIGTERM listener that
// calls process.exit() straight after ours, so an async cleanup here would never finish; its
// exit hook stops the workerd processes.
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping`);
    rmSync(tmp, { recursive: true, force: true });
    process.exit(130);
  });
}

let code = 1;
try {
  code = await main();
} catch (error) {
  console.error(`\n✗ bench failed: ${error instanceof Error ? (error.stack ?? error.message) : error}`);
} finally {
  await cleanup();
}
// Nothing should be left running; exit explicitly so a stray handle cannot keep us alive.
process.exit(code);

async function main() {
  const selected = settings.only.length ? scenarios.filter((s) => settings.only.some((o) => s.name.includes(o))) : scenarios;
  const socketio = settings.only.length === 0 || settings.only.some((o) => "socketio".includes(o));
  if (selected.length === 0 && !socketio && !settings.only.some((o) => COLD_START.includes(o))) {
    console.error(`✗ BENCH_SCENARIOS=${process.env.BENCH_SCENARIOS} matches no scenario (${scenarios.map((s) => s.name).join(" | ")})`);
    return 1;
  }
  const v = versions();
  const apiConfig = readApiConfig();

  console.log(
    `workers: wrangler ${v.wrangler} \`deploy --dry-run\` bundles, each served directly by Miniflare ${v.miniflare} ` +
      `(own workerd process) on 127.0.0.1 — no \`wrangler dev\`, no dev proxy`,
  );
  console.log("• bundling the API, the bare and the minimal worker with `wrangler deploy --dry-run` …");
  // --metafile: bench/issue20.mjs breaks the bundle's size down by package.
  const apiBundle = bundle(join(root, "wrangler.toml"), join(tmp, "api"), ["--metafile"]);
  const bareBundle = bundle(writeBaselineConfig(apiConfig, tmp, { name: "floorline-bench-bare", file: "bare-worker.mjs" }), join(tmp, "bare"));
  const minimalBundle = bundle(writeBaselineConfig(apiConfig, tmp, { name: "floorline-bench-minimal", file: "minimal-worker.mjs" }), join(tmp, "minimal"));

  const runtime = { compatibilityDate: apiConfig.compatibility_date, compatibilityFlags: apiConfig.compatibility_flags ?? [] };
  // Issue 20, goal 5: bundle sizes and time to the first answer, before anything else runs (bench/issue20.mjs).
  let cold = null;
  if (!settings.only.length || settings.only.some((o) => COLD_START.includes(o))) {
    console.log("• cold start: starting each bundle 3 times in a fresh Miniflare, timing the first answer …");
    const { env, exports } = apiBindings(apiConfig, apiConfig.name, API_VARS);
    // `api`: as served everywhere else, the documents worker (DOCUMENTS binding) in the same workerd,
    // which loads it at start too. `api alone`: the API's isolate by itself, as a deployed API starts
    // (the documents worker is its own isolate there, started by the first label); /health never
    // reaches the binding, so it is left out.
    const { DOCUMENTS: _documents, ...alone } = env;
    cold = await coldStart({
      tmp,
      runtime,
      bundles: {
        api: { bundle: apiBundle, options: { name: apiConfig.name, env, exports }, path: "/health" },
        "api alone": { bundle: apiBundle, options: { name: apiConfig.name, env: alone, exports }, path: "/health" },
        bare: {
          bundle: bareBundle,
          options: {
            name: "floorline-bench-bare",
            env: { BARE_ROOM: { type: "durable-object", worker: "floorline-bench-bare", exportName: "BareRoom" } },
            exports: { BareRoom: { type: "durable-object", storage: "sqlite" } },
          },
          path: "/",
        },
        minimal: {
          bundle: minimalBundle,
          options: {
            name: "floorline-bench-minimal",
            env: { DB: { type: "d1", id: "floorline-bench-minimal" }, JWT_SECRET: { type: "text", value: API_VARS.JWT_SECRET } },
          },
          path: "/api/v1/auth/me",
        },
      },
    });
    console.log(renderColdStart(cold));
  }
  console.log("• starting the three bundles in Miniflare …");
  const targets = {};
  try {
    const { env, exports, triggers } = apiBindings(apiConfig, apiConfig.name, API_VARS);
    // Beside the API, the import worker that consumes its import queue (the legacy import scenario).
    const others = [importWorker(join(tmp, "import"))];
    targets.api = await startTarget("api", { name: apiConfig.name, bundle: apiBundle, env, exports, triggers, others, ...runtime });
    // The bare worker's hibernating room, the fan-out baseline (bench/bare-worker.mjs).
    const bareRoom = {
      env: { BARE_ROOM: { type: "durable-object", worker: "floorline-bench-bare", exportName: "BareRoom" } },
      exports: { BareRoom: { type: "durable-object", storage: "sqlite" } },
    };
    targets.bare = await startTarget("bare", { name: "floorline-bench-bare", bundle: bareBundle, ...bareRoom, ...runtime });
    const minimalEnv = { DB: { type: "d1", id: "floorline-bench-minimal" }, JWT_SECRET: { type: "text", value: API_VARS.JWT_SECRET } };
    targets.minimal = await startTarget("minimal", { name: "floorline-bench-minimal", bundle: minimalBundle, env: minimalEnv, ...runtime });
  } catch (error) {
    console.error(`\n✗ a worker failed to start: ${error instanceof Error ? (error.stack ?? error.message) : error}`);
    return 1;
  }

  // Each D1 starts empty: schema, built-in roles, then the user the scenarios log in as (the same
  // row in both, so an access token from either worker names a user the other knows).
  const user = userRow(BENCH_USER);
  let applied = [];
  for (const target of [targets.api, targets.minimal]) {
    applied = await applyMigrations(target.mf, "DB", join(root, "migrations"));
    await insertUser(target.mf, "DB", user);
  }
  try {
    await checkTokenInterop(targets.api, targets.minimal);
  } catch (error) {
    console.error(`\n✗ ${error instanceof Error ? error.message : error}`);
    return 1;
  }

  console.log("");
  console.log(`api:     ${targets.api.url}  (D1 migrated: ${applied.join(", ")}; user ${BENCH_USER.username})`);
  console.log(`bare:    ${targets.bare.url}  (bench/bare-worker.mjs: bare Hono, fixed JSON, no bindings)`);
  console.log(
    `minimal: ${targets.minimal.url}  (bench/minimal-worker.mjs: bare Hono + jose + one D1 query; same migrations and user; accepts the API's tokens)`,
  );
  console.log(
    `load:    autocannon ${v.autocannon}, ${settings.connections} connections, ${settings.warmup} s warm-up + ${settings.duration} s measured per scenario and target, in ${settings.rounds} interleaved rounds; ` +
      `${availableParallelism()} CPUs, Node ${process.version}`,
  );
  console.log("");

  const rows = [];
  for (const scenario of selected) {
    const row = { name: scenario.name, failures: [] };
    rows.push(row);
    const fail = (label, target, error) => {
      const failure = `${label}: ${error instanceof Error ? error.message : error}`;
      row.failures.push(failure);
      console.error(`  ✗ ${failure}`);
      printRecentLogs(target);
    };
    const names = scenario.targets ?? ["api", "bare", "minimal"];
    for (const targetName of names) if (!targets[targetName]) throw new Error(`scenario "${scenario.name}" names unknown target "${targetName}"`);
    if (!isLoadScenario(scenario)) {
      // Fan-out, flood and import scenarios drive their own clients, one target after the other.
      for (const targetName of names) {
        const label = `${scenario.name} [${targetName}]`;
        try {
          row[targetName] = await measure(scenario, targets[targetName], label);
        } catch (error) {
          fail(label, targets[targetName], error);
        }
      }
      continue;
    }
    // Load scenarios: each target set up, checked and warmed, then measured in BENCH_ROUNDS
    // slices taken in turn (api, bare, minimal, api, …), so a drift in the machine's load during
    // the scenario falls on every target alike instead of on whichever ran last.
    const prepared = new Map();
    for (const targetName of names) {
      const label = `${scenario.name} [${targetName}]`;
      try {
        prepared.set(targetName, { label, ...(await prepare(scenario, targets[targetName], label)), runs: [] });
      } catch (error) {
        fail(label, targets[targetName], error);
      }
    }
    for (let round = 0; round < settings.rounds; round++) {
      for (const [targetName, p] of prepared) {
        if (p.failed) continue;
        try {
          p.runs.push(await load({ ...p.load, connections: settings.connections, duration: settings.duration / settings.rounds }));
        } catch (error) {
          p.failed = true;
          fail(p.label, targets[targetName], error);
        }
      }
    }
    for (const [targetName, p] of prepared) {
      if (p.failed) continue;
      const run = mergeRuns(p.runs);
      const problem = failureOf(run);
      const { d1 } = p;
      const rounds = run.rounds.length > 1 ? `   rounds ${run.rounds.map((r) => r.toFixed(0)).join("/")}` : "";
      console.log(
        `  ${p.label.padEnd(42)} ${run.rps.toFixed(1).padStart(9)} req/s   p50 ${run.p50.toFixed(2).padStart(8)} ms   p99 ${run.p99.toFixed(2).padStart(8)} ms${d1.queries !== null || d1.waits !== null ? `   D1 ${d1.queries ?? "—"} q / ${d1.waits ?? "—"} w` : ""}${rounds}${problem ? `   ✗ ${problem}` : ""}`,
      );
      if (problem) fail(p.label, targets[targetName], problem);
      else row[targetName] = { ...run, d1 };
    }
  }

  if (rows.length > 0) {
    console.log("");
    console.log(renderTable(rows));
    console.log("");
    console.log("bare/api    = bare req/s ÷ api req/s: how many bare Hono requests (fixed JSON, no work) one API request costs.");
    console.log("minimal/api = minimal req/s ÷ api req/s: what Floorline's layers cost on top of the work the request cannot avoid");
    console.log("              (jose JWT verification + one D1 query, or for login one lookup + PBKDF2 + a JWT). 1.00× = the layers are free.");
    console.log("D1 queries / D1 waits: the API's Server-Timing d1q / d1w on the checked request (— when it sends none).");
    console.log("");
    console.log(renderIssue20(rows, cold));
    console.log("");
    console.log("checks:");
    console.log(renderChecks(rows));
  }
  await printDocumentGoals(rows, settings.only);

  const failures = rows.flatMap((r) => r.failures);
  // Socket.IO fan-out (issue 16): the same API and bare workers, after the autocannon scenarios.
  if (socketio) {
    try {
      const sio = await socketioFanout({ apiUrl: targets.api.url, bareUrl: targets.bare.url, adminToken: await login(targets.api.url) });
      failures.push(...sio.failures);
    } catch (error) {
      failures.push(`Socket.IO fan-out: ${error instanceof Error ? error.message : error}`);
      printRecentLogs(targets.api);
    }
  }
  if (failures.length) {
    console.error(`\n✗ ${failures.length} run(s) failed; a benchmark whose requests fail is not a measurement:\n  ${failures.join("\n  ")}`);
    return 1;
  }
  console.log("\n✓ every request answered 2xx");
  return 0;
}

/**
 * Starts one worker and keeps the last warnings/errors it logged, for failure reports, and the
 * sales imports' stage lines (`sales upload stages`, `sales import stages`), printed after each
 * import scenario.
 */
async function startTarget(targetName, options) {
  const recent = [];
  const stages = [];
  const onLog = (entry) => {
    if (entry.message.includes('"sales upload stages"') || entry.message.includes('"sales import stages"')) {
      try {
        if (stages.length < 100) stages.push(JSON.parse(entry.message));
      } catch {
        // not one of ours
      }
      return;
    }
    if (entry.level !== "warn" && entry.level !== "error") return;
    recent.push(`${entry.level}: ${entry.message}`);
    if (recent.length > 5) recent.shift();
  };
  const server = await serve({ ...options, stateDir: join(tmp, `state-${targetName}`), onLog });
  servers.push(server);
  return { name: targetName, ...server, recent, stages };
}

function printRecentLogs(target) {
  if (!target.recent.length) return;
  console.error(`    last warnings/errors logged by the ${target.name} worker:`);
  for (const line of target.recent) console.error(`      ${line.length > 400 ? `${line.slice(0, 400)}…` : line}`);
}

/** A scenario's setup on one target, and the request it then sends there. */
async function requestFor(scenario, target) {
  const ctx = {
    target: target.name,
    url: target.url,
    mf: target.mf,
    login: () => login(target.url),
  };
  const extra = (await scenario.setup?.(ctx)) ?? {};
  const body = extra.body ?? scenario.body;
  const request = {
    url: `${target.url}${extra.path ?? scenario.path}`,
    method: scenario.method ?? "GET",
    headers: { ...scenario.headers, ...extra.headers },
    body: body === undefined || typeof body === "string" ? body : JSON.stringify(body),
  };
  return { request, extra };
}

/** Runs a scenario that drives its own clients (fan-out, flood, imports) against one target. */
async function measure(scenario, target, label) {
  const { request, extra } = await requestFor(scenario, target);
  if (scenario.fanout) {
    const post = async () => {
      const res = await fetch(request.url, { method: request.method, headers: request.headers, body: request.body });
      const text = await res.text();
      if (res.status !== 201) throw new Error(`${request.method} ${request.url} answered ${res.status}: ${text.slice(0, 300)}`);
      return JSON.parse(text).id;
    };
    const wsBase = target.url.replace(/^http/, "ws");
    const wsUrl = typeof extra.ws === "function" ? (i) => `${wsBase}${extra.ws(i)}` : `${wsBase}${extra.ws}`;
    const run = await fanout({ wsUrl, post, ...scenario.fanout });
    console.log(
      `  ${label.padEnd(42)} ${run.rps.toFixed(1).padStart(9)} msg/s   p50 ${run.p50.toFixed(2).padStart(8)} ms   p99 ${run.p99.toFixed(2).padStart(8)} ms (POST → last client)`,
    );
    return run;
  }
  if (scenario.flood) {
    const post = async (description) => {
      const body = JSON.stringify({ ...JSON.parse(request.body), description });
      const res = await fetch(request.url, { method: request.method, headers: request.headers, body });
      const text = await res.text();
      if (res.status !== 201) throw new Error(`${request.method} ${request.url} answered ${res.status}: ${text.slice(0, 300)}`);
      return JSON.parse(text).id;
    };
    const run = await floodLatency({ wsUrl: `${target.url.replace(/^http/, "ws")}${extra.ws}`, post, ...scenario.flood });
    const ms = (v) => v.toFixed(2).padStart(8);
    console.log(`  ${label.padEnd(42)} quiet   p50 ${ms(run.quiet.p50)} ms   p99 ${ms(run.quiet.p99)} ms (POST → watcher)`);
    console.log(`  ${"".padEnd(42)} flooded p50 ${ms(run.p50)} ms   p99 ${ms(run.p99)} ms`);
    const closes = Object.entries(run.flood.closes)
      .map(([code, n]) => `${n}× ${code}`)
      .join(", ");
    console.log(
      `  ${"".padEnd(42)} p99 flooded ÷ quiet = ${run.ratio.toFixed(2)}× (target ≤ 1.50×: ${run.ratio <= 1.5 ? "met" : "NOT met"}); ` +
        `flooder: ${run.flood.bursts} bursts of 300 subscribes, closed ${closes || "never"}, received ${(run.flood.bytes / 1e6).toFixed(2)} MB`,
    );
    return run;
  }
  if (scenario.legacyImport) {
    const run = await legacyImport({ url: target.url, headers: request.headers, ...scenario.legacyImport });
    console.log(
      `  ${label.padEnd(42)} ${run.rps.toFixed(0).padStart(9)} rows/s (${run.rows} rows in ${(run.p50 / 1000).toFixed(1)} s); ` +
        `anchor COPY Postgres → Postgres ${run.anchor.rps.toFixed(0)} rows/s (${run.anchor.rows} rows in ${(run.anchor.ms / 1000).toFixed(2)} s): ` +
        `import = ${((run.rps / run.anchor.rps) * 100).toFixed(1)}% of COPY`,
    );
    return run;
  }
  if (scenario.csvImport) {
    target.stages.length = 0;
    const run = await csvImport({ url: target.url, headers: request.headers, ...scenario.csvImport });
    // Where each upload's time went (ms; see bench/salesdata.mjs), as the API and the import worker logged it.
    for (const entry of target.stages) console.log(`    ${stageLine(entry)}`);
    const cpu = run.cpuSeconds.map((s) => s.toFixed(2)).join(", ");
    console.log(
      `  ${label.padEnd(42)} ${run.rps.toFixed(0).padStart(9)} rows/s p50 ${run.p50.toFixed(0).padStart(8)} ms   p99 ${run.p99.toFixed(0).padStart(8)} ms per upload; workerd CPU per upload ${cpu} s`,
    );
    return run;
  }
  throw new Error(`${label}: not a fan-out, flood or import scenario`);
}

/** Whether a scenario is an autocannon load (not a fan-out, flood or import with its own clients). */
function isLoadScenario(scenario) {
  return !scenario.fanout && !scenario.flood && !scenario.legacyImport && !scenario.csvImport;
}

/**
 * Readies one target for a load scenario: its setup, a single checked request (so a broken route
 * fails with its status and body, not just a count; its Server-Timing gives the D1 round trips),
 * and the warm-up. Returns the load's request and the round trips.
 */
async function prepare(scenario, target, label) {
  const { request, extra } = await requestFor(scenario, target);
  const probe = await fetch(request.url, { method: request.method, headers: request.headers, body: request.body });
  const probeText = await probe.text();
  if (probe.status < 200 || probe.status > 299) throw new Error(`${request.method} ${request.url} answered ${probe.status}: ${probeText.slice(0, 300)}`);
  // Round trips are counted on this one request; the load does not read headers.
  const d1 = d1RoundTrips(probe.headers);
  const loadRequest = { ...request, nextPath: extra.nextPath, nextBody: extra.nextBody };
  if (settings.warmup > 0) {
    const warm = await load({ ...loadRequest, connections: settings.connections, duration: settings.warmup });
    const problem = failureOf(warm);
    if (problem) throw new Error(`during warm-up of ${label}: ${problem}`);
  }
  return { load: loadRequest, d1 };
}

/**
 * The minimal worker hard-codes the API's JWT issuer and audience and gets its secret: a token
 * the API issued must open the minimal worker's /me, or the two would not do the same work.
 */
async function checkTokenInterop(api, minimal) {
  const res = await fetch(`${minimal.url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${await login(api.url)}` } });
  const text = await res.text();
  if (!res.ok)
    throw new Error(
      `the minimal worker refused an access token issued by the API (${res.status}: ${text.slice(0, 200)}); check bench/minimal-worker.mjs against src/lib/auth.ts`,
    );
}

/** Logs BENCH_USER in on a target and returns the access token (the bare worker returns a fixed one). */
async function login(baseUrl) {
  const res = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: BENCH_USER.username, password: BENCH_USER.password }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`login on ${baseUrl} answered ${res.status}: ${text.slice(0, 300)}`);
  const token = JSON.parse(text).access_token;
  if (typeof token !== "string") throw new Error(`login on ${baseUrl} returned no access_token`);
  return token;
}

function positiveNumber(name, fallback, { integer = false, allowZero = false } = {}) {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = Number(raw);
  const ok = Number.isFinite(value) && (allowZero ? value >= 0 : value > 0) && (!integer || Number.isInteger(value));
  if (!ok) {
    console.error(`✗ ${name}=${raw}: expected a ${integer ? "whole " : ""}number ${allowZero ? "≥ 0" : "> 0"}`);
    process.exit(2);
  }
  return value;
}
