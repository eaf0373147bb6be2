import { eq } from "drizzle-orm";
import hbSubset from "harfbuzzjs/dist/harfbuzz-subset.wasm";
import { andonEvents, downtimeEvents, productionCounts, productionLines, users } from "../../src/db/schema";
import reportFont from "../../workers/documents/generated/report-font.bin";
import type { ReportFont } from "../../workers/documents/report-pdf";
import { db, makeUser, unique } from "../helpers";

/** The font and subsetter the documents worker renders with. */
export const REPORT_FONT: ReportFont = { bytes: reportFont, subsetter: hbSubset };

/** The reporter's name, in Chinese, as it must come out of the PDF. */
export const REPORTER_NAME = "張偉明";
/** Traditional and Simplified: the font must carry both. */
export const LINE_NAME = "包裝線一號 包装线一号 Bagging 1";
export const DOWN_REASON = "卡膜 Film jam";
export const ANDON_TEXT = "包裝機停止 packer stopped";
export const ANDON_NOTES = "更換膜卷 replaced the roll";

/**
 * A line with hand-checkable figures on 2026-11-10 and 2026-11-11 (UTC), written straight to D1:
 * ideal cycle 2 s; day 1: 30,000 parts (28,500 good) counted at 10:00, an unplanned stop
 * 12:00–14:00, a planned stop 06:00–06:30, one andon at 10:00 acknowledged at 10:05 and
 * resolved at 10:35; day 2: 40,000 parts (39,000 good) at 08:00, no stops.
 */
export async function seedLine() {
  const reporter = await makeUser("operator");
  await db().update(users).set({ firstName: REPORTER_NAME, lastName: null }).where(eq(users.id, reporter.id));
  const lineId = crypto.randomUUID();
  const lineCode = unique("L-RPT");
  await db().batch([
    db().insert(productionLines).values({ id: lineId, lineCode, name: LINE_NAME, idealCycleTime: 2, status: "running" }),
    db()
      .insert(productionCounts)
      .values([
        {
          id: crypto.randomUUID(),
          lineId,
          periodStart: "2026-11-10T10:00:00.000Z",
          periodEnd: "2026-11-10T11:00:00.000Z",
          totalCount: 30000,
          goodCount: 28500,
          recordedBy: reporter.id,
        },
        {
          id: crypto.randomUUID(),
          lineId,
          periodStart: "2026-11-11T08:00:00.000Z",
          periodEnd: "2026-11-11T09:00:00.000Z",
          totalCount: 40000,
          goodCount: 39000,
          recordedBy: reporter.id,
        },
      ]),
    db()
      .insert(downtimeEvents)
      .values([
        {
          id: crypto.randomUUID(),
          lineId,
          reason: DOWN_REASON,
          category: "unplanned",
          startTime: "2026-11-10T12:00:00.000Z",
          endTime: "2026-11-10T14:00:00.000Z",
          reportedBy: reporter.id,
        },
        {
          id: crypto.randomUUID(),
          lineId,
          reason: "班前會議 Briefing",
          category: "planned",
          startTime: "2026-11-10T06:00:00.000Z",
          endTime: "2026-11-10T06:30:00.000Z",
          reportedBy: reporter.id,
        },
      ]),
    db().insert(andonEvents).values({
      id: crypto.randomUUID(),
      lineId,
      equipmentCode: "BP01.PACK.BAG1",
      eventType: "stop",
      priority: "high",
      description: ANDON_TEXT,
      status: "resolved",
      reportedBy: reporter.id,
      reportedAt: "2026-11-10T10:00:00.000Z",
      acknowledgedBy: reporter.id,
      acknowledgedAt: "2026-11-10T10:05:00.000Z",
      resolvedBy: reporter.id,
      resolvedAt: "2026-11-10T10:35:00.000Z",
      resolutionNotes: ANDON_NOTES,
    }),
  ]);
  return { lineId, lineCode };
}
