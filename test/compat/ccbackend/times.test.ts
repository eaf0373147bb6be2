/**
 * Issue 18.9: a Taipei browser (UTC+8) shows the same minute for CCbackend's two time formats:
 * RFC 1123 "GMT" strings (UPDATE_TIME, CC_STARTTIME; Flask's encoder) and plain text
 * (REPORT_TIME, PROCESS_TIME; the seed's strftime), which the client parses as local time.
 */
import { describe, expect, it } from "vitest";
import { httpDate } from "../../../src/compat/ccbackend/records";
import { reportTime } from "../../../src/compat/ccbackend/reports";
import { getConfig } from "../../../src/lib/config";

/** How a browser in UTC+8 reads each format. */
const inTaipei = {
  gmt: (s: string) => new Date(s).getTime(),
  local: (s: string) => new Date(`${s.replace(" ", "T")}+08:00`).getTime(),
};

describe("CCbackend times in a UTC+8 browser", () => {
  it("REPORT_TIME (plain text in CCBACKEND_TIME_ZONE) and UPDATE_TIME (GMT) name the same instant", () => {
    for (const iso of ["2026-12-03T14:53:00.000Z", "2026-12-31T20:00:05.000Z", "2027-01-01T00:00:00.000Z"]) {
      const text = reportTime(iso, "Asia/Taipei");
      const gmt = httpDate(iso);
      expect(text).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      expect(inTaipei.local(String(text))).toBe(inTaipei.gmt(String(gmt)));
      expect(inTaipei.local(String(text))).toBe(Date.parse(iso));
    }
    expect(reportTime("2026-12-03T14:53:00.000Z", "Asia/Taipei")).toBe("2026-12-03 22:53:00");
    expect(reportTime("2026-12-03T14:53:00.000Z")).toBe("2026-12-03 14:53:00");
    expect(reportTime(null, "Asia/Taipei")).toBeNull();
  });

  it("CCBACKEND_TIME_ZONE must be an IANA zone (default UTC)", () => {
    expect(getConfig({ JWT_SECRET: "x".repeat(64) } as object).CCBACKEND_TIME_ZONE).toBe("UTC");
    expect(() => getConfig({ JWT_SECRET: "x".repeat(64), CCBACKEND_TIME_ZONE: "Mars/Olympus" } as object)).toThrow();
  });
});

describe("httpDate (Flask's jsonify of a datetime)", () => {
  it("is exactly Date's toUTCString for stored instants (day part cached) and anything else", () => {
    // Instants spread over 1970–2096, seconds and milliseconds, plus day boundaries and leap days.
    const instants = Array.from({ length: 5_000 }, (_, i) => new Date(Math.floor(((i * 7919) % 5_000) * 8e8 + i * 1_234_567)).toISOString());
    instants.push("2024-02-29T23:59:59.999Z", "2026-12-31T00:00:00Z", "2027-01-01T00:00:00.000Z", "1970-01-01T00:00:00.000Z");
    for (const iso of instants) expect(httpDate(iso)).toBe(new Date(iso).toUTCString());
    // Not the stored form (a space, an offset, an impossible day): Date's own reading.
    for (const odd of ["2026-02-12 10:00:00", "2026-02-12T10:00:00+08:00", "2026-02-30T10:00:00Z", "0999-01-01T00:00:00Z", "not a date"]) {
      expect(httpDate(odd)).toBe(new Date(odd).toUTCString());
    }
    expect(httpDate(null)).toBeNull();
  });
});
