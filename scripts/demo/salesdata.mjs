// Demo sales data: one small export per region (UK, FR, NL, DE), each written in that region's
// own CSV style (delimiter, decimal comma, date format), kept in R2 as the original of a
// completed import record, and its lines in `sales_rows` as the import would store them.
// Fixed ids and `ON CONFLICT DO NOTHING`: re-running changes nothing. Uploading one of the files
// in .wrangler/demo-sales/ again is answered as a duplicate of the demo import.
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const COLUMNS =
  "order_number,created_at,sku,name,qty,price,status,currency,grand_total,customer_email,customer_full_name,billing_address,shipping_address,customer_group_code".split(
    ",",
  );

const REGIONS = [
  {
    region: "uk",
    n: 1,
    delimiter: ",",
    currency: "GBP",
    date: (d) => `${d.day}/${d.month}/2026 ${d.time}`,
    number: (x) => x.toFixed(2),
    city: "12 King Street, Manchester M2 4WU",
  },
  {
    region: "fr",
    n: 2,
    delimiter: ";",
    currency: "EUR",
    date: (d) => `${d.day}/${d.month}/2026 ${d.time}`,
    number: (x) => x.toFixed(2).replace(".", ","),
    city: "8 rue de la République, 69001 Lyon",
  },
  {
    region: "nl",
    n: 3,
    delimiter: ";",
    currency: "EUR",
    date: (d) => `${d.day}-${d.month}-2026 ${d.time}`,
    number: (x) => x.toFixed(2).replace(".", ","),
    city: "Damrak 70, 1012 LM Amsterdam",
  },
  {
    region: "de",
    n: 4,
    delimiter: ";",
    currency: "EUR",
    date: (d) => `${d.day}.${d.month}.2026 ${d.time}`,
    number: (x) => x.toFixed(2).replace(".", ","),
    city: "Friedrichstraße 43, 10117 Berlin",
  },
];

const PRODUCTS = [
  { sku: "RM-BOLT-M8", name: "Hex bolt M8 (box of 100)", price: 12.5 },
  { sku: "RM-NUT-M8", name: "Hex nut M8 (box of 100)", price: 6.25 },
  { sku: "RM-WASH-M8", name: "Washer M8 (box of 200)", price: 4.8 },
  { sku: "RM-BEAR-6204", name: "Bearing 6204-2RS", price: 7.95 },
  { sku: "RM-SEAL-35", name: "Oil seal 35x52x7", price: 3.4 },
];
const CUSTOMERS = ["Alex Morgan", "Camille Martin", "Sanne de Vries", "Jonas Becker", "Priya Shah", "Louis Bernard"];

const quote = (value, delimiter) => (value.includes(delimiter) || value.includes('"') || value.includes("\n") ? `"${value.replaceAll('"', '""')}"` : value);

/** @param {{ sql: (text: string, name?: string) => void, q: (value: string) => string, putObject: (key: string, path: string, contentType: string) => void, root: string }} ctx */
export async function seed(ctx) {
  const { q } = ctx;
  const dir = join(ctx.root, ".wrangler", "demo-sales");
  mkdirSync(dir, { recursive: true });
  const sql = [];
  let total = 0;
  for (const r of REGIONS) {
    const importId = `00000000-0000-4000-a000-${String(r.n).padStart(12, "0")}`;
    const lines = [];
    const rows = [];
    // Six orders of one to three lines over the first half of March 2026.
    for (let o = 0; o < 6; o++) {
      const order = `${r.region.toUpperCase()}-DEMO-${String(1000 + o)}`;
      const day = String(2 + o * 2).padStart(2, "0");
      const hour = String(8 + o).padStart(2, "0");
      const items = PRODUCTS.filter((_, i) => (i + o) % 3 !== 2).slice(0, 1 + (o % 3));
      const grand = items.reduce((sum, p, i) => sum + p.price * (1 + ((o + i) % 4)), 0);
      const customer = CUSTOMERS[(o + r.n) % CUSTOMERS.length];
      const email = `${customer.toLowerCase().replace(/[^a-z]+/g, ".")}@example.com`;
      const status = o === 5 ? "processing" : "complete";
      items.forEach((p, i) => {
        const qty = 1 + ((o + i) % 4);
        const fields = [
          order,
          r.date({ day, month: "03", time: `${hour}:15` }),
          p.sku,
          p.name,
          String(qty),
          r.number(p.price),
          status,
          r.currency,
          r.number(grand),
          email,
          customer,
          r.city,
          r.city,
          o % 2 ? "Wholesale" : "General",
        ];
        lines.push(fields.map((f) => quote(f, r.delimiter)).join(r.delimiter));
        rows.push(
          `(${q(r.region)}, ${q(order)}, ${q(`2026-03-${day}T${hour}:15:00.000Z`)}, ${q(p.sku)}, ${q(p.name)}, ${qty}, ${p.price}, ${q(status)}, ${q(r.currency)}, ${Math.round(grand * 100) / 100}, ${q(email)}, ${q(customer)}, ${q(r.city)}, ${q(r.city)}, ${q(o % 2 ? "Wholesale" : "General")}, ${q(importId)})`,
        );
      });
    }
    const text = `${COLUMNS.join(r.delimiter)}\r\n${lines.join("\r\n")}\r\n`;
    const filename = `demo-sales-${r.region}.csv`;
    const path = join(dir, filename);
    writeFileSync(path, text);
    const key = `salesdata/${importId}.csv`;
    ctx.putObject(key, path, "text/csv; charset=utf-8");
    const sha256 = createHash("sha256").update(text).digest("hex");
    sql.push(
      `INSERT INTO sales_imports (id, region, filename, sha256, r2_key, size_bytes, status, partial, rows_total, rows_done, rows_imported, rows_failed, errors, errors_more, message, user_id, username, started_at, finished_at, duration_ms) VALUES (${q(importId)}, ${q(r.region)}, ${q(filename)}, ${q(sha256)}, ${q(key)}, ${Buffer.byteLength(text)}, 'completed', 0, ${rows.length}, ${rows.length}, ${rows.length}, 0, '[]', 0, ${q(`Imported ${rows.length} rows into ${r.region.toUpperCase()} sales data`)}, NULL, 'admin', '2026-03-15T09:00:00.000Z', '2026-03-15T09:00:00.250Z', 250) ON CONFLICT DO NOTHING;`,
      `INSERT INTO sales_rows (region, order_number, ordered_at, sku, name, qty, price, status, currency, grand_total, customer_email, customer_full_name, billing_address, shipping_address, customer_group_code, import_id) VALUES\n${rows.join(",\n")}\nON CONFLICT DO NOTHING;`,
    );
    total += rows.length;
  }
  ctx.sql(`${sql.join("\n")}\n`, "demo-salesdata");
  console.log(`salesdata demo: ${total} order lines over UK, FR, NL, DE, one completed import each (originals in R2; files in .wrangler/demo-sales/)`);
}
