import { count, eq, inArray } from "drizzle-orm";
import { andonEvents, productionLines } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import type { LineLiveState } from "../../rooms/line-protocol";
import { FLOOR_ROOM } from "../../rooms/line-protocol";
import { currentOee } from "../oee/service";
import { roomLive } from "../production/live";
import { findLine, toLine } from "../production/service";

type DashDeps = Pick<Deps, "db" | "rooms" | "now">;

const toLive = (state: LineLiveState | undefined, seq: number) => ({
  seq,
  open_andons: Object.values(state?.andons ?? {}),
  active_jobs: Object.values(state?.jobs ?? {}),
  running_downtime: Object.values(state?.downtime ?? {}),
  equipment: Object.values(state?.equipment ?? {}),
  last_oee: state?.oee ?? null,
});

/**
 * Every enabled line with its live state. Lines come from D1 (the truth about which exist);
 * their live state from the floor room, one call for all lines, which holds what was last pushed.
 */
export async function dashboardLines(deps: DashDeps) {
  const [rows, live] = await Promise.all([
    deps.db.select().from(productionLines).where(eq(productionLines.enabled, true)).orderBy(productionLines.lineCode).limit(500),
    roomLive(deps, FLOOR_ROOM),
  ]);
  const items = rows.map((row) => ({ line: toLine(row), live: toLive(live.lines[row.id], live.seq) }));
  return { items, total: items.length };
}

/** One line and what its own room holds now (its sequence number is the line room's). */
export async function dashboardLineStatus(deps: DashDeps, lineId: string) {
  const [row, live] = await Promise.all([findLine(deps, lineId), roomLive(deps, lineId, lineId)]);
  return { line: toLine(row), live: toLive(live.lines[lineId], live.seq) };
}

/** A line's OEE today so far (from D1) and the last figure its room pushed. */
export async function dashboardLineOee(deps: DashDeps, lineId: string) {
  const [current, live] = await Promise.all([currentOee(deps, lineId), roomLive(deps, lineId, lineId)]);
  return { line_id: lineId, current, last_pushed: live.lines[lineId]?.oee ?? null };
}

/** Floor totals: lines by status and open andons from D1; active jobs and running stops from the floor room. */
export async function dashboardSummary(deps: DashDeps) {
  const { db } = deps;
  const [[lines, andons], live] = await Promise.all([
    db.batch([
      db.select({ status: productionLines.status, n: count() }).from(productionLines).where(eq(productionLines.enabled, true)).groupBy(productionLines.status),
      db
        .select({ priority: andonEvents.priority, status: andonEvents.status, n: count() })
        .from(andonEvents)
        .where(inArray(andonEvents.status, ["open", "acknowledged", "escalated"]))
        .groupBy(andonEvents.priority, andonEvents.status),
    ]),
    roomLive(deps, FLOOR_ROOM),
  ]);
  const byStatus: Record<string, number> = {};
  for (const l of lines) byStatus[l.status] = l.n;
  const byPriority: Record<string, number> = {};
  let escalated = 0;
  for (const a of andons) {
    byPriority[a.priority] = (byPriority[a.priority] ?? 0) + a.n;
    if (a.status === "escalated") escalated += a.n;
  }
  const states = Object.values(live.lines);
  return {
    lines: { total: lines.reduce((n, l) => n + l.n, 0), by_status: byStatus },
    andons: { open: andons.reduce((n, a) => n + a.n, 0), by_priority: byPriority, escalated },
    jobs: { active: states.reduce((n, s) => n + Object.keys(s.jobs).length, 0) },
    running_downtime: states.reduce((n, s) => n + Object.keys(s.downtime).length, 0),
    generated_at: deps.now().toISOString(),
  };
}
