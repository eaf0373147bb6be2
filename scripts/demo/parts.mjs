// Demo parts: one in every category and status, with history, and one with a small STEP model
// (scripts/demo/models/cube.stp, the CAx-IF / occt-import-js test cube) whose conversion job is
// queued. Its message is sent the first time the model or its job is read (`GET
// /api/parts/900/model`): a job queued long ago and never started is re-queued on read.
// Part 900 also has a view thumbnail (view_0: scripts/demo/models/cube-view-0.png); part 901 an
// Onshape URL (its drawing is fetched once an Onshape app is configured and the user connected).
// Ids 900–909 are reserved for demo parts; re-running resets them.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** An Onshape drawing URL in the form parts carry (ids are placeholders). */
const DEMO_ONSHAPE_URL = "https://cad.onshape.com/documents/0123456789abcdef01234567/w/89abcdef0123456789abcdef/e/fedcba9876543210fedcba98";
const T0 = "2026-01-05T08:00:00.000Z";
const PARTS = [
  // id, type, name, partId, material, subsystem, assigned, status, category, notes, miscInfo
  [900, "cnc", "Demo cube (STEP model)", "DEMO-900", "6061 aluminium", "Drive", null, "Pending", "review", "Has a 3D model", null],
  [901, "cnc", "Drive gear", "DRV-001", "6061 aluminium", "Drive", null, "Pending", "review", "Check tooth profile", null],
  // (Part 901's onshape_url is set below.)
  [902, "hand", "Intake roller bracket", "INT-014", "Polycarbonate", "Intake", null, "Reviewed", "hand", null, { reviewer: "manager" }],
  [903, "cnc", "Elevator side plate", "ELV-003", "6061 aluminium", "Elevator", "operator", "In Progress", "cnc", "0.25in plate", null],
  [
    904,
    "hand",
    "Wire chain mount",
    "ELV-009",
    "Nylon",
    "Elevator",
    null,
    "Already Started",
    "hand",
    null,
    { handWorkers: [{ name: "technician", timestamp: T0 }] },
  ],
  [905, "misc", "Bumper frame", "BMP-001", "Plywood", "Chassis", null, "Reviewed", "misc", null, null],
  [906, "cnc", "Shooter hood", "SHT-002", "6061 aluminium", "Shooter", "engineer", "Completed", "completed", null, null],
  [907, "hand", "Climber hook", "CLB-004", "Steel", "Climber", "technician", "Completed", "completed", null, { completedIncorrectly: true }],
];

/** Seeds the demo parts (idempotent: rows 900–909 are replaced). */
export async function seed(ctx) {
  const { q } = ctx;
  const json = (v) => (v === null ? "NULL" : q(JSON.stringify(v)));
  const rows = PARTS.map(
    ([id, type, name, partId, material, subsystem, assigned, status, category, notes, misc]) =>
      `(${id}, ${q(type)}, ${q(name)}, ${q(partId)}, ${q(material)}, ${q(subsystem)}, ${assigned ? q(assigned) : "NULL"}, ${q(status)}, ${q(category)}, ${notes ? q(notes) : "NULL"}, ${json(misc)}, ${assigned ? q(T0) : "NULL"}, 1, ${q(T0)}, ${q(T0)})`,
  );
  const stepKey = "parts/files/demo-cube.step";
  const jobId = "00000000-0000-4000-8000-000000000900";
  ctx.putObject(stepKey, join(ctx.root, "scripts", "demo", "models", "cube.stp"), "model/step");
  const viewKey = "parts/views/demo-cube-view-0.png";
  const viewPath = join(ctx.root, "scripts", "demo", "models", "cube-view-0.png");
  ctx.putObject(viewKey, viewPath, "image/png");
  const view = readFileSync(viewPath);
  const viewSha = createHash("sha256").update(view).digest("hex");
  const history = [
    ["approve", 902, "review", "Pending", "hand", "Reviewed", null],
    ["approve", 903, "review", "Pending", "cnc", "Reviewed", null],
    ["assign", 903, "cnc", "Reviewed", "cnc", "In Progress", "operator"],
    ["approve", 906, "review", "Pending", "cnc", "Reviewed", null],
    ["assign", 906, "cnc", "Reviewed", "cnc", "In Progress", "engineer"],
    ["complete", 906, "cnc", "In Progress", "completed", "Completed", "engineer"],
  ].map(
    ([action, partId, fc, fs, tc, ts, assigned], i) =>
      `(${q(`00000000-0000-4000-8000-00000000${String(9100 + i)}`)}, ${partId}, ${q(action)}, ${q(fc)}, ${q(fs)}, ${q(tc)}, ${q(ts)}, ${assigned ? q(assigned) : "NULL"}, 'manager', ${q(T0)})`,
  );
  ctx.sql(
    [
      "DELETE FROM part_transitions WHERE part_id BETWEEN 900 AND 909;",
      "DELETE FROM part_views WHERE part_id BETWEEN 900 AND 909;",
      "DELETE FROM part_drawings WHERE part_id BETWEEN 900 AND 909;",
      "DELETE FROM conversion_jobs WHERE part_id BETWEEN 900 AND 909;",
      "DELETE FROM parts WHERE id BETWEEN 900 AND 909;",
      `INSERT INTO parts (id, type, name, part_id, material, subsystem, assigned, status, category, notes, misc_info, claimed_date, amount, created_at, updated_at) VALUES ${rows.join(",\n")};`,
      `UPDATE parts SET file = 'cube.stp', file_key = ${q(stepKey)}, file_kind = 'step', file_content_type = 'model/step', file_size = 8010 WHERE id = 900;`,
      `INSERT INTO part_views (part_id, n, key, content_type, size, sha256, created_at, updated_at) VALUES (900, 0, ${q(viewKey)}, 'image/png', ${view.length}, ${q(viewSha)}, ${q(T0)}, ${q(T0)});`,
      `UPDATE parts SET onshape_url = ${q(DEMO_ONSHAPE_URL)} WHERE id = 901;`,
      // Queued "long ago" and never started: the first read of its model re-sends its message.
      `INSERT INTO conversion_jobs (part_id, job_id, state, step_key, attempts, created_at) VALUES (900, ${q(jobId)}, 'queued', ${q(stepKey)}, 0, '2000-01-01T00:00:00.000Z');`,
      `INSERT INTO part_transitions (id, part_id, action, from_category, from_status, to_category, to_status, assigned, actor, created_at) VALUES ${history.join(",\n")};`,
      // Parts created through the API start above the reserved demo range (900–909), so a re-run
      // never deletes them.
      "UPDATE sqlite_sequence SET seq = 1000 WHERE name = 'parts' AND seq < 1000;",
    ].join("\n"),
    "demo-parts",
  );
}
