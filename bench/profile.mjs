// `npm run bench:profile`: where an authenticated read spends its CPU, layer by layer (issue 20).
//
// Bundles the API (and the minimal worker) with `wrangler deploy --dry-run` exactly as
// bench/run.mjs does, but unminified and with a source map, serves each from its own Miniflare
// (workerd) with workerd's V8 inspector on, seeds them through the same scenario `setup()`s, and
// for each read scenario records a V8 CPU profile of the worker's isolate while autocannon loads
// it. Each sample's JavaScript frame is mapped back through the source map to its source file
// and counted in a layer (guard, route()/auth, jose, drizzle, zod, Hono, logging, deps, the
// module's own code, JSON, GC …). Prints, per scenario, the isolate's CPU per request by layer for
// the API beside the minimal worker's total, and the top functions by self time.
//
// A builtin without a script (JSON.stringify, a RegExp, a Map lookup) is charged to the nearest
// JavaScript frame that called it, except JSON.parse/stringify, which form their own layer
// ("serialisation"). "(program)" is V8/workerd native work outside any JavaScript frame
// (request parsing, the D1 binding's C++ side, promise plumbing).
//
// Before the profiled load, an unprofiled one of the same length measures the workerd process's
// CPU per request (/proc/<pid>/stat): minimal/api of that is a cost ratio that contention on a
// shared machine moves far less than req/s.
//
// Settings: BENCH_PROFILE_SECONDS (default 6) of load per scenario and target,
// BENCH_CONNECTIONS (default 10), BENCH_SCENARIOS (substrings; default the issue-20 reads),
// BENCH_PROFILE_TOP (functions listed per scenario, default 12).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { attribute, cdp, freePort, sourceMapsOf } from "./inspect.mjs";
import { load } from "./load.mjs";
import { BENCH_USER, scenarios } from "./scenarios.mjs";
import { apiBindings, applyMigrations, bundle, insertUser, readApiConfig, root, serve, userRow, writeBaselineConfig } from "./workers.mjs";

export const READ_SCENARIOS = [
  "GET /api/v1/auth/me",
  "GET /api/equipment (CCbackend, 200 items)",
  "GET /api/v1/production/lines",
  "GET /api/v1/equipment?limit=50",
  "GET /api/v1/attendance/events?limit=50 (the log)",
  "GET /api/parts/?limit=50",
];

const seconds = Number(process.env.BENCH_PROFILE_SECONDS ?? 6);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);
const top = Number(process.env.BENCH_PROFILE_TOP ?? 12);
const only = (process.env.BENCH_SCENARIOS ?? "")
  .split(",")
  .map((s) => s.trim())
  .filter(Boolean);

const API_VARS = {
  JWT_SECRET: "bench-only-jwt-secret-0123456789abcdef-0123456789",
  ENVIRONMENT: "production",
  LOGIN_RATE_LIMIT_PER_USERNAME: "100000000",
};

/**
 * The workerd process serving a target (found by its inspector port on the command line), for
 * its CPU time: utime + stime from /proc, in ms. null where /proc is not there.
 */
