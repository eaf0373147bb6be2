// Label jobs inside workerd, beside reportlab: `node bench/labels-workerd.mjs [counts]`
// (default 1000,10000), or the "labels" section of `npm run bench` (`labelsGoal()`).
//
// The documents worker's deploy bundle (`wrangler deploy --dry-run` of workers/documents) runs in
// Miniflare with its D1 (migrated), R2 and queue; a driver worker in the same instance only
// holds the queue producer the message is sent through. Per count: `count` inventory items (distinct values, half with a
// barcode: no XObject is reused) and a queued RM365-sheet label job are inserted into D1, the
// `label_job` message is sent, and the job is awaited in D1. Timed from the worker's claim
// (`started_at`) to its completion (`finished_at`): reading the items, every label laid out,
// the progress writes, the PDF and CSV built and stored in R2, the completing batch. (workerd's
// clock moves on I/O, and both ends are D1 writes, so the two stamps bracket the job.) The wall
// time from send to `completed` (queue delivery and polling included) is printed beside it.
//
// reportlab renders the same sheet in the same run (bench/labels-reportlab.py) when a python3
// with reportlab is found (`python3`, else /usr/bin/python3); otherwise its column says why not.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { applyMigrations, bundle, readApiConfig, root } from "./workers.mjs";

const QUEUE = "floorline-documents";
const TEMPLATE = {
  id: "rm365",
  name: "RM365 sheet",
  page_width_mm: 103,
  page_height_mm: 200,
  label_width_mm: 69,
  label_height_mm: 27,
  columns: 1,
  rows: 7,
  margin_left_mm: 17,
  margin_top_mm: 5.5,
  gap_x_mm: 0,
  gap_y_mm: 0,
  symbology: "code128",
  fields: ["name", "sku", "line_date"],
};

// Holds the queue producer binding the bench sends through (Miniflare's getQueueProducer).
const DRIVER = `export default { fetch: () => new Response("bench driver") };`;

/** reportlab's labels/s for each count, or the reason there is no figure. */
export function reportlab(counts) {
  const script = join(root, "bench", "labels-reportlab.py");
  let lastError = "";
  for (const python of ["python3", "/usr/bin/python3"]) {
    try {
      execFileSync(python, ["-c", "import reportlab"], { stdio: "ignore" });
    } catch (error) {
      lastError = `${python}: ${error.code === "ENOENT" ? "not found" : "no reportlab module"}`;
      continue;
    }
    const out = execFileSync(python, [script, ...counts.map(String)], { encoding: "utf8" });
    const figures = new Map();
    for (const line of out.trim().split("\n")) {
      const r = JSON.parse(line);
      figures.set(r.labels, { rate: r.labels / r.seconds, seconds: r.seconds, bytes: r.bytes });
    }
    return { figures, python };
  }
  return { figures: null, why: `reportlab not available (${lastError}; apt-get install python3-reportlab)` };
}

