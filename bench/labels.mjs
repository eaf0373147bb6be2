// Label rendering benchmark: `node bench/labels.mjs [counts]` (default 1000,10000).
//
// Runs the documents worker's label code path (workers/documents/labels.ts `renderLabelJob`,
// bundled with esbuild as wrangler would, so the same pdf-lib + bwip-js code) in Node, one fresh
// process per row, for the RM365 template (Code 128) and the QR template: every label of a job
// laid out, each distinct value encoded once as a vector XObject, progress reported every 250
// labels (a no-op here: D1 and R2 are not in the loop), then the PDF saved and the CSV built.
// Every label gets a distinct value (the worst case: no XObject is reused).
// Figures vary from run to run on a shared machine; compare rows, not absolutes.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

if (process.argv[2] === "--child") {
  const [, , , bundle, count, templateId] = process.argv;
  const require = createRequire(import.meta.url);
  const { renderLabelJob, BUILTIN_TEMPLATES } = require(bundle);
  const template = BUILTIN_TEMPLATES.find((t) => t.id === templateId);
  const n = Number(count);
  const items = new Map();
  const itemIds = [];
  for (let i = 0; i < n; i++) {
    const id = `item-${i}`;
    items.set(id, {
      id,
      sku: `BENCH-${String(i).padStart(6, "0")}`,
      name: `Hex bolt M${(i % 20) + 3} zinc plated`,
      barcode: i % 2 ? null : `50600${String(i).padStart(7, "0")}`,
      location: "Warehouse A",
    });
    itemIds.push(id);
  }
  const heap0 = process.memoryUsage().heapUsed;
  const started = performance.now();
  const out = await renderLabelJob({ id: "bench", template, itemIds, lineDate: "2026-11-22" }, items, 250, async () => true);
  const ms = performance.now() - started;
  console.log(JSON.stringify({ ms, pages: out.pages, labels: out.labels, pdf: out.pdf.byteLength, heap: Math.max(0, process.memoryUsage().heapUsed - heap0) }));
  process.exit(0);
}

const counts = (process.argv[2] ?? "1000,10000").split(",").map(Number);
// 2-D jobs are capped at 2,000 distinct values (MAX_JOB_VALUES_2D).
const RUNS = [...counts.map((count) => ["rm365", count]), ...counts.map((count) => ["qr-50x25", Math.min(count, 2000)])];
const tmp = mkdtempSync(join(tmpdir(), "labels-bench-"));
const entry = join(tmp, "entry.ts");
const bundle = join(tmp, "labels.cjs");
const { writeFileSync } = await import("node:fs");
writeFileSync(
  entry,
  `export { renderLabelJob } from ${JSON.stringify(join(root, "workers/documents/labels.ts"))};\nexport { BUILTIN_TEMPLATES } from ${JSON.stringify(join(root, "src/modules/labels/templates.ts"))};\n`,
);
execFileSync(
  join(root, "node_modules", ".bin", "esbuild"),
  [entry, "--bundle", "--format=cjs", "--platform=node", "--minify", `--outfile=${bundle}`, "--log-level=warning"],
  {
    stdio: "inherit",
  },
);
const rows = [];
for (const [templateId, count] of RUNS) {
  const r = JSON.parse(
    execFileSync(process.execPath, [fileURLToPath(import.meta.url), "--child", bundle, String(count), templateId], { encoding: "utf8" })
      .trim()
      .split("\n")
      .at(-1),
  );
  rows.push(
    `| ${templateId} | ${count.toLocaleString("en")} | ${r.pages} | ${(r.ms / 1000).toFixed(2)} s | ${Math.round(count / (r.ms / 1000)).toLocaleString("en")} | ${(r.pdf / 1048576).toFixed(1)} MB | ${(r.heap / 1048576).toFixed(0)} MB |`,
  );
  console.error(`${templateId} × ${count}: done`);
}
rmSync(tmp, { recursive: true, force: true });
console.log("| template | labels | pages | render + save | labels/s | PDF | JS heap growth |");
console.log("| --- | --- | --- | --- | --- | --- | --- |");
for (const row of rows) console.log(row);
