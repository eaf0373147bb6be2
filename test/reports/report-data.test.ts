import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { gatherReport, reportPeriods } from "../../workers/documents/report-data";
import { renderReportPdf } from "../../workers/documents/report-pdf";
import { ANDON_NOTES, ANDON_TEXT, DOWN_REASON, LINE_NAME, REPORT_FONT, REPORTER_NAME, seedLine } from "./fixtures";
import { pdfText } from "./pdf-text";

const NOW = new Date("2026-11-12T00:00:00.000Z");
const spec = (lineIds: string[], extra: Partial<Parameters<typeof gatherReport>[1]> = {}) => ({
  title: "生產報告 Production report",
  lineIds,
  startDate: "2026-11-10",
  endDate: "2026-11-11",
  groupBy: "day" as const,
  utcOffsetMinutes: 0,
  shiftStartHour: 6,
  ...extra,
});

describe("report periods", () => {
  it("cuts days on the plant's clock, or three 8-hour shifts from the shift start", () => {
    const days = reportPeriods({ startDate: "2026-11-10", endDate: "2026-11-11", groupBy: "day", utcOffsetMinutes: 480, shiftStartHour: 6 }, NOW);
    expect(days.map((p) => [p.label, p.start.toISOString(), p.end.toISOString()])).toEqual([
      ["2026-11-10", "2026-11-09T16:00:00.000Z", "2026-11-10T16:00:00.000Z"],
      ["2026-11-11", "2026-11-10T16:00:00.000Z", "2026-11-11T16:00:00.000Z"],
    ]);
    const shifts = reportPeriods({ startDate: "2026-11-10", endDate: "2026-11-10", groupBy: "shift", utcOffsetMinutes: 480, shiftStartHour: 6 }, NOW);
    expect(shifts.map((p) => [p.label, p.start.toISOString(), p.end.toISOString()])).toEqual([
      ["2026-11-10 A", "2026-11-09T22:00:00.000Z", "2026-11-10T06:00:00.000Z"],
      ["2026-11-10 B", "2026-11-10T06:00:00.000Z", "2026-11-10T14:00:00.000Z"],
      ["2026-11-10 C", "2026-11-10T14:00:00.000Z", "2026-11-10T22:00:00.000Z"],
    ]);
  });

  it("leaves out periods that have not begun and ends the current one now", () => {
    const periods = reportPeriods(
      { startDate: "2026-11-10", endDate: "2026-11-11", groupBy: "day", utcOffsetMinutes: 0, shiftStartHour: 6 },
      new Date("2026-11-10T12:00:00.000Z"),
    );
    expect(periods.map((p) => [p.label, p.end.toISOString()])).toEqual([["2026-11-10", "2026-11-10T12:00:00.000Z"]]);
  });
});

describe("report data", () => {
  it("per day: output, OEE and its factors as hand-computed, downtime by reason, andon response and resolution", async () => {
    const { lineId } = await seedLine();
    const data = await gatherReport(env.DB, spec([lineId]), NOW);
    expect(data.lines).toHaveLength(1);
    const [day1, day2] = data.lines[0]?.periods ?? [];
    // Day 1: A = (86400 − 7200) / 86400; cycle = 79200 / 30000 = 2.64 s; P = 2 / 2.64; Q = 0.95.
    expect(day1?.oee).toMatchObject({ total_parts: 30000, good_parts: 28500, availability: 0.9167, performance: 0.7576, quality: 0.95, oee: 0.6597 });
    expect(day1?.oee).toMatchObject({ unplanned_downtime: 7200, planned_downtime: 1800 });
    expect(day1?.downtime).toEqual([
      { reason: DOWN_REASON, category: "unplanned", events: 1, seconds: 7200 },
      { reason: "班前會議 Briefing", category: "planned", events: 1, seconds: 1800 },
    ]);
    expect(day1?.andon).toHaveLength(1);
    expect(day1?.andon[0]).toMatchObject({
      description: ANDON_TEXT,
      reportedBy: REPORTER_NAME,
      responseSeconds: 300,
      resolutionSeconds: 2100,
      resolutionNotes: ANDON_NOTES,
    });
    // Day 2: no stops; cycle = 86400 / 40000 = 2.16 s.
    expect(day2?.oee).toMatchObject({ total_parts: 40000, good_parts: 39000, availability: 1, performance: 0.9259, quality: 0.975, oee: 0.9028 });
    expect(day2?.andon).toEqual([]);
    // The whole range at once.
    expect(data.lines[0]?.total.oee).toMatchObject({
      total_parts: 70000,
      good_parts: 67500,
      availability: 0.9583,
      performance: 0.8454,
      quality: 0.9643,
      oee: 0.7813,
    });
  });

  it("per shift: the counts, stops and calls of shift B, performance capped at 1", async () => {
    const { lineId } = await seedLine();
    const data = await gatherReport(env.DB, spec([lineId], { groupBy: "shift", endDate: "2026-11-10", utcOffsetMinutes: 480 }), NOW);
    const [a, b, c] = data.lines[0]?.periods ?? [];
    expect([a?.label, b?.label, c?.label]).toEqual(["2026-11-10 A", "2026-11-10 B", "2026-11-10 C"]);
    // B = 06:00–14:00: 8 h less the 2 h stop; cycle = 21600 / 30000 = 0.72 s < 2 s ideal → P = 1.
    expect(b?.oee).toMatchObject({ total_parts: 30000, availability: 0.75, performance: 1, quality: 0.95, oee: 0.7125 });
    expect(b?.andon).toHaveLength(1);
    // A and C: no parts and no stops — zero output must not divide by zero.
    expect(a?.oee).toMatchObject({ total_parts: 0, availability: 1, performance: 0, quality: 0, oee: 0 });
    expect(c?.downtime).toEqual([]);
  });

  it("leaves out lines that no longer exist", async () => {
    const data = await gatherReport(env.DB, spec([crypto.randomUUID()]), NOW);
    expect(data.lines).toEqual([]);
  });
});