function workerdPid(inspectorPort) {
  try {
    for (const pid of readdirSync("/proc")) {
      if (!/^\d+$/.test(pid)) continue;
      let cmd;
      try {
        cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      } catch {
        continue;
      }
      if (cmd.includes("workerd") && cmd.includes(`--inspector-addr=127.0.0.1:${inspectorPort}`)) return pid;
    }
  } catch {}
  return null;
}
const TICK_MS = 10; // USER_HZ = 100 on Linux
function cpuMs(pid) {
  if (!pid) return null;
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

async function profileRun(target, request, label) {
  const inspector = await cdp(`ws://127.0.0.1:${target.inspectorPort}/core:user:${target.workerName}`);
  try {
    await inspector.send("Profiler.enable");
    await inspector.send("Profiler.setSamplingInterval", { interval: 100 });
    // Warm-up (JIT, caches), unprofiled.
    await load({ ...request, connections, duration: 2 });
    // The whole workerd process's CPU per request (the worker, its local D1, Miniflare's hops),
    // unprofiled: unlike req/s, it hardly moves with what else the machine runs.
    const pid = workerdPid(target.inspectorPort);
    const cpuBefore = cpuMs(pid);
    const measured = await load({ ...request, connections, duration: seconds });
    const cpuAfter = cpuMs(pid);
    const cpuPerRequest = cpuBefore === null || cpuAfter === null ? null : (cpuAfter - cpuBefore) / measured.requests;
    await inspector.send("Profiler.start");
    const run = await load({ ...request, connections, duration: seconds });
    const { profile } = await inspector.send("Profiler.stop");
    if (run.non2xx || run.errors || measured.non2xx || measured.errors) throw new Error(`${label}: non-2xx or errors under load`);
    return { run, cpuPerRequest, unprofiledRps: measured.rps, ...attribute(profile, target.maps) };
  } finally {
    inspector.close();
  }
}

async function login(url) {
  const res = await fetch(`${url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: BENCH_USER.username, password: BENCH_USER.password }),
  });
  if (!res.ok) throw new Error(`login on ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()).access_token;
}

async function main() {
  const wanted = only.length ? READ_SCENARIOS.filter((n) => only.some((o) => n.includes(o))) : READ_SCENARIOS;
  const selected = scenarios.filter((s) => wanted.includes(s.name));
  const tmp = mkdtempSync(join(tmpdir(), "floorline-profile-"));
  const servers = [];
  try {
    const apiConfig = readApiConfig();
    const args = ["--minify=false", "--upload-source-maps=true"];
    console.log("• bundling the API and the minimal worker (unminified, with source maps) …");
    const apiBundle = bundle(join(root, "wrangler.toml"), join(tmp, "api"), args);
    const minimalBundle = bundle(
      writeBaselineConfig(apiConfig, tmp, { name: "floorline-bench-minimal", file: "minimal-worker.mjs" }),
      join(tmp, "minimal"),
      args,
    );
    const runtime = { compatibilityDate: apiConfig.compatibility_date, compatibilityFlags: apiConfig.compatibility_flags ?? [] };
    const start = async (targetName, workerName, built, options) => {
      const inspectorPort = await freePort();
      const server = await serve({ name: workerName, bundle: built, ...options, ...runtime, stateDir: join(tmp, `state-${targetName}`), inspectorPort });
      servers.push(server);
      return { name: targetName, workerName, inspectorPort, maps: sourceMapsOf(built.dir), ...server };
    };
    const { env, exports } = apiBindings(apiConfig, apiConfig.name, API_VARS);
    const api = await start("api", apiConfig.name, apiBundle, { env, exports });
    const minimalEnv = { DB: { type: "d1", id: "floorline-bench-minimal" }, JWT_SECRET: { type: "text", value: API_VARS.JWT_SECRET } };
    const minimal = await start("minimal", "floorline-bench-minimal", minimalBundle, { env: minimalEnv });
    const user = userRow(BENCH_USER);
    for (const t of [api, minimal]) {
      await applyMigrations(t.mf, "DB", join(root, "migrations"));
      await insertUser(t.mf, "DB", user);
    }
    console.log(`• ${seconds} s of load per scenario and target, ${connections} connections, V8 sampling every 100 µs\n`);
    for (const scenario of selected) {
      const results = {};
      for (const target of [api, minimal]) {
        const ctx = { target: target.name, url: target.url, mf: target.mf, login: () => login(target.url) };
        const extra = (await scenario.setup?.(ctx)) ?? {};
        const request = {
          url: `${target.url}${extra.path ?? scenario.path}`,
          method: scenario.method ?? "GET",
          headers: { ...scenario.headers, ...extra.headers },
        };
        results[target.name] = await profileRun(target, request, `${scenario.name} [${target.name}]`);
      }
      report(scenario.name, results);
    }
    return 0;
  } finally {
    await Promise.allSettled(servers.map((s) => s.mf.dispose()));
    rmSync(tmp, { recursive: true, force: true });
  }
}

const IDLE = new Set(["(idle)", "(root)"]);
/** Prints one scenario: isolate CPU ms per request by layer, API beside the minimal worker's total. */
function report(name, { api, minimal }) {
  const perRequest = (result, ms) => (ms * 1000) / result.run.requests; // µs
  const busy = (result) => [...result.layers].filter(([k]) => !IDLE.has(k)).reduce((s, [, v]) => s + v, 0);
  const apiBusy = perRequest(api, busy(api));
  const minimalBusy = perRequest(minimal, busy(minimal));
  console.log(`${name}`);
  if (api.cpuPerRequest !== null && minimal.cpuPerRequest !== null) {
    console.log(
      `  workerd CPU per request (unprofiled run): api ${api.cpuPerRequest.toFixed(2)} ms at ${api.unprofiledRps.toFixed(0)} req/s, minimal ${minimal.cpuPerRequest.toFixed(2)} ms at ${minimal.unprofiledRps.toFixed(0)} req/s; minimal/api ${(minimal.cpuPerRequest / api.cpuPerRequest).toFixed(2)}×`,
    );
  }
  console.log(
    `  api ${api.run.rps.toFixed(0)} req/s, isolate busy ${apiBusy.toFixed(0)} µs/request; minimal ${minimal.run.rps.toFixed(0)} req/s, ${minimalBusy.toFixed(0)} µs/request (same run)`,
  );
  const rows = [...api.layers].filter(([k]) => !IDLE.has(k)).sort((a, b) => b[1] - a[1]);
  for (const [layer, ms] of rows) {
    const us = perRequest(api, ms);
    if (us < 1) continue;
    console.log(`    ${layer.padEnd(42)} ${us.toFixed(0).padStart(6)} µs/req  ${((100 * ms) / busy(api)).toFixed(1).padStart(5)} %`);
  }
  console.log("  top functions (api, self time):");
  const fns = [...api.functions].filter(([k]) => !IDLE.has(k)).sort((a, b) => b[1] - a[1]);
  for (const [fn, ms] of fns.slice(0, top)) console.log(`    ${perRequest(api, ms).toFixed(1).padStart(7)} µs  ${fn}`);
  const minRows = [...minimal.layers].filter(([k]) => !IDLE.has(k)).sort((a, b) => b[1] - a[1]);
  console.log(`  minimal by layer: ${minRows.map(([k, ms]) => `${k} ${perRequest(minimal, ms).toFixed(0)}`).join(", ")} (µs/req)`);
  console.log("");
}

let code = 1;
try {
  code = await main();
} catch (error) {
  console.error(`✗ profile failed: ${error instanceof Error ? (error.stack ?? error.message) : error}`);
}
process.exit(code);
