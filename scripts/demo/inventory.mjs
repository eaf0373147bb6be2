// Demo stock: 300 items over two locations (Warehouse A, Warehouse B), every one with an EAN-13
// style barcode, about one in eight at or below its reorder level, and a short adjustment history
// for the first few. Fixed ids and `ON CONFLICT DO NOTHING`: re-running changes nothing.

const LOCATIONS = ["Warehouse A", "Warehouse B"];
const KINDS = ["Hex bolt", "Nut", "Washer", "Bearing", "Seal", "Gasket", "Spring", "Pin", "Bushing", "Fuse"];
const SIZES = ["M4", "M5", "M6", "M8", "M10", "M12"];

/** EAN-13 check digit, so the demo barcodes scan as real ones. */
function ean13(twelve) {
  const sum = [...twelve].reduce((acc, d, i) => acc + Number(d) * (i % 2 === 0 ? 1 : 3), 0);
  return `${twelve}${(10 - (sum % 10)) % 10}`;
}

/** @param {{ sql: (text: string, name?: string) => void, q: (value: string) => string }} ctx */
export async function seed(ctx) {
  const { q } = ctx;
  const items = [];
  const adjustments = [];
  for (let n = 1; n <= 300; n++) {
    const sku = `DEMO-${String(n).padStart(4, "0")}`;
    const location = LOCATIONS[n % 2];
    const name = `${KINDS[n % KINDS.length]} ${SIZES[n % SIZES.length]}`;
    const barcode = ean13(`5060000${String(n).padStart(5, "0")}`);
    const reorder = 10 + (n % 5) * 5;
    const low = n % 8 === 0;
    const quantity = low ? n % reorder : reorder + 5 + ((n * 37) % 400);
    const id = `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
    items.push(`(${q(id)}, ${q(sku)}, ${q(name)}, ${q(barcode)}, ${q(location)}, ${quantity}, ${reorder}, 0, NULL, 1)`);
    if (n <= 20) {
      adjustments.push(
        `(${q(`00000000-0000-4000-9000-${String(n).padStart(12, "0")}`)}, ${q(id)}, ${q(sku)}, ${q(location)}, ${quantity}, 'Opening stock (demo)', ${quantity}, NULL, 'admin')`,
      );
    }
  }
  ctx.sql(
    `INSERT INTO inventory_items (id, sku, name, barcode, location, quantity, reorder_level, allow_negative, created_by, version) VALUES\n${items.join(",\n")}\nON CONFLICT DO NOTHING;\n` +
      `INSERT INTO inventory_adjustments (id, item_id, sku, location, delta, reason, quantity_after, user_id, username) VALUES\n${adjustments.join(",\n")}\nON CONFLICT DO NOTHING;\n`,
    "demo-inventory",
  );
}