describe("report PDF", () => {
  it("parses, and its text (read through the font's ToUnicode map) holds the figures and the Chinese names", async () => {
    const { lineId, lineCode } = await seedLine();
    const data = await gatherReport(env.DB, spec([lineId]), NOW);
    const rendered = await renderReportPdf(data, REPORT_FONT);
    expect(rendered.missing).toEqual([]);
    const { pages, runs, fonts, blank } = await pdfText(rendered.pdf);
    // Every character drawn has an outline in the embedded font (not just a ToUnicode entry).
    expect(blank).toEqual([]);
    expect(pages).toBe(rendered.pages);
    expect(pages).toBeGreaterThanOrEqual(1);
    // One embedded font, cut to the characters drawn: the whole file is far smaller than the 2 MB font.
    expect(fonts).toHaveLength(1);
    expect(fonts[0]).toMatch(/^\/NotoSansSC-Regular/);
    expect(rendered.pdf.byteLength).toBeLessThan(200_000);
    const text = runs.flat();
    expect(text).toContain("生產報告 Production report");
    expect(text).toContain(`${lineCode} · ${LINE_NAME}`);
    expect(text).toContain(REPORTER_NAME);
    expect(text).toContain(DOWN_REASON);
    expect(text).toContain(ANDON_TEXT);
    expect(text).toContain(ANDON_NOTES);
    // Day 1's row: period, total, good, A, P, Q, OEE, unplanned and planned stop minutes, calls.
    const row = (label: string) => {
      const i = text.indexOf(label);
      return text.slice(i, i + 10);
    };
    expect(row("2026-11-10")).toEqual(["2026-11-10", "30000", "28500", "91.7%", "75.8%", "95.0%", "66.0%", "120.0", "30.0", "1"]);
    expect(row("2026-11-11")).toEqual(["2026-11-11", "40000", "39000", "100.0%", "92.6%", "97.5%", "90.3%", "0.0", "0.0", "0"]);
    expect(row("Whole range")).toEqual(["Whole range", "70000", "67500", "95.8%", "84.5%", "96.4%", "78.1%", "120.0", "30.0", "1"]);
    // The andon call: response 5 min, resolution 35 min.
    const call = text.indexOf(ANDON_TEXT);
    expect(text.slice(call + 1, call + 4)).toEqual([REPORTER_NAME, "5.0", "35.0"]);
  });

  it("draws characters outside the font subset as '?' and reports them, without failing", async () => {
    const { lineId } = await seedLine();
    const data = await gatherReport(env.DB, spec([lineId], { title: "Report 𪚥 🏭 ok" }), NOW);
    const rendered = await renderReportPdf(data, REPORT_FONT);
    expect(rendered.missing).toEqual(["𪚥", "🏭"]);
    const { runs } = await pdfText(rendered.pdf);
    expect(runs.flat()).toContain("Report ? ? ok");
  });
});
