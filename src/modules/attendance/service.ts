/**
 * Attendance: employees, clocking (RM365's toggle, by card, by fingerprint), logs, forgotten
 * clock-outs and their corrections (audited), and CSV export. Reports live in reports.ts.
 *
 * Clocking without interactive transactions: the caller reads the employee (and the credential
 * a reader presented), decides in or out, then writes one `db.batch`:
 *   UPDATE employee SET clock_state, clock_since, last_event_id = new
 *     WHERE id AND active AND last_event_id IS <the one read> [AND the credential is still active]
 *   INSERT event … WHERE changes() = 1
 *   (on an out) UPDATE the open 'in' SET closed_by = new WHERE the new event exists
 * Two taps that read the same state cannot both pass the first statement: the second finds
 * `last_event_id` moved and writes nothing (409). A card revoked between the read and the write
 * fails the same statement.
 */

export { clock, clockByCard, clockByFingerprint, clockObserved } from "./clocking";
export { closeOpenIn, countForgotten, editEventTime, listCorrections, listForgotten } from "./corrections";
export { createEmployee, getEmployee, listEmployees, updateEmployee } from "./employees";
export { exportLogsCsv, listLogs } from "./logs";
export { toEmployee, toLogEntry } from "./mappers";
