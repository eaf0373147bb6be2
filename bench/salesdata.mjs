// Sales CSV import (RM365): rows per second into D1 through `POST /api/v1/salesdata/{region}/upload`.
//
// Not an autocannon run: each upload is one generated file of `rows` order lines (its own order
// numbers, so no upload is a duplicate of another), sent multipart as a client would, one after
// another, `uploads` times, after `warmups` untimed ones (printed, not counted). A file over the
// API's background threshold (4 MiB: the 100,000-line file) answers 202 and runs as a queue job: its time runs from the upload's start until
// `GET /api/v1/salesdata/imports/{id}` reads `completed` (polled every 100 ms); a small file (the
// 10,000-line one) answers 200 with the import done. Reported as a load() result so report.mjs
// can print it:
//   rps      rows imported per second over all uploads (Σ rows ÷ Σ upload-to-completed time)
//   p50/p99  one upload's time (request sent → answer, or → job completed), ms
// Before each upload it waits (up to 20 s) until the workerd processes are idle (< 10 % of a
// core over 0.5 s; `settle`), so work left running by earlier scenarios is not charged to the
// import, and prints what it saw, with a machine probe (`machineProbe`: the same fixed JavaScript
// workload timed in Node now and at the bench's start). And, per upload, the CPU seconds every workerd process under
// this bench spent meanwhile (read from /proc; includes local D1's SQLite work, which runs in the
// same process locally, so it is an upper bound of the Worker's own CPU time).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

const HEADER =
  "order_number,created_at,sku,name,qty,price,status,currency,grand_total,customer_email,customer_full_name,billing_address,shipping_address,customer_group_code";

/**
 * A UK export of `rows` lines, two lines per order, realistic widths (~200 bytes a line). As
 * Magento exports them (`dates: "in order"`, the default): orders in date order over February,
 * an order's lines sharing its `created_at`. `dates: "shuffled"` gives every line its own day
 * (1 + i % 28): each lands at a different place in `sales_rows`' (region, ordered_at) index, the
 * worst case for it (the bench's only file before the seventh round).
 */
export function generateCsv(rows, tag, { dates = "in order" } = {}) {
  const lines = [HEADER];
  const orders = Math.max(1, Math.ceil(rows / 2));
  const month = Date.UTC(2026, 1, 1);
  const spacing = Math.floor((28 * 86_400_000) / orders);
  for (let i = 0; i < rows; i++) {
    const k = Math.floor(i / 2);
    const order = `${tag}-${String(k).padStart(7, "0")}`;
    const created =
      dates === "shuffled"
        ? `2026-02-${String(1 + (i % 28)).padStart(2, "0")} 10:${String(i % 60).padStart(2, "0")}:00`
        : new Date(month + k * spacing).toISOString().slice(0, 19).replace("T", " ");
    lines.push(
      `${order},${created},SKU-${i % 2 === 0 ? "A" : "B"}-${i % 500},"Hex bolt M${6 + (i % 6)}, zinc",${1 + (i % 5)},${(2.5 + (i % 40)).toFixed(2)},complete,GBP,${(20 + (i % 300)).toFixed(2)},customer${i % 997}@example.com,Customer ${i % 997},"${i % 90} High Street, Leeds LS1 4AP","${i % 90} High Street, Leeds LS1 4AP",General`,
    );
  }
  return `${lines.join("\r\n")}\r\n`;
}

/** CPU seconds (user + system) of every workerd process that is a child of this one. */
function workerdCpuSeconds() {
  let out = "";
  try {
    out = execFileSync("ps", ["-o", "pid=,comm=", "--ppid", String(process.pid)], { encoding: "utf8" });
  } catch {
    return Number.NaN;
  }
  let ticks = 0;
  for (const line of out.trim().split("\n")) {
    const [pid, comm] = line.trim().split(/\s+/);
    if (!comm?.includes("workerd")) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // The process ended meanwhile.
    }
  }
  return ticks / 100;
}

/** One `sales upload stages` / `sales import stages` log entry (parsed JSON) as a line. */
export function stageLine(entry) {
  const { level: _l, time: _t, msg, importId, ...fields } = entry;
  const values = Object.entries(fields).map(([k, v]) => `${k} ${typeof v === "number" ? v.toLocaleString("en") : v}`);
  return `${msg} ${importId?.slice(0, 8) ?? ""}: ${values.join(", ")}`;
}

