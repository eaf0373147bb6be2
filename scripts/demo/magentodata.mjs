// Demo data for RM365's Magento sales data (modules/magentodata): two syncs of the UK store (one
// completed, whose twelve order lines are in `magento_sales_rows`, and a later one that failed on
// a timeout) and one completed FR sync. The rows look as a sync stores them (original and special
// prices, the customer's group). Fixed ids and ON CONFLICT DO NOTHING: re-running changes nothing.

const PRODUCTS = [
  { sku: "RM-PANEL-600", name: "Acoustic panel 600 × 600", price: 39.0, special: 34.5 },
  { sku: "RM-CLIP-A", name: "Panel clip type A (pack of 10)", price: 4.2, special: null },
  { sku: "RM-RAIL-2M", name: "Mounting rail 2 m", price: 11.9, special: null },
  { sku: "RM-GLUE-1L", name: "Panel adhesive 1 l", price: 14.75, special: 12.99 },
];
const CUSTOMERS = [
  ["Harriet Cole", "General"],
  ["Office Fitout Ltd", "Wholesale"],
  ["Tom Okafor", "General"],
  ["Studio Nine", "Wholesale"],
];

/** @param {{ sql: (text: string, name?: string) => void, q: (value: unknown) => string }} ctx */
export async function seed({ sql, q }) {
  const sync = (n) => `00000000-0000-4000-a100-${String(n).padStart(12, "0")}`;
  const rows = [];
  const regions = [
    { region: "uk", currency: "GBP", sync: sync(1), city: "4 Albion Street, Leeds LS1 6AG", orders: 4 },
    { region: "fr", currency: "EUR", sync: sync(3), city: "21 quai Saint-Antoine, 69002 Lyon", orders: 2 },
  ];
  const counts = {};
  for (const r of regions) {
    counts[r.region] = { orders: r.orders, lines: 0, first: null, last: null };
    for (let o = 0; o < r.orders; o++) {
      const order = `${r.region.toUpperCase()}-M${2000 + o}`;
      const orderedAt = `2026-11-${String(10 + o * 3).padStart(2, "0")}T1${o}:20:00.000Z`;
      const [customer, group] = CUSTOMERS[o % CUSTOMERS.length];
      const email = `${customer.toLowerCase().replace(/[^a-z]+/g, ".")}@example.com`;
      const items = PRODUCTS.slice(o % 2, (o % 2) + 2 + (o % 2));
      const grand = items.reduce((sum, p, i) => sum + (p.special ?? p.price) * (2 + i), 0);
      items.forEach((p, i) => {
        rows.push(
          `(${q(r.region)}, ${q(order)}, ${q(orderedAt)}, ${q(p.sku)}, ${q(p.name)}, ${2 + i}, ${p.price}, ${p.special ?? "NULL"}, ${q(o === r.orders - 1 ? "processing" : "complete")}, ${q(r.currency)}, ${Math.round(grand * 100) / 100}, ${q(email)}, ${q(customer)}, ${q(r.city)}, ${q(r.city)}, ${q(group)}, ${q(r.sync)})`,
        );
        counts[r.region].lines++;
      });
      counts[r.region].first ??= orderedAt;
      counts[r.region].last = orderedAt;
    }
  }
  const c = counts;
  sql(
    `INSERT INTO magento_syncs (id, region, status, orders_processed, rows_synced, first_order_at, last_order_at, message, errors, user_id, username, finished_at, created_at, updated_at) VALUES
  (${q(sync(1))}, 'uk', 'completed', ${c.uk.orders}, ${c.uk.lines}, ${q(c.uk.first)}, ${q(c.uk.last)}, ${q(`Synced ${c.uk.lines} rows from ${c.uk.orders} orders`)}, '[]', NULL, 'admin', '2026-11-25T08:00:04.120Z', '2026-11-25T08:00:00.000Z', '2026-11-25T08:00:04.120Z'),
  (${q(sync(2))}, 'uk', 'failed', 0, 0, NULL, NULL, 'Magento did not answer in time', ${q(JSON.stringify(["Timed out after 30 s on page 1 of orders"]))}, NULL, 'admin', '2026-11-26T08:00:30.000Z', '2026-11-26T08:00:00.000Z', '2026-11-26T08:00:30.000Z'),
  (${q(sync(3))}, 'fr', 'completed', ${c.fr.orders}, ${c.fr.lines}, ${q(c.fr.first)}, ${q(c.fr.last)}, ${q(`Synced ${c.fr.lines} rows from ${c.fr.orders} orders`)}, '[]', NULL, 'admin', '2026-11-25T08:05:02.500Z', '2026-11-25T08:05:00.000Z', '2026-11-25T08:05:02.500Z')
ON CONFLICT DO NOTHING;
INSERT INTO magento_sales_rows (region, order_number, ordered_at, sku, name, qty, original_price, special_price, status, currency, grand_total, customer_email, customer_full_name, billing_address, shipping_address, customer_group_code, sync_id) VALUES
${rows.join(",\n")}
ON CONFLICT DO NOTHING;
`,
    "demo-magentodata",
  );
  console.log(`magentodata demo: 3 syncs (UK completed and failed, FR completed), ${rows.length} order lines`);
}
