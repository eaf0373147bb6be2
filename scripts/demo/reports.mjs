// Demo data for production reports (issue 7 part 7): one finished report of the demo lines
// (production.mjs) for the last two days, ready to download as a PDF, and one still queued.
//
// The finished one is rendered by the documents worker's own job code (workers/documents/
// reports.ts: gather from D1, draw with pdf-lib and the CJK font, store in R2, mark ready),
// bundled here with esbuild and run in Node against the local D1 and R2 that `wrangler dev`
// uses (.wrangler/state/v3), opened through Miniflare. Safe to re-run: the report rows have
// fixed ids, and a report that is already ready is left as it is.
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const READY_ID = "00000000-0000-4000-8000-00000000d701";
const QUEUED_ID = "00000000-0000-4000-8000-00000000d702";

/** @param {{ sql: (text: string, name?: string) => void, q: (value: unknown) => string, root: string }} ctx */
export async function seed({ sql, q, root }) {
  const day = (offset) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  const manager = "(SELECT id FROM users WHERE username_key = 'production_manager')";
  const lines = q(JSON.stringify(["demo-line-bag1", "demo-line-fill2"]));
  sql(
    `INSERT INTO production_reports (id, title, state, line_ids, start_date, end_date, group_by, utc_offset_minutes, shift_start_hour, requested_by) VALUES
  (${q(READY_ID)}, '生產日報 Daily production report (demo)', 'queued', ${lines}, ${q(day(-1))}, ${q(day(0))}, 'day', 0, 6, ${manager}),
  (${q(QUEUED_ID)}, '班次報告 Shift report (demo, not rendered)', 'queued', ${lines}, ${q(day(0))}, ${q(day(0))}, 'shift', 0, 6, ${manager})
ON CONFLICT DO NOTHING;`,
    "reports",
  );
  // MS5's report templates and schedules: a daily and a shift template of the production report,
  // and two schedules (daily to the managers, weekly paused). Fixed ids; re-running changes nothing.
  const tpl = (n) => q(`00000000-0000-4000-8000-00000000d7${String(n).padStart(2, "0")}`);
  const params = (extra) =>
    q(
      JSON.stringify([
        { name: "line_ids", type: "line_list", required: true, description: "Lines to include" },
        { name: "report_date", type: "date", required: false, description: "The day (default: yesterday)" },
        ...extra,
      ]),
    );
  const sections = q(
    JSON.stringify([
      { type: "summary", title: "Output and OEE" },
      { type: "downtime", title: "Downtime" },
      { type: "andon", title: "Andon calls" },
    ]),
  );
  sql(
    `INSERT INTO report_templates (id, name, description, template_type, parameters, sections, is_active, created_by) VALUES
  (${tpl(11)}, 'Daily production report', 'Output, OEE, downtime and andon calls per line and day', 'production', ${params([])}, ${sections}, 1, 'production_manager'),
  (${tpl(12)}, 'Shift report', 'The same figures per shift (shifts start at 06:00)', 'production', ${params([{ name: "group_by", type: "string", required: false, description: "day or shift" }])}, ${sections}, 1, 'production_manager')
ON CONFLICT DO NOTHING;
INSERT INTO scheduled_reports (id, name, template_id, frequency, hour_utc, parameters, recipients, is_active, created_by) VALUES
  (${tpl(21)}, 'Daily report to the managers', ${tpl(11)}, 'daily', 6, ${q(JSON.stringify({ line_ids: ["demo-line-bag1", "demo-line-fill2"] }))}, ${q(JSON.stringify(["production_manager@demo.floorline.local", "shift_manager@demo.floorline.local"]))}, 1, 'production_manager'),
  (${tpl(22)}, 'Weekly shift summary (paused)', ${tpl(12)}, 'weekly', 7, ${q(JSON.stringify({ line_ids: ["demo-line-bag1"], group_by: "shift" }))}, ${q(JSON.stringify(["production_manager@demo.floorline.local"]))}, 0, 'production_manager')
ON CONFLICT DO NOTHING;`,
    "report-templates",
  );

  // Bundle the worker's job (TypeScript) for Node, then run it on the local bindings.
  const { build } = await import("esbuild");
  const out = join(tmpdir(), `floorline-demo-report-${process.pid}.mjs`);
  await build({
    stdin: { contents: 'export { renderProductionReport } from "./workers/documents/reports.ts";', resolveDir: root, loader: "ts" },
    bundle: true,
    platform: "node",
    format: "esm",
    outfile: out,
    logLevel: "warning",
  });
  // Opened the way `wrangler d1 execute --local` opens them (same persistence root and ids).
  const { Miniflare, convertV4MiniflareOptions } = await import("miniflare");
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      modules: true,
      script: "export default {}",
      resourcePersistencePath: join(root, ".wrangler", "state", "v3"),
      d1Databases: { DB: "00000000-0000-4000-8000-000000000001" },
      r2Buckets: { FILES: "floorline-files" },
    }),
  );
  try {
    const { renderProductionReport } = await import(pathToFileURL(out).href);
    const db = await mf.getD1Database("DB");
    const files = await mf.getR2Bucket("FILES");
    const font = {
      bytes: readFileSync(join(root, "workers", "documents", "generated", "report-font.bin")),
      subsetter: await WebAssembly.compile(readFileSync(join(root, "node_modules", "harfbuzzjs", "dist", "harfbuzz-subset.wasm"))),
    };
    await renderProductionReport(
      { db, files, font, now: () => new Date() },
      { type: "production_report", reportId: READY_ID, requestId: "demo" },
      { id: "demo", attempts: 1 },
    );
    const row = await db.prepare("SELECT state, page_count, pdf_bytes FROM production_reports WHERE id = ?").bind(READY_ID).first();
    console.log(
      `• demo report ${READY_ID}: ${row?.state}, ${row?.page_count} page(s), ${row?.pdf_bytes} bytes → GET /api/v1/reports/production/${READY_ID}/pdf`,
    );
  } finally {
    await mf.dispose();
    rmSync(out, { force: true });
  }
}
