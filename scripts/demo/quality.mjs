// Demo data for MS5's checklists and quality screens (modules/quality, migration 0038), on the demo
// lines of production.mjs: two checklist templates (a start-of-shift safety check on L-BAG1 and a
// changeover check on L-FILL2), one run completed by `operator` with a signature and one pending,
// assigned to them; four inspections (completed and approved, completed awaiting review, in
// progress, scheduled for tomorrow) and three defects (open, investigating, resolved).
// Ids are UUIDs (MS5's routes take UUIDs); fixed, with ON CONFLICT DO NOTHING: safe to re-run.

const uuid = (n) => `00000000-0000-4000-b000-${String(n).padStart(12, "0")}`;

const SAFETY = [
  { id: "guards", title: "Machine guards closed and interlocks tested", required: true, type: "boolean" },
  { id: "estop", title: "Emergency stop tested", required: true, type: "boolean" },
  { id: "air", title: "Air pressure (bar)", required: true, type: "number", min_value: 5.5, max_value: 7 },
  { id: "film", title: "Film roll fitted", required: false, type: "select", options: ["new roll", "part roll", "none"] },
  { id: "remarks", title: "Remarks", required: false, type: "text" },
];
const CHANGEOVER = [
  { id: "clean", title: "Filler heads cleaned and rinsed", required: true, type: "boolean" },
  { id: "caps", title: "Cap size matches the job", required: true, type: "select", options: ["28 mm", "38 mm"] },
  { id: "fill", title: "First bottle fill weight (g)", required: true, type: "number", min_value: 495, max_value: 510 },
  { id: "label", title: "Label and lot code checked", required: true, type: "boolean" },
];

