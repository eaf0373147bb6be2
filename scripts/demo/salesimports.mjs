// Demo sales import history beside salesdata.mjs's four completed imports: the UK file uploaded a
// second time (answered as a duplicate of the first, pointing at its original) and a DE file
// rejected for two bad rows (nothing of it imported; its original kept in R2 like any import's).
// Fixed ids and ON CONFLICT DO NOTHING: re-running changes nothing.
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** @param {{ sql: (text: string, name?: string) => void, q: (value: unknown) => string, putObject: (key: string, path: string, contentType: string) => void, root: string }} ctx */
export async function seed(ctx) {
  const { q } = ctx;
  const ukImport = "00000000-0000-4000-a000-000000000001"; // salesdata.mjs's UK import
  const duplicate = "00000000-0000-4000-a000-000000000011";
  const rejected = "00000000-0000-4000-a000-000000000012";
  const header =
    "order_number;created_at;sku;name;qty;price;status;currency;grand_total;customer_email;customer_full_name;billing_address;shipping_address;customer_group_code";
  const addr = "Friedrichstraße 43, 10117 Berlin";
  const text = `${header}\r\nDE-DEMO-2001;18.03.2026 09:15;RM-BOLT-M8;Hex bolt M8 (box of 100);2;12,50;complete;EUR;25,00;jonas.becker@example.com;Jonas Becker;${addr};${addr};General\r\nDE-DEMO-2002;31.02.2026 10:15;RM-NUT-M8;Hex nut M8 (box of 100);1;6,25;complete;EUR;6,25;priya.shah@example.com;Priya Shah;${addr};${addr};General\r\nDE-DEMO-2003;19.03.2026 11:15;RM-SEAL-35;Oil seal 35x52x7;zwei;3,40;complete;EUR;6,80;louis.bernard@example.com;Louis Bernard;${addr};${addr};Wholesale\r\n`;
  const dir = join(ctx.root, ".wrangler", "demo-sales");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "demo-sales-de-rejected.csv");
  writeFileSync(path, text);
  const key = `salesdata/${rejected}.csv`;
  ctx.putObject(key, path, "text/csv; charset=utf-8");
  const sha256 = createHash("sha256").update(text).digest("hex");
  const errors = ["Row 3: created_at is not a date (31.02.2026 10:15)", "Row 4: qty is not a number (zwei)"];
  ctx.sql(
    `INSERT INTO sales_imports (id, region, filename, sha256, r2_key, size_bytes, status, partial, rows_total, rows_done, rows_imported, rows_failed, errors, errors_more, message, duplicate_of, user_id, username, started_at, finished_at, duration_ms, created_at, updated_at)
SELECT ${q(duplicate)}, 'uk', 'demo-sales-uk.csv', sha256, r2_key, size_bytes, 'duplicate', 0, 0, 0, 0, 0, '[]', 0, 'This file was already imported; nothing changed', id, NULL, 'admin', '2026-03-16T10:30:00.000Z', '2026-03-16T10:30:00.040Z', 40, '2026-03-16T10:30:00.000Z', '2026-03-16T10:30:00.040Z'
FROM sales_imports WHERE id = ${q(ukImport)} ON CONFLICT DO NOTHING;
INSERT INTO sales_imports (id, region, filename, sha256, r2_key, size_bytes, status, partial, rows_total, rows_done, rows_imported, rows_failed, errors, errors_more, message, user_id, username, started_at, finished_at, duration_ms, created_at, updated_at) VALUES
  (${q(rejected)}, 'de', 'demo-sales-de-rejected.csv', ${q(sha256)}, ${q(key)}, ${Buffer.byteLength(text)}, 'rejected', 0, 3, 3, 0, 2, ${q(JSON.stringify(errors))}, 0, '2 of 3 rows are invalid; nothing was imported', NULL, 'admin', '2026-03-18T12:00:00.000Z', '2026-03-18T12:00:00.120Z', 120, '2026-03-18T12:00:00.000Z', '2026-03-18T12:00:00.120Z')
ON CONFLICT DO NOTHING;
`,
    "demo-sales-history",
  );
  console.log("sales import history demo: a duplicate UK upload and a rejected DE file");
}
