/**
 * Plant wall clocks without Intl per instant: `wallClock` reads a zone's offset once per UTC
 * hour (bench/README.md, issue 20). It must agree with Intl's own reading everywhere, including
 * the hours a zone changes its offset: half-hour zones and changes (Lord Howe moves by 30
 * minutes, at :30 UTC), 45-minute offsets (Chatham), both hemispheres.
 */
import { describe, expect, it } from "vitest";
import { plantDateTime, wallClock } from "../../src/modules/attendance/time";

const ZONES = ["Europe/London", "America/New_York", "Australia/Lord_Howe", "Pacific/Chatham", "Asia/Kolkata", "America/St_Johns", "UTC"];

const formatters = new Map<string, Intl.DateTimeFormat>();
/** Intl's reading, computed here independently of time.ts. */
function reference(instant: Date, timeZone: string) {
  const f =
    formatters.get(timeZone) ??
    new Intl.DateTimeFormat("en-GB", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
  formatters.set(timeZone, f);
  const parts: Record<string, number> = {};
  for (const p of f.formatToParts(instant)) if (p.type !== "literal") parts[p.type] = Number(p.value);
  return parts;
}

/** The zone's offset from UTC at a whole second, from Intl. */
function offset(t: number, zone: string) {
  const w = reference(new Date(t), zone);
  return Date.UTC(w.year ?? 0, (w.month ?? 1) - 1, w.day, w.hour, w.minute, w.second) - t;
}

describe("wallClock", () => {
  it("agrees with Intl through a whole year in each zone, every 17 min 13.457 s (every change of offset included)", () => {
    const from = Date.UTC(2026, 0, 1);
    const to = Date.UTC(2027, 0, 1);
    const step = 17 * 60_000 + 13_457;
    for (const zone of ZONES) {
      for (let t = from; t < to; t += step) {
        const instant = new Date(t);
        const got = wallClock(instant, zone);
        const want = reference(instant, zone);
        if (
          got.year !== want.year ||
          got.month !== want.month ||
          got.day !== want.day ||
          got.hour !== want.hour ||
          got.minute !== want.minute ||
          got.second !== want.second
        ) {
          expect({ zone, at: instant.toISOString(), got }).toEqual({ zone, at: instant.toISOString(), got: want });
        }
      }
    }
  });

  it("agrees with Intl second by second across London's and Lord Howe's changes of 2026", () => {
    // London: 01:00 UTC on 29 March and 25 October. Lord Howe: +11 → +10:30 at 15:00 UTC on 4 April,
    // +10:30 → +11 at 15:30 UTC on 3 October.
    const changes: [string, number][] = [
      ["Europe/London", Date.UTC(2026, 2, 29, 1)],
      ["Europe/London", Date.UTC(2026, 9, 25, 1)],
      ["Australia/Lord_Howe", Date.UTC(2026, 3, 4, 15)],
      ["Australia/Lord_Howe", Date.UTC(2026, 9, 3, 15, 30)],
    ];
    for (const [zone, at] of changes) {
      // The offset really changes there (else this test would prove nothing).
      expect(offset(at - 1000, zone)).not.toBe(offset(at, zone));
      for (let t = at - 5_000; t <= at + 5_000; t += 250) {
        const instant = new Date(t);
        expect({ zone, at: instant.toISOString(), got: wallClock(instant, zone) }).toEqual({ zone, at: instant.toISOString(), got: reference(instant, zone) });
      }
    }
  });

  it("formats a log row's date and time as RM365 shows them", () => {
    // 23:59:59.999 UTC on 30 June is 00:59:59 on 1 July in London (summer time).
    expect(plantDateTime(new Date("2026-06-30T23:59:59.999Z"), "Europe/London")).toEqual({ date: "2026-07-01", time: "00:59:59" });
    expect(plantDateTime(new Date("2026-12-31T23:30:00.000Z"), "Asia/Kolkata")).toEqual({ date: "2027-01-01", time: "05:00:00" });
    // Outside the fast range, Intl answers.
    expect(plantDateTime(new Date("0500-06-01T12:00:00.000Z"), "UTC")).toEqual({ date: "0500-06-01", time: "12:00:00" });
  });
});
