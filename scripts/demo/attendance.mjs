// Demo attendance: eight employees in two departments, each with an NFC card (two also with a
// fingerprint template id), and the last seven plant days of clock events (Europe/London, shift
// 08:00-16:00, weekdays): one employee late on two days, one absent one day, and one forgotten
// clock-out (an 'in' never closed, followed by the next morning's 'in') for a manager to correct.
// Fixed ids and `ON CONFLICT DO NOTHING`: re-running adds nothing (the week stays the one of the
// first run).

const TZ = "Europe/London";
const EMPLOYEES = [
  ["E1001", "Alice Carter", "Assembly"],
  ["E1002", "Bilal Khan", "Assembly"],
  ["E1003", "Chloe Dubois", "Assembly"],
  ["E1004", "Dariusz Nowak", "Assembly"],
  ["E1005", "Elena Rossi", "Warehouse"],
  ["E1006", "Femi Adeyemi", "Warehouse"],
  ["E1007", "Grace Liu", "Warehouse"],
  ["E1008", "Hamish Reid", "Warehouse"],
];

const pad = (n, w = 2) => String(n).padStart(w, "0");
const uuid = (group, n) => `00000000-0000-4000-a${group}-${pad(n, 12)}`;

/** Minutes the plant zone is ahead of UTC at an instant (60 in British Summer Time). */
function offsetMinutes(instant) {
  const name =
    new Intl.DateTimeFormat("en-GB", { timeZone: TZ, timeZoneName: "shortOffset" }).formatToParts(instant).find((p) => p.type === "timeZoneName")?.value ??
    "GMT";
  const m = /GMT([+-])(\d+)(?::(\d+))?/.exec(name);
  return m ? (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0)) : 0;
}

/** The UTC instant of a plant date (YYYY-MM-DD) at minutes after plant midnight. */
function plantInstant(date, minutes) {
  const wall = Date.parse(`${date}T00:00:00Z`) + minutes * 60_000;
  const guess = wall - offsetMinutes(new Date(wall)) * 60_000;
  return new Date(wall - offsetMinutes(new Date(guess)) * 60_000);
}

const plantDate = (instant) => new Intl.DateTimeFormat("en-CA", { timeZone: TZ }).format(instant);
const addDays = (date, n) => new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
const weekday = (date) => new Date(`${date}T00:00:00Z`).getUTCDay(); // 0 Sunday

/** @param {{ sql: (text: string, name?: string) => void, q: (value: string) => string }} ctx */
export async function seed(ctx) {
  const { q } = ctx;
  const today = plantDate(new Date());
  const days = [];
  for (let i = 7; i >= 1; i--) {
    const d = addDays(today, -i);
    if (weekday(d) !== 0 && weekday(d) !== 6) days.push(d);
  }
  const employees = [];
  const cards = [];
  const fingerprints = [];
  const events = [];
  const state = [];
  let seq = 0;
  EMPLOYEES.forEach(([code, name, department], idx) => {
    const n = idx + 1;
    const id = uuid("100", n);
    employees.push({ id, code, name, department });
    cards.push(`(${q(uuid("200", n))}, ${q(id)}, ${q(`04A1B2C3D4E5${pad(n)}`)}, 'Demo NFC card')`);
    if (n <= 2) fingerprints.push(`(${q(uuid("300", n))}, ${q(id)}, ${q(`FP-${code}`)}, 1)`);
    let last = null;
    days.forEach((day, dayIdx) => {
      if (n === 3 && dayIdx === 1) return; // Chloe: absent one day
      // Minutes after plant midnight: 07:50-07:59 normally; Dariusz late (08:20) on two days.
      const inMin = n === 4 && dayIdx % 2 === 0 ? 8 * 60 + 20 : 7 * 60 + 50 + ((n * 7 + dayIdx * 3) % 10);
      const outMin = 16 * 60 + ((n * 5 + dayIdx) % 25);
      const inId = uuid("4" + pad(n, 2), ++seq);
      const outId = uuid("4" + pad(n, 2), ++seq);
      const inAt = plantInstant(day, inMin).toISOString();
      const forgotten = n === 6 && dayIdx === Math.min(2, days.length - 2);
      events.push({ id: inId, employeeId: id, direction: "in", at: inAt, closedBy: forgotten ? null : outId });
      last = { eventId: inId, state: "in", at: inAt };
      if (!forgotten) {
        const outAt = plantInstant(day, outMin).toISOString();
        events.push({ id: outId, employeeId: id, direction: "out", at: outAt, closedBy: null });
        last = { eventId: outId, state: "out", at: outAt };
      }
    });
    if (last) state.push({ employeeId: id, ...last });
  });
  const employeeRows = employees.map((e) => `(${q(e.id)}, ${q(e.code)}, ${q(e.name)}, ${q(e.department)}, 1, 'out', NULL, NULL)`);
  const eventRows = events.map(
    (e) => `(${q(e.id)}, ${q(e.employeeId)}, ${q(e.direction)}, ${q(e.at)}, 'card', NULL, ${e.closedBy ? q(e.closedBy) : "NULL"}, NULL, 'demo reader')`,
  );
  // Where each employee stands after the week; only set while the demo rows are untouched.
  const stateUpdates = state.map(
    (s) =>
      `UPDATE attendance_employees SET clock_state = ${q(s.state)}, clock_since = ${q(s.at)}, last_event_id = ${q(s.eventId)} WHERE id = ${q(s.employeeId)} AND last_event_id IS NULL;`,
  );
  ctx.sql(
    `INSERT INTO attendance_employees (id, code, name, department, active, clock_state, clock_since, last_event_id) VALUES\n${employeeRows.join(",\n")}\nON CONFLICT DO NOTHING;\n` +
      `INSERT INTO enrollment_cards (id, employee_id, uid, label) VALUES\n${cards.join(",\n")}\nON CONFLICT DO NOTHING;\n` +
      `INSERT INTO enrollment_fingerprints (id, employee_id, template_id, finger) VALUES\n${fingerprints.join(",\n")}\nON CONFLICT DO NOTHING;\n` +
      (eventRows.length
        ? `INSERT INTO attendance_events (id, employee_id, direction, at, source, credential_id, closed_by, actor_id, actor_name) VALUES\n${eventRows.join(",\n")}\nON CONFLICT DO NOTHING;\n`
        : "") +
      stateUpdates.join("\n"),
    "demo-attendance",
  );
}
