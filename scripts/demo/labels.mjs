// Demo labels: one finished label job (the RM365 sheet, 21 labels on 3 pages) for the first demo
// items of inventory.mjs, rendered here through the documents worker's own code path
// (workers/documents/labels.ts `renderLabelJob`, bundled with esbuild as wrangler would), its PDF
// and CSV put into the local R2. Fixed job id and `ON CONFLICT DO NOTHING`: re-running renders
// the same files again and changes no row.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

const JOB_ID = "00000000-0000-4000-a000-000000000001";
const LINE_DATE = "2026-11-20";
// The first 21 items of inventory.mjs, rebuilt by the same rules (ids, SKUs, names, barcodes).
const LOCATIONS = ["Warehouse A", "Warehouse B"];
const KINDS = ["Hex bolt", "Nut", "Washer", "Bearing", "Seal", "Gasket", "Spring", "Pin", "Bushing", "Fuse"];
const SIZES = ["M4", "M5", "M6", "M8", "M10", "M12"];
function ean13(twelve) {
  const sum = [...twelve].reduce((acc, d, i) => acc + Number(d) * (i % 2 === 0 ? 1 : 3), 0);
  return `${twelve}${(10 - (sum % 10)) % 10}`;
}
const items = Array.from({ length: 21 }, (_, i) => {
  const n = i + 1;
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
    sku: `DEMO-${String(n).padStart(4, "0")}`,
    name: `${KINDS[n % KINDS.length]} ${SIZES[n % SIZES.length]}`,
    barcode: ean13(`5060000${String(n).padStart(5, "0")}`),
    location: LOCATIONS[n % 2],
  };
});

/** @param {{ sql: (text: string, name?: string) => void, putObject: (key: string, path: string, type: string) => void, q: (v: string) => string, root: string }} ctx */
export async function seed(ctx) {
  const { q, root } = ctx;
  const tmp = mkdtempSync(join(tmpdir(), "demo-labels-"));
  try {
    const entry = join(tmp, "entry.ts");
    const bundle = join(tmp, "labels.cjs");
    writeFileSync(
      entry,
      `export { renderLabelJob } from ${JSON.stringify(join(root, "workers/documents/labels.ts"))};\nexport { resolveTemplate } from ${JSON.stringify(join(root, "src/modules/labels/templates.ts"))};\n`,
    );
    execFileSync(
      join(root, "node_modules", ".bin", "esbuild"),
      [entry, "--bundle", "--format=cjs", "--platform=node", `--outfile=${bundle}`, "--log-level=warning"],
      {
        stdio: "inherit",
      },
    );
    const { renderLabelJob, resolveTemplate } = createRequire(import.meta.url)(bundle);
    const template = resolveTemplate("rm365");
    const out = await renderLabelJob(
      { id: JOB_ID, template, itemIds: items.map((i) => i.id), lineDate: LINE_DATE },
      new Map(items.map((i) => [i.id, i])),
      250,
      async () => true,
    );
    const pdfKey = `labels/${JOB_ID}/labels.pdf`;
    const csvKey = `labels/${JOB_ID}/labels.csv`;
    writeFileSync(join(tmp, "labels.pdf"), out.pdf);
    writeFileSync(join(tmp, "labels.csv"), out.csv);
    ctx.putObject(pdfKey, join(tmp, "labels.pdf"), "application/pdf");
    ctx.putObject(csvKey, join(tmp, "labels.csv"), "text/csv; charset=utf-8");
    const ids = JSON.stringify(items.map((i) => i.id));
    ctx.sql(
      `INSERT INTO label_jobs (id, status, template_id, template, item_ids, line_date, total, done, skipped, pages, pdf_key, csv_key, pdf_bytes, attempts, created_by, username, started_at, finished_at)
SELECT ${q(JOB_ID)}, 'completed', 'rm365', ${q(JSON.stringify(template))}, ${q(ids)}, ${q(LINE_DATE)}, ${items.length}, ${items.length}, 0, ${out.pages}, ${q(pdfKey)}, ${q(csvKey)}, ${out.pdf.byteLength}, 1, id, username,
       strftime('%Y-%m-%dT%H:%M:%fZ','now'), strftime('%Y-%m-%dT%H:%M:%fZ','now')
FROM users WHERE username = 'admin'
ON CONFLICT DO NOTHING;\n`,
      "demo-labels",
    );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
