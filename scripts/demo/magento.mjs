// Demo pick & pack: the fake Magento shop (`npm run dev`, scripts/fake-magento.mjs) serves the
// orders of workers/fake-magento/orders.json. Here: order 000000107 already picked (completed),
// order 000000102 half-picked by `operator` (in progress, resumable from any tablet), and a
// cancelled attempt at 000000106, with the scan log behind what was picked. Left to pick: 000000101, 000000103 (a bundle), 000000106. Refused
// on purpose: 000000104 (invoice not paid) and 000000105 (cancelled in Magento).
// Fixed ids and INSERT OR IGNORE: re-running changes nothing (and never clashes with a session
// someone opened meanwhile).
import { readFileSync } from "node:fs";
import { join } from "node:path";

const SESSIONS = [
  { id: "demo-magento-107", order: "000000107", status: "completed", scanned: "all", at: "2026-11-19T14:30:00.000Z" },
  { id: "demo-magento-102", order: "000000102", status: "in_progress", scanned: { "RM-PANEL-600": 4, "RM-CLIP-A": 8 }, at: "2026-11-21T09:10:00.000Z" },
  { id: "demo-magento-106-cancelled", order: "000000106", status: "cancelled", scanned: {}, at: "2026-11-21T11:20:00.000Z" },
];

/** @param {{ sql: (text: string, name?: string) => void, q: (value: string) => string, root: string }} ctx */
export async function seed(ctx) {
  const { q } = ctx;
  const orders = JSON.parse(readFileSync(join(ctx.root, "workers", "fake-magento", "orders.json"), "utf8"));
  const statements = [];
  for (const s of SESSIONS) {
    const scans = [];
    const order = orders.find((o) => o.increment_id === s.order);
    const invoice = order.invoices.find((i) => i.state === 2);
    const customer = `${order.customer_firstname} ${order.customer_lastname}`;
    const completedAt = s.status === "completed" ? q(s.at) : "NULL";
    const cancelledAt = s.status === "cancelled" ? q(s.at) : "NULL";
    const reason = s.status === "cancelled" ? q("Started on the wrong tote (demo)") : "NULL";
    statements.push(
      `INSERT OR IGNORE INTO fulfillment_sessions (id, order_number, order_id, invoice_number, session_type, status, customer_name, owner_id, owner_name, completed_at, cancelled_at, cancel_reason, version, created_at, updated_at)
SELECT ${q(s.id)}, ${q(order.increment_id)}, ${order.entity_id}, ${q(invoice.increment_id)}, 'pick', ${q(s.status)}, ${q(customer)}, users.id, users.username, ${completedAt}, ${cancelledAt}, ${reason}, 1, ${q(s.at)}, ${q(s.at)}
FROM users WHERE users.username_key = 'operator';`,
    );
    order.items
      .filter((item) => item.qty_invoiced > 0 && item.product_type !== "bundle")
      .forEach((item, position) => {
        const scanned = s.scanned === "all" ? item.qty_invoiced : (s.scanned[item.sku] ?? 0);
        statements.push(
          `INSERT OR IGNORE INTO fulfillment_items (session_id, sku, name, position, qty_ordered, qty_invoiced, qty_expected, qty_scanned)
SELECT ${q(s.id)}, ${q(item.sku)}, ${q(item.name)}, ${position}, ${item.qty_ordered}, ${item.qty_invoiced}, ${item.qty_invoiced}, ${scanned}
WHERE EXISTS (SELECT 1 FROM fulfillment_sessions WHERE id = ${q(s.id)});`,
        );
        if (scanned > 0) scans.push(`SELECT ${q(item.sku)} AS sku, ${scanned} AS quantity`);
      });
    // The scan log behind qty_scanned (one scan per item), written once per session: the source
    // reads fulfillment_scans, so SQLite materialises it before inserting.
    if (scans.length)
      statements.push(
        `INSERT INTO fulfillment_scans (session_id, sku, quantity, user_id, username, created_at)
SELECT ${q(s.id)}, v.sku, v.quantity, users.id, users.username, ${q(s.at)} FROM (${scans.join(" UNION ALL ")}) AS v, users
WHERE users.username_key = 'operator' AND EXISTS (SELECT 1 FROM fulfillment_sessions WHERE id = ${q(s.id)}) AND NOT EXISTS (SELECT 1 FROM fulfillment_scans WHERE session_id = ${q(s.id)});`,
      );
  }
  ctx.sql(`${statements.join("\n")}\n`, "demo-magento");
}