/**
 * `text` as a multipart/form-data body with one `file` field, encoded before the clock starts (as
 * a browser sends a file it has on disk): undici's FormData encoder, run while the upload is
 * timed, made the bench's own process part of what was measured.
 */
export function multipartBody(text, filename) {
  const boundary = `----floorline-bench-${crypto.randomUUID()}`;
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: text/csv\r\n\r\n`;
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    body: Buffer.concat([Buffer.from(head), Buffer.from(text), Buffer.from(`\r\n--${boundary}--\r\n`)]),
  };
}

const PROBE_TEXT = generateCsv(20_000, "PROBE");
/**
 * The machine's speed for this kind of work, in Node (not workerd): the fastest of five runs of a
 * fixed CSV-like workload (split, regex, number parse, Map), ms. Taken at the bench's start and
 * before each upload: a probe slower than at the start means the machine itself runs JavaScript
 * slower now (throttling, a busy sibling hyperthread), whatever Floorline does.
 */
export function machineProbe() {
  let best = Number.POSITIVE_INFINITY;
  for (let n = 0; n < 5; n++) {
    const t0 = performance.now();
    const keys = new Map();
    let sum = 0;
    for (const line of PROBE_TEXT.split("\r\n")) {
      const fields = line.split(",");
      for (const f of fields) if (/^[-+]?\d+(?:\.\d+)?$/.test(f)) sum += Number(f);
      keys.set(`${fields[0]}:${fields[2]}`, fields.length);
    }
    best = Math.min(best, performance.now() - t0);
    if (sum < 0 || keys.size === 0) throw new Error("probe");
  }
  return best;
}
const startProbe = machineProbe();

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];

/**
 * Waits (at most `maxMs`) until the workerd processes under this bench are idle: less than
 * `threshold` of a core over a 500 ms window. Earlier scenarios can leave work running in the
 * same process (jobs, alarms, a collector), which an import would otherwise be charged for.
 * Returns the time waited and the last window's CPU share.
 */
export async function settle({ maxMs = 20_000, threshold = 0.1 } = {}) {
  const started = performance.now();
  let share = Number.NaN;
  while (performance.now() - started < maxMs) {
    const cpu0 = workerdCpuSeconds();
    const t0 = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 500));
    share = (workerdCpuSeconds() - cpu0) / ((performance.now() - t0) / 1000);
    if (!(share >= threshold)) break;
  }
  return { waitedMs: performance.now() - started, share };
}

/**
 * Runs `warmups` untimed imports (printed, not counted), then `uploads` timed imports, of `rows`
 * lines each against `url`, one at a time (`dates`: see `generateCsv`).
 */
export async function csvImport({ url, headers, rows, uploads, warmups = 0, dates = "in order" }) {
  const times = [];
  const cpu = [];
  const statusCodes = {};
  /** Per queued upload: when the 202 came back, and the job's attempts and chunks. */
  const jobs = [];
  let imported = 0;
  let non2xx = 0;
  for (let n = -warmups; n < uploads; n++) {
    const warmup = n < 0;
    const text = generateCsv(rows, `B${crypto.randomUUID().slice(0, 8)}`, { dates });
    const upload = multipartBody(text, `bench-${rows}.csv`);
    const quiet = await settle();
    const probe = machineProbe();
    console.log(
      `    before ${warmup ? "the warm-up upload" : `upload ${n + 1}`}: workerd at ${(quiet.share * 100).toFixed(0)} % of a core over 0.5 s` +
        (quiet.waitedMs > 600 ? ` after waiting ${(quiet.waitedMs / 1000).toFixed(1)} s for it to go idle` : "") +
        `; machine probe ${probe.toFixed(1)} ms (${startProbe.toFixed(1)} ms at the bench's start)`,
    );
    const cpu0 = workerdCpuSeconds();
    const started = performance.now();
    const res = await fetch(`${url}/api/v1/salesdata/uk/upload`, {
      method: "POST",
      headers: { ...headers, "content-type": upload.contentType },
      body: upload.body,
    });
    const body = await res.text();
    statusCodes[res.status] = (statusCodes[res.status] ?? 0) + 1;
    if (res.status !== 200 && res.status !== 202) {
      non2xx++;
      throw new Error(`upload of ${rows} rows answered ${res.status}: ${body.slice(0, 300)}`);
    }
    let result = JSON.parse(body);
    const answered = performance.now() - started;
    const answeredStatus = result.status;
    if (res.status === 202) {
      // The queue job: poll its record until it ends (bounded: 10 minutes).
      const deadline = Date.now() + 600_000;
      /** When the poll first saw each status (the pass ends at `importing`; the commit at `completed`). */
      const seen = { [result.status]: answered };
      while (["queued", "validating", "importing"].includes(result.status)) {
        if (Date.now() > deadline) throw new Error(`import ${result.id} still ${result.status} after 10 minutes`);
        await new Promise((resolve) => setTimeout(resolve, 100));
        const poll = await fetch(`${url}/api/v1/salesdata/imports/${result.id}`, { headers });
        if (poll.status !== 200) throw new Error(`GET import ${result.id} answered ${poll.status}`);
        result = await poll.json();
        seen[result.status] ??= performance.now() - started;
      }
      if (result.status !== "completed") throw new Error(`import of ${rows} rows ended ${result.status}: ${result.message}`);
      if (!warmup) jobs.push({ answeredMs: answered, attempts: result.attempts, chunks: result.chunks_done });
      console.log(
        `    queued upload of ${rows.toLocaleString("en")} rows: 202 (${answeredStatus}) after ${answered.toFixed(0)} ms, completed after ${(performance.now() - started).toFixed(0)} ms ` +
          `(${result.chunks_done} chunks, attempt ${result.attempts}; first seen validating ${seen.validating?.toFixed(0) ?? "—"} ms, ` +
          `importing ${seen.importing?.toFixed(0) ?? "—"} ms; the record's duration ${result.duration_ms} ms)`,
      );
    }
    if (result.rows_imported !== rows) throw new Error(`upload of ${rows} rows imported ${result.rows_imported}`);
    if (warmup) {
      const ms = performance.now() - started;
      console.log(
        `    warm-up upload of ${rows.toLocaleString("en")} rows: ${ms.toFixed(0)} ms, workerd CPU ${(workerdCpuSeconds() - cpu0).toFixed(2)} s (not counted)`,
      );
      continue;
    }
    times.push(performance.now() - started);
    cpu.push(workerdCpuSeconds() - cpu0);
    imported += result.rows_imported;
  }
  const sorted = [...times].sort((a, b) => a - b);
  const seconds = times.reduce((a, b) => a + b, 0) / 1000;
  return {
    rps: imported / seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    requests: uploads,
    duration: seconds,
    statusCodes,
    non2xx,
    errors: 0,
    timeouts: 0,
    cpuSeconds: cpu,
    jobs,
    bytes: Buffer.byteLength(generateCsv(1, "X")) * rows,
  };
}

