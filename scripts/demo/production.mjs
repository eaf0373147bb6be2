// Demo data for production, andon and OEE (seed 004): line L-BAG1 with equipment BP01.PACK.BAG1,
// a second line L-FILL2, products PROD-001…003, a schedule and three jobs for the demo operator,
// counts and downtime over the last three hours (so today's OEE is non-trivial), one open andon,
// one escalated twice and one answered through its escalation (MS5's escalations screen).
// Fixed ids and INSERT … ON CONFLICT DO NOTHING: safe to re-run (the first run's times stay).
//
// These rows go straight into D1: the line rooms hear of them only through later API calls, so the
// demo andon runs no escalation clock and the dashboards' live state fills as events arrive.

/** @param {{ sql: (text: string, name?: string) => void, q: (value: unknown) => string }} ctx */
export async function seed({ sql, q }) {
  const now = Date.now();
  const ago = (minutes) => q(new Date(now - minutes * 60_000).toISOString());
  const operator = "(SELECT id FROM users WHERE username_key = 'operator')";
  const manager = "(SELECT id FROM users WHERE username_key = 'production_manager')";
  const shift = "(SELECT id FROM users WHERE username_key = 'shift_manager')";
  const text = `
INSERT INTO production_lines (id, line_code, name, description, equipment_codes, target_speed, ideal_cycle_time, enabled, status) VALUES
  ('demo-line-bag1', 'L-BAG1', 'Bagging line 1', 'Seed 004 demo line', '["BP01.PACK.BAG1"]', 40, 1.5, 1, 'running'),
  ('demo-line-fill2', 'L-FILL2', '灌装线 2 (Filling line 2)', 'Second demo line', '["FL02.FILL.01","FL02.CAP.01"]', 30, 2, 1, 'idle')
ON CONFLICT DO NOTHING;
INSERT INTO products (id, product_code, name, description, ideal_cycle_time) VALUES
  ('demo-prod-001', 'PROD-001', 'Bag 5 kg', 'Demo product', 1.5),
  ('demo-prod-002', 'PROD-002', 'Bag 10 kg', 'Demo product', 2),
  ('demo-prod-003', 'PROD-003', '瓶装水 500 ml (bottled water)', 'Demo product', 1)
ON CONFLICT DO NOTHING;
INSERT INTO production_schedules (id, line_id, product_id, scheduled_start, scheduled_end, target_quantity, status, created_by) VALUES
  ('demo-sched-1', 'demo-line-bag1', 'demo-prod-001', ${ago(180)}, ${ago(-300)}, 12000, 'in_progress', ${manager}),
  ('demo-sched-2', 'demo-line-fill2', 'demo-prod-003', ${ago(-60)}, ${ago(-540)}, 20000, 'scheduled', ${manager})
ON CONFLICT DO NOTHING;
INSERT INTO job_assignments (id, schedule_id, line_id, user_id, status, assigned_at, accepted_at, started_at) VALUES
  ('demo-job-1', 'demo-sched-1', 'demo-line-bag1', ${operator}, 'in_progress', ${ago(200)}, ${ago(190)}, ${ago(180)}),
  ('demo-job-2', 'demo-sched-2', 'demo-line-fill2', ${operator}, 'assigned', ${ago(30)}, NULL, NULL),
  ('demo-job-3', 'demo-sched-1', 'demo-line-bag1', ${operator}, 'accepted', ${ago(20)}, ${ago(10)}, NULL)
ON CONFLICT DO NOTHING;
INSERT INTO production_counts (id, line_id, product_id, period_start, period_end, total_count, good_count, recorded_by) VALUES
  ('demo-count-1', 'demo-line-bag1', 'demo-prod-001', ${ago(180)}, ${ago(120)}, 2100, 2050, ${operator}),
  ('demo-count-2', 'demo-line-bag1', 'demo-prod-001', ${ago(120)}, ${ago(60)}, 1800, 1720, ${operator}),
  ('demo-count-3', 'demo-line-bag1', 'demo-prod-001', ${ago(60)}, ${ago(0)}, 2200, 2180, ${operator})
ON CONFLICT DO NOTHING;
INSERT INTO downtime_events (id, line_id, equipment_code, reason, category, start_time, end_time, reported_by) VALUES
  ('demo-down-1', 'demo-line-bag1', 'BP01.PACK.BAG1', 'Film jam', 'unplanned', ${ago(150)}, ${ago(135)}, ${manager}),
  ('demo-down-2', 'demo-line-bag1', NULL, 'Shift briefing', 'planned', ${ago(95)}, ${ago(85)}, ${manager})
ON CONFLICT DO NOTHING;
INSERT INTO andon_events (id, line_id, equipment_code, event_type, priority, description, status, reported_by, reported_at) VALUES
  ('demo-andon-1', 'demo-line-bag1', 'BP01.PACK.BAG1', 'material', 'medium', 'Film roll running low / 膜卷快用完', 'open', ${operator}, ${ago(5)})
ON CONFLICT DO NOTHING;
-- MS5's escalations screen: a critical stop nobody answered, climbed twice on its 2-minute
-- acknowledge clock (now with the production manager), and a quality call the shift manager
-- answered at level 1 (the escalation's acknowledge answers the andon too).
INSERT INTO andon_events (id, line_id, equipment_code, event_type, priority, description, status, escalation_level, reported_by, reported_at, acknowledged_by, acknowledged_at) VALUES
  ('demo-andon-2', 'demo-line-fill2', 'FL02.CAP.01', 'stop', 'critical', 'Capper stalled, line stopped / 旋盖机卡死', 'escalated', 2, ${operator}, ${ago(12)}, NULL, NULL),
  ('demo-andon-3', 'demo-line-bag1', 'BP01.PACK.BAG1', 'quality', 'high', 'Seal looks weak on the last pallet', 'acknowledged', 1, ${operator}, ${ago(40)}, ${shift}, ${ago(31)})
ON CONFLICT DO NOTHING;
INSERT INTO andon_escalations (id, event_id, level, escalated_to, reason, escalated_at, acknowledged_by, acknowledged_at) VALUES
  ('00000000-0000-4000-b100-000000000001', 'demo-andon-2', 1, 'shift_manager', 'acknowledge_timeout', ${ago(10)}, NULL, NULL),
  ('00000000-0000-4000-b100-000000000002', 'demo-andon-2', 2, 'production_manager', 'acknowledge_timeout', ${ago(8)}, NULL, NULL),
  ('00000000-0000-4000-b100-000000000003', 'demo-andon-3', 1, 'shift_manager', 'acknowledge_timeout', ${ago(35)}, ${shift}, ${ago(31)})
ON CONFLICT DO NOTHING;
`;
  await sql(text, "production");
}