/** Runs one label job of `count` items in the documents worker; returns its timings. */
async function runJob(mf, count) {
  const db = await mf.getD1Database("DB");
  const tag = crypto.randomUUID().slice(0, 8);
  const ids = [];
  const rows = [];
  for (let i = 0; i < count; i++) {
    const id = `${tag}-${i}`;
    ids.push(id);
    const barcode = i % 2 ? null : `5${String(parseInt(tag, 16) % 10000).padStart(4, "0")}${String(i).padStart(8, "0")}`;
    rows.push([id, `BENCH-${tag}-${String(i).padStart(6, "0")}`, `Hex bolt M${(i % 20) + 3} zinc plated`, barcode]);
  }
  // One statement (one JSON parameter): fewer round trips through Miniflare's D1 proxy.
  await db
    .prepare(
      "INSERT INTO inventory_items (id, sku, name, barcode, location) SELECT value->>0, value->>1, value->>2, value->>3, 'Warehouse A' FROM json_each(?)",
    )
    .bind(JSON.stringify(rows))
    .run();
  const jobId = crypto.randomUUID();
  await db
    .prepare(
      "INSERT INTO label_jobs (id, status, template_id, template, item_ids, total, done, created_by, username, line_date) VALUES (?, 'queued', 'rm365', ?, ?, ?, 0, 'bench', 'bench', '2026-11-22')",
    )
    .bind(jobId, JSON.stringify(TEMPLATE), JSON.stringify(ids), count)
    .run();
  const sent = performance.now();
  const queue = await mf.getQueueProducer("JOBS", "bench-driver");
  await queue.send({ type: "label_job", jobId, requestId: "bench" }, { contentType: "json" });
  const deadline = Date.now() + 300_000;
  for (;;) {
    const row = await db
      .prepare("SELECT status, started_at, finished_at, pages, pdf_bytes, error FROM label_jobs WHERE id = ?")
      .bind(jobId)
      .first()
      .catch((error) => {
        // Miniflare's D1 proxy socket can close under us between polls; the next poll reopens it.
        if (String(error?.cause?.code ?? "").startsWith("UND_ERR") || error?.cause?.code === "EPIPE") return undefined;
        throw error;
      });
    if (row?.status === "completed") {
      const wall = performance.now() - sent;
      const ms = Date.parse(row.finished_at) - Date.parse(row.started_at);
      return { count, ms, wall, pages: row.pages, bytes: row.pdf_bytes };
    }
    if (row?.status === "failed") throw new Error(`label job failed: ${row.error}`);
    if (Date.now() > deadline) throw new Error(`label job of ${count} not completed within 300 s (status ${row?.status})`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * The labels goal (issue 20, goal 2): labels/s of a documents-worker job per count, reportlab's
 * figure and the ratio. Returns printable lines and whether every target was met.
 */
export async function labelsGoal(counts = [1000, 10000], { log = console.error } = {}) {
  const tmp = mkdtempSync(join(tmpdir(), "floorline-labels-"));
  let mf;
  try {
    log("• bundling the documents worker with `wrangler deploy --dry-run` …");
    const configPath = join(root, "workers", "documents", "wrangler.toml");
    const config = readApiConfig(configPath);
    const built = bundle(configPath, join(tmp, "documents"));
    const { readdirSync, readFileSync } = await import("node:fs");
    const modules = {};
    for (const file of readdirSync(built.dir)) {
      if (file.endsWith(".js")) modules[file] = { type: "esm", contents: readFileSync(join(built.dir, file), "utf8") };
      else if (file.endsWith(".wasm")) modules[file] = { type: "wasm", contents: new Uint8Array(readFileSync(join(built.dir, file))) };
      else if (file.endsWith(".bin")) modules[file] = { type: "data", contents: new Uint8Array(readFileSync(join(built.dir, file))) };
    }
    const runtime = { compatibilityDate: config.compatibility_date, compatibilityFlags: config.compatibility_flags ?? [] };
    const d1 = { DB: { type: "d1", id: "floorline-bench-documents" } };
    mf = new Miniflare({
      host: "127.0.0.1",
      port: 0,
      cf: false,
      logRequests: false,
      resourcePersistencePath: join(tmp, "state"),
      handleStructuredLogs: process.env.BENCH_LABELS_LOG ? (e) => console.error(e.level, e.message) : () => {},
      workers: [
        {
          config: {
            name: "floorline-documents",
            ...runtime,
            manifest: { mainModule: built.mainModule, modulesRoot: built.dir, modules },
            env: { ...d1, FILES: { type: "r2", name: "floorline-bench-files" }, ENVIRONMENT: { type: "text", value: "production" } },
            triggers: [{ type: "queue", name: QUEUE, maxBatchSize: 1, maxBatchTimeout: 0, maxRetries: 0 }],
          },
        },
        {
          config: {
            name: "bench-driver",
            ...runtime,
            manifest: { mainModule: "driver.js", modules: { "driver.js": { type: "esm", contents: DRIVER } } },
            env: { JOBS: { type: "queue", name: QUEUE } },
          },
        },
      ],
    });
    await mf.ready;
    await applyMigrations(mf, "DB", join(root, "migrations"));
    // One small job first: the isolate, the bundle's first run and D1's first statements.
    await runJob(mf, 50);
    const jobs = [];
    for (const count of counts) {
      jobs.push(await runJob(mf, count));
      log(`  labels: documents worker, ${count} labels done`);
    }
    const ref = reportlab(counts);
    const lines = [
      "| labels | workerd job (claim → completed) | labels/s | send → completed | PDF | reportlab | ratio (target ≥ 1.00×) |",
      "| --- | --- | --- | --- | --- | --- | --- |",
    ];
    let met = true;
    for (const job of jobs) {
      const rate = job.count / (job.ms / 1000);
      const theirs = ref.figures?.get(job.count);
      const ratio = theirs ? rate / theirs.rate : null;
      if (ratio !== null && ratio < 1) met = false;
      lines.push(
        `| ${job.count.toLocaleString("en")} | ${(job.ms / 1000).toFixed(2)} s | ${Math.round(rate).toLocaleString("en")} | ${(job.wall / 1000).toFixed(2)} s | ${(job.bytes / 1048576).toFixed(1)} MB, ${job.pages} pages | ` +
          `${theirs ? `${Math.round(theirs.rate).toLocaleString("en")}/s (${(theirs.bytes / 1048576).toFixed(1)} MB)` : "—"} | ${ratio === null ? "—" : `${ratio.toFixed(2)}× ${ratio >= 1 ? "met" : "NOT met"}`} |`,
      );
    }
    if (!ref.figures) lines.push(`reportlab column empty: ${ref.why}`);
    else lines.push(`reportlab: ${ref.python} bench/labels-reportlab.py, same sheet, same run (both compress page contents with FlateDecode)`);
    return { lines, met: ref.figures ? met : null };
  } finally {
    await mf?.dispose().catch(() => {});
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const counts = (process.argv[2] ?? "1000,10000").split(",").map(Number);
  const { lines } = await labelsGoal(counts);
  console.log(lines.join("\n"));
  process.exit(0);
}
