// Demo data for the equipment registry and issue reports (see scripts/demo/README.md): the
// CCbackend README's EQ001, a few dozen items across the seed's vocabulary with their logs, two
// issue reports with small real PNG photos in the local R2 bucket, and MS5's BP01.PACK.BAG1 on
// line L-BAG1 with a scheduled maintenance. Safe to re-run: fixed ids, and every insert skips
// what is already there (an item whose code a live item already holds is left out).
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { deflateSync } from "node:zlib";

const STATUSES = {
  清洗: ["清洗"],
  在廠: ["在廠"],
  報廢: ["報廢"],
  維修: ["頭部修補", "前胸修補", "後背修補", "手部修補", "腳部修補", "換拉鍊", "換拉鍊頭"],
  特污處理: ["特污處理"],
};
const SIZES = ["S", "M", "L", "XL"];
const PEOPLE = ["operator", "maintenance", "engineer"];

/** ISO time `days` days after 2026-10-01T08:00Z plus `minutes`. */
const at = (days, minutes = 0) => new Date(Date.UTC(2026, 9, 1, 8, 0) + days * 86_400_000 + minutes * 60_000).toISOString();

/** A demo item: master fields and its changes (each a log row), oldest first. */
function item(id, code, fields, changes) {
  return { id, code, fields, changes };
}

const items = [
  item("demo-eq-readme", "EQ001", { size: "Large", box_id: "BOX001", user_name: "user1", start_time: "2026-02-12T10:00:00.000Z" }, [
    { status: "正常", sub_status: "使用中", comment: "Initial setup", by: "admin", time: "2026-02-12T10:00:00.000Z" },
  ]),
  item("demo-eq-ms5-bag1", "BP01.PACK.BAG1", { name: "Bagger 1", production_line: "L-BAG1", start_time: at(-30) }, [
    { status: "running", sub_status: null, comment: "Commissioned on L-BAG1", by: "engineer", time: at(-30) },
    { status: "maintenance", sub_status: "belt", comment: "Belt tension", by: "maintenance", time: at(-2) },
    { status: "running", sub_status: null, comment: "Back in service", by: "maintenance", time: at(-1) },
  ]),
];
const statusNames = Object.keys(STATUSES);
for (let n = 1; n <= 30; n++) {
  const status = statusNames[n % statusNames.length];
  const subs = STATUSES[status];
  const sub = subs[n % subs.length];
  const code = `CC-${String(n).padStart(4, "0")}`;
  const changes = [{ status: "在廠", sub_status: "在廠", comment: "入庫", by: "admin", time: at(n % 10) }];
  if (status !== "在廠")
    changes.push({ status, sub_status: sub, comment: n % 3 === 0 ? "定期檢查" : null, by: PEOPLE[n % PEOPLE.length], time: at((n % 10) + 1, n) });
  items.push(
    item(
      `demo-eq-${String(n).padStart(4, "0")}`,
      code,
      { size: SIZES[n % SIZES.length], box_id: `BOX${String(100 + (n % 7)).padStart(3, "0")}`, user_name: `user${(n % 5) + 1}`, start_time: at(n % 10) },
      changes,
    ),
  );
}

// Two small real PNG images, written here from their pixels (no binary files in the repository).
const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (bytes) => {
  let c = 0xffffffff;
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "ascii");
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}
/** A `size`×`size` RGB PNG whose pixel colour is `paint(x, y)` → [r, g, b]. */
function png(size, paint) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, no interlace
  const rows = Buffer.alloc(size * (1 + size * 3));
  for (let y = 0; y < size; y++) {
    rows[y * (1 + size * 3)] = 0; // filter: none
    for (let x = 0; x < size; x++) rows.set(paint(x, y), y * (1 + size * 3) + 1 + x * 3);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(rows)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}
// A stained fabric swatch and a torn seam, at 48 px: enough for the client's thumbnails.
const stain = png(48, (x, y) => ((x - 30) ** 2 + (y - 20) ** 2 < 120 ? [120, 90, 40] : [40, 90, 170]));
const tear = png(48, (x, y) => (Math.abs(x - y) < 2 ? [240, 240, 240] : (x + y) % 8 < 4 ? [200, 40, 40] : [170, 30, 30]));

const photos = [
  { key: "reports/0d9f3c1e-4b6a-4c7e-9a1b-2f3e4d5c6b7a.png", bytes: stain, filename: "stain.png" },
  { key: "reports/5e2a7b9c-1d3f-4a6b-8c9d-0e1f2a3b4c5d.png", bytes: tear, filename: "tear.png" },
];