// ---------------------------------------------------------------------------------------------
// `node bench/salesdata.mjs [rows] [uploads]` (default 100000 2): where one upload's time goes.
//
// Serves the API's deploy bundle with the import worker beside it (as bench/run.mjs does), runs
// `csvImport`, and prints, per upload, the stage timings the API and the job log (`sales upload
// stages`: receive = body reads, multipart parse, SHA-256, UTF-8 check, R2 writes, pending
// records; record; enqueue — `sales import stages`: claim, R2 open, parse, check + SQL, staging
// batches, commit) beside the client's own times.
//
// BENCH_SALES_DATES=shuffled uploads the worst case for the date index (see `generateCsv`).
// With BENCH_SALES_PROFILE=1 both workers are bundled unminified with source maps, served with
// workerd's V8 inspector on, and each isolate (the API's, the import worker's) is CPU-profiled
// across the uploads: printed per upload are each isolate's busy time, its garbage collection and
// its top functions by self time (BENCH_PROFILE_TOP, default 25), mapped back to their sources.

async function stages() {
  const { mkdtempSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const { BENCH_USER } = await import("./scenarios.mjs");
  const { apiBindings, applyMigrations, bundle, importWorker, insertUser, readApiConfig, root, serve, userRow } = await import("./workers.mjs");
  const { attribute, cdp, freePort, sourceMapsOf } = await import("./inspect.mjs");
  const profiling = process.env.BENCH_SALES_PROFILE === "1";
  const bundleArgs = profiling ? ["--minify=false", "--upload-source-maps=true"] : [];
  const rows = Number(process.argv[2] ?? 100_000);
  const uploads = Number(process.argv[3] ?? 2);
  const tmp = mkdtempSync(join(tmpdir(), "floorline-bench-sales-"));
  const logged = [];
  let server;
  try {
    const config = readApiConfig();
    const vars = { JWT_SECRET: "bench-only-jwt-secret-0123456789abcdef-0123456789", ENVIRONMENT: "production", LOGIN_RATE_LIMIT_PER_USERNAME: "100000000" };
    const { env, exports, triggers } = apiBindings(config, config.name, vars);
    console.log(`• bundling the API and the import worker${profiling ? " (unminified, with source maps, to profile)" : ""} …`);
    const apiBundle = bundle(join(root, "wrangler.toml"), join(tmp, "api"), bundleArgs);
    const importer = importWorker(join(tmp, "import"), { bundleArgs });
    const inspectorPort = profiling ? await freePort() : undefined;
    server = await serve({
      name: config.name,
      bundle: apiBundle,
      env,
      exports,
      triggers,
      others: [importer],
      inspectorPort,
      compatibilityDate: config.compatibility_date,
      compatibilityFlags: config.compatibility_flags ?? [],
      stateDir: join(tmp, "state"),
      onLog: (entry) => {
        if (!entry.message.includes("stages")) return;
        try {
          logged.push(JSON.parse(entry.message));
        } catch {
          // not one of ours
        }
      },
    });
    await applyMigrations(server.mf, "DB", join(root, "migrations"));
    await insertUser(server.mf, "DB", userRow(BENCH_USER));
    const res = await fetch(`${server.url}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: BENCH_USER.username, password: BENCH_USER.password }),
    });
    const token = (await res.json()).access_token;
    const isolates = profiling
      ? await Promise.all(
          [
            [config.name, apiBundle.dir],
            [importer.name, importer.bundle.dir],
          ].map(async ([name, dir]) => ({ name, maps: sourceMapsOf(dir), inspector: await cdp(`ws://127.0.0.1:${inspectorPort}/core:user:${name}`) })),
        )
      : [];
    for (const { inspector } of isolates) {
      await inspector.send("Profiler.enable");
      await inspector.send("Profiler.setSamplingInterval", { interval: 200 });
      await inspector.send("Profiler.start");
    }
    const run = await csvImport({
      url: server.url,
      headers: { authorization: `Bearer ${token}` },
      rows,
      uploads,
      dates: process.env.BENCH_SALES_DATES ?? "in order",
    });
    for (const { name, maps, inspector } of isolates) {
      const { profile } = await inspector.send("Profiler.stop");
      inspector.close();
      printProfile(name, attribute(profile, maps), uploads);
    }
    console.log(
      `${rows.toLocaleString("en")} rows × ${uploads}: ${Math.round(run.rps).toLocaleString("en")} rows/s, p50 ${run.p50.toFixed(0)} ms; workerd CPU ${run.cpuSeconds.map((s) => s.toFixed(2)).join(", ")} s`,
    );
    for (const entry of logged) console.log(`  ${stageLine(entry)}`);
  } finally {
    await server?.mf.dispose().catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** One isolate's profile (bench/inspect.mjs `attribute`), per upload: busy time, GC, top functions. */
function printProfile(name, { functions }, uploads) {
  const top = Number(process.env.BENCH_PROFILE_TOP ?? 25);
  const idle = new Set(["(idle)", "(root)"]);
  const busy = [...functions].filter(([k]) => !idle.has(k)).reduce((sum, [, ms]) => sum + ms, 0);
  const perUpload = (ms) => `${(ms / uploads).toFixed(1).padStart(7)} ms`;
  console.log(`  ${name}: busy ${(busy / uploads).toFixed(0)} ms per upload, of which GC ${((functions.get("(garbage collector)") ?? 0) / uploads) | 0} ms`);
  const fns = [...functions].filter(([k]) => !idle.has(k)).sort((a, b) => b[1] - a[1]);
  for (const [fn, ms] of fns.slice(0, top)) console.log(`    ${perUpload(ms)}  ${fn}`);
}

if (process.argv[1] && import.meta.url === (await import("node:url")).pathToFileURL(process.argv[1]).href) await stages();