/** @param {{ sql: (text: string, name?: string) => void, q: (value: unknown) => string }} ctx */
export async function seed({ sql, q }) {
  const now = Date.now();
  const at = (hours) => q(new Date(now + hours * 3_600_000).toISOString());
  const json = (value) => q(JSON.stringify(value));
  const operator = "(SELECT id FROM users WHERE username_key = 'operator')";
  const responses = [
    { item_id: "guards", value: true, completed: true },
    { item_id: "estop", value: true, completed: true },
    { item_id: "air", value: 6.2, completed: true },
    { item_id: "film", value: "part roll", completed: true, notes: "About 40 % left" },
    { item_id: "remarks", value: null, completed: false },
  ];
  const measured = [
    { parameterName: "Seal strength", value: 42.5, unit: "N", status: "pass" },
    { parameterName: "Bag weight", value: 5.04, unit: "kg", status: "pass" },
    { parameterName: "Print legibility", value: "clear", status: "pass" },
  ];
  const marginal = [
    { parameterName: "Fill weight", value: 511.8, unit: "g", status: "warning", notes: "Above the 510 g limit on head 3" },
    { parameterName: "Cap torque", value: 1.9, unit: "N·m", status: "pass" },
    { parameterName: "Label position", value: "2 mm high", status: "fail" },
  ];
  sql(
    `INSERT INTO checklist_templates (id, name, description, line_id, equipment_codes, items, required_signature, is_active, created_by, created_at, updated_at) VALUES
  (${q(uuid(1))}, 'Start-of-shift safety check', 'Before the first bag of the shift', 'demo-line-bag1', '["BP01.PACK.BAG1"]', ${json(SAFETY)}, 1, 1, 'production_manager', ${at(-72)}, ${at(-72)}),
  (${q(uuid(2))}, '换线检查 Changeover check', 'Between products on the filler', 'demo-line-fill2', '[]', ${json(CHANGEOVER)}, 0, 1, 'quality', ${at(-48)}, ${at(-48)})
ON CONFLICT DO NOTHING;
INSERT INTO checklist_instances (id, template_id, job_id, line_id, equipment_code, assigned_to, status, responses, notes, signature, completed_by, completed_at, created_by, created_at, updated_at) VALUES
  (${q(uuid(11))}, ${q(uuid(1))}, 'demo-job-1', 'demo-line-bag1', 'BP01.PACK.BAG1', ${operator}, 'completed', ${json(responses)}, 'All good', 'operator (signed on the tablet)', 'operator', ${at(-3)}, 'shift_manager', ${at(-3.5)}, ${at(-3)}),
  (${q(uuid(12))}, ${q(uuid(2))}, 'demo-job-2', 'demo-line-fill2', NULL, ${operator}, 'pending', NULL, NULL, NULL, NULL, NULL, 'shift_manager', ${at(-0.5)}, ${at(-0.5)})
ON CONFLICT DO NOTHING;
INSERT INTO quality_inspections (id, line_id, product_type_id, inspection_type, status, scheduled_date, completed_date, inspector, results, overall_result, score, notes, completed_by, reviewed_by, reviewed_at, rejection_reason, created_by, created_at, updated_at, version) VALUES
  (${q(uuid(21))}, 'demo-line-bag1', 'PROD-001', 'routine', 'approved', ${at(-26)}, ${at(-25)}, 'quality', ${json(measured)}, 'pass', 96, 'Routine hourly check', 'quality', 'production_manager', ${at(-24)}, NULL, 'quality', ${at(-30)}, ${at(-24)}, 3),
  (${q(uuid(22))}, 'demo-line-fill2', 'PROD-003', 'spot', 'completed', ${at(-4)}, ${at(-3)}, 'quality', ${json(marginal)}, 'conditional', 71.5, 'Head 3 overfills; label applicator high', 'quality', NULL, NULL, NULL, 'quality', ${at(-5)}, ${at(-3)}, 2),
  (${q(uuid(23))}, 'demo-line-bag1', 'PROD-001', 'audit', 'in_progress', ${at(-1)}, NULL, 'quality', '[]', NULL, NULL, 'Monthly audit', NULL, NULL, NULL, NULL, 'production_manager', ${at(-6)}, ${at(-1)}, 2),
  (${q(uuid(24))}, 'demo-line-fill2', NULL, 'customer', 'scheduled', ${at(20)}, NULL, 'quality', '[]', NULL, NULL, 'Customer witness inspection', NULL, NULL, NULL, NULL, 'production_manager', ${at(-2)}, ${at(-2)}, 1)
ON CONFLICT DO NOTHING;
INSERT INTO quality_defects (id, line_id, inspection_id, defect_code, description, severity, category, quantity, location, root_cause, corrective_action, status, reported_by, resolved_by, resolved_at, resolution_notes, created_at, updated_at, version) VALUES
  (${q(uuid(31))}, 'demo-line-fill2', ${q(uuid(22))}, 'LBL-POS', 'Label applied 2 mm high', 'medium', 'aesthetic', 24, 'Labeller', NULL, NULL, 'open', 'quality', NULL, NULL, NULL, ${at(-3)}, ${at(-3)}, 1),
  (${q(uuid(32))}, 'demo-line-fill2', ${q(uuid(22))}, 'FILL-HI', 'Fill weight over limit on head 3', 'high', 'functional', 60, 'Filler head 3', 'Worn valve seal suspected', NULL, 'investigating', 'quality', NULL, NULL, NULL, ${at(-3)}, ${at(-2)}, 2),
  (${q(uuid(33))}, 'demo-line-bag1', NULL, 'SEAL-OPEN', 'Open side seal on bags', 'critical', 'safety', 12, 'Sealer jaw', 'Jaw temperature set 20 °C low after changeover', 'Setpoint restored; changeover checklist updated', 'resolved', 'operator', 'quality', ${at(-20)}, 'Bags from 10:00–10:20 quarantined and re-bagged', ${at(-22)}, ${at(-20)}, 2)
ON CONFLICT DO NOTHING;
`,
    "demo-quality",
  );
  console.log("quality demo: 2 checklists (1 run done, 1 pending for operator), 4 inspections, 3 defects");
}