/** Seeds the registry; see the file comment. */
export async function seed(ctx) {
  const { q } = ctx;
  const nul = (v) => (v === null || v === undefined ? "NULL" : q(v));
  const sql = [];
  for (const it of items) {
    const f = it.fields;
    const version = it.changes.length;
    sql.push(
      `INSERT INTO equipment (id, code, kind, name, production_line, size, box_id, user_name, start_time, created_by, created_at, updated_at, version) VALUES (${q(it.id)}, ${q(it.code)}, ${q(f.production_line ? "ms5" : "ccbackend")}, ${nul(f.name)}, ${nul(f.production_line)}, ${nul(f.size)}, ${nul(f.box_id)}, ${nul(f.user_name)}, ${nul(f.start_time)}, ${q(it.changes[0].by)}, ${q(it.changes[0].time)}, ${q(it.changes.at(-1).time)}, ${version}) ON CONFLICT DO NOTHING;`,
    );
    it.changes.forEach((c, i) => {
      const prev = it.changes[i - 1];
      const initial = i === 0 ? JSON.stringify(Object.fromEntries(Object.entries(f).map(([k, v]) => [k, { from: null, to: v }]))) : "{}";
      const action = i === 0 ? "create" : "status";
      sql.push(
        `INSERT INTO equipment_log (equipment_id, version, action, input_date, status, sub_status, previous_status, previous_sub_status, changes, comment, updated_by, updated_at) SELECT ${q(it.id)}, ${i + 1}, ${q(action)}, ${q(i === 0 ? (f.start_time ?? c.time) : c.time)}, ${nul(c.status)}, ${nul(c.sub_status)}, ${nul(prev?.status)}, ${nul(prev?.sub_status)}, ${q(initial)}, ${nul(c.comment)}, ${q(c.by)}, ${q(c.time)} WHERE EXISTS (SELECT 1 FROM equipment WHERE id = ${q(it.id)}) ON CONFLICT DO NOTHING;`,
      );
    });
  }
  const image = (p) => ({
    key: p.key,
    contentType: "image/png",
    size: p.bytes.length,
    filename: p.filename,
    sha256: createHash("sha256").update(p.bytes).digest("hex"),
  });
  const reports = [
    {
      id: 900001,
      item: "demo-eq-0003",
      type: "髒污/破損",
      info: "前胸有大片污漬",
      images: [photos[0]],
      status: "pending",
      label: "待處理",
      processor: null,
      time: at(5, 30),
    },
    {
      id: 900002,
      item: "demo-eq-readme",
      type: "功能異常",
      info: "拉鍊卡住，縫線裂開",
      images: [photos[1]],
      status: "processing",
      label: "處理中",
      processor: "maintenance",
      time: at(6, 10),
    },
  ];
  for (const r of reports) {
    sql.push(
      `INSERT INTO issue_reports (id, equipment_id, reporter, reported_at, issue_type, description, images, status, status_label, processor, processed_at, updated_at) SELECT ${r.id}, ${q(r.item)}, 'operator', ${q(r.time)}, ${q(r.type)}, ${q(r.info)}, ${q(JSON.stringify(r.images.map(image)))}, ${q(r.status)}, ${q(r.label)}, ${nul(r.processor)}, ${r.processor ? q(at(7)) : "NULL"}, ${q(r.time)} WHERE EXISTS (SELECT 1 FROM equipment WHERE id = ${q(r.item)}) ON CONFLICT DO NOTHING;`,
    );
  }
  // MS5's maintenance schedules on Bagger 1 (ids are UUIDs: MS5's routes take UUIDs), relative to
  // today so the board shows one overdue, one under way, one ahead and one done last week.
  const rel = (hours) => q(new Date(Date.now() + hours * 3_600_000).toISOString());
  const maint = (n) => q(`00000000-0000-4000-c000-${String(n).padStart(12, "0")}`);
  sql.push(
    `INSERT INTO equipment_maintenance (id, equipment_id, maintenance_type, priority, scheduled_at, estimated_duration_minutes, description, status, assigned_to, notes, completed_at, completed_by, actual_duration_minutes, created_by, created_at, updated_at, version)
SELECT v.* FROM (
  SELECT ${maint(1)}, 'demo-eq-ms5-bag1', 'preventive', 'medium', ${rel(24 * 12)}, 120, 'Quarterly belt and sealer inspection', 'scheduled', 'maintenance', NULL, NULL, NULL, NULL, 'maintenance', ${rel(-24 * 20)}, NULL, 1
  UNION ALL SELECT ${maint(2)}, 'demo-eq-ms5-bag1', 'calibration', 'high', ${rel(-40)}, 45, 'Check-weigher calibration (due every 30 days)', 'scheduled', 'maintenance', NULL, NULL, NULL, NULL, 'quality', ${rel(-24 * 9)}, NULL, 1
  UNION ALL SELECT ${maint(3)}, 'demo-eq-ms5-bag1', 'corrective', 'critical', ${rel(-1)}, 90, 'Replace worn sealer jaw heater', 'in_progress', 'maintenance', 'Spare heater taken from stores', NULL, NULL, NULL, 'shift_manager', ${rel(-2)}, ${rel(-1)}, 2
  UNION ALL SELECT ${maint(4)}, 'demo-eq-ms5-bag1', 'inspection', 'low', ${rel(-24 * 7)}, 30, 'Weekly guard and interlock inspection', 'completed', 'maintenance', 'All interlocks tripped as expected', ${rel(-24 * 7 + 0.5)}, 'maintenance', 25, 'maintenance', ${rel(-24 * 14)}, ${rel(-24 * 7 + 0.5)}, 2
) AS v WHERE EXISTS (SELECT 1 FROM equipment WHERE id = 'demo-eq-ms5-bag1') ON CONFLICT DO NOTHING;`,
  );
  ctx.sql(`${sql.join("\n")}\n`, "demo-equipment");

  const dir = join(ctx.root, ".wrangler", "demo-photos");
  mkdirSync(dir, { recursive: true });
  for (const p of photos) {
    const path = join(dir, p.key.split("/").pop());
    writeFileSync(path, p.bytes);
    ctx.putObject(p.key, path, "image/png");
  }
  console.log(`equipment demo: ${items.length} items (EQ001, BP01.PACK.BAG1, CC-0001…CC-0030), 2 issue reports with photos, 4 maintenance schedules`);
}
