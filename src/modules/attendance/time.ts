/**
 * Plant time: shifts and "days" are read in the plant's time zone (ATTENDANCE_TIME_ZONE), with
 * the runtime's Intl time-zone data and no library. Instants stay ISO 8601 UTC everywhere else.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-GB", {
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
  }
  return f;
}

/** Whether the runtime knows a time zone name (IANA, e.g. `Europe/London`). */
export function isTimeZone(name: string): boolean {
  try {
    formatter(name);
    return true;
  } catch {
    return false;
  }
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The wall-clock reading of an instant in a time zone, from Intl (the reference; costly per call). */
function intlWallClock(instant: Date, timeZone: string): WallClock {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(instant)) if (p.type !== "literal") parts[p.type] = Number(p.value);
  return { year: parts.year ?? 0, month: parts.month ?? 0, day: parts.day ?? 0, hour: parts.hour ?? 0, minute: parts.minute ?? 0, second: parts.second ?? 0 };
}

const HOUR = 3_600_000;
/** Instants read without Intl: 1001-01-01 to 9998-12-31 UTC (a day's margin for any offset). */
const FAST_FROM = Date.UTC(1001, 0, 1);
const FAST_TO = Date.UTC(9998, 11, 31);
/** Hours remembered per zone before the memo starts again (a log page touches a handful). */
const MEMO_HOURS = 4096;
/** Per zone: UTC hour (ms since the epoch ÷ HOUR) → the zone's offset through that whole hour, or NaN if it changes inside it. */
const hourOffsets = new Map<string, Map<number, number>>();

/** Offset from UTC (ms) at a whole-second instant, read through Intl. */
function intlOffset(second: number, timeZone: string): number {
  const w = intlWallClock(new Date(second), timeZone);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - second;
}

/**
 * The zone's offset at `ms` when it holds for the whole UTC hour around it (read through Intl
 * once per zone and hour: at the hour's first and last second), else undefined. Offsets change
 * on whole seconds, so equal readings at both ends mean no change inside the hour.
 */
function hourOffset(ms: number, timeZone: string): number | undefined {
  let memo = hourOffsets.get(timeZone);
  if (!memo) {
    memo = new Map();
    hourOffsets.set(timeZone, memo);
  }
  const hour = Math.floor(ms / HOUR);
  let offset = memo.get(hour);
  if (offset === undefined) {
    const start = hour * HOUR;
    const first = intlOffset(start, timeZone);
    offset = intlOffset(start + HOUR - 1000, timeZone) === first ? first : Number.NaN;
    if (memo.size >= MEMO_HOURS) memo.clear();
    memo.set(hour, offset);
  }
  return Number.isNaN(offset) ? undefined : offset;
}

/**
 * The wall-clock reading of an instant in a time zone. The same as Intl's (test/attendance/
 * time.test.ts compares them across DST changes), but Intl is read once per zone and UTC hour,
 * not per instant: a log page of 50 rows formatted 50 dates (bench/README.md).
 */
export function wallClock(instant: Date, timeZone: string): WallClock {
  const ms = instant.getTime();
  // Years 1000–9999 only (Date.UTC reads years 0–99 as 19xx; Intl's year has no era): others go to Intl.
  const offset = ms >= FAST_FROM && ms <= FAST_TO ? hourOffset(ms, timeZone) : undefined;
  if (offset === undefined) return intlWallClock(instant, timeZone);
  // Intl shows whole seconds (it truncates the milliseconds): the same from the shifted second.
  const wall = new Date(Math.floor(ms / 1000) * 1000 + offset);
  return {
    year: wall.getUTCFullYear(),
    month: wall.getUTCMonth() + 1,
    day: wall.getUTCDate(),
    hour: wall.getUTCHours(),
    minute: wall.getUTCMinutes(),
    second: wall.getUTCSeconds(),
  };
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** The plant date (`YYYY-MM-DD`) an instant falls on. */
export function plantDate(instant: Date, timeZone: string): string {
  const w = wallClock(instant, timeZone);
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}`;
}

/** The plant time (`HH:MM:SS`) of an instant. */
export function plantTime(instant: Date, timeZone: string): string {
  const w = wallClock(instant, timeZone);
  return `${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}`;
}

/** `plantDate` and `plantTime` from one reading of the zone (a log row shows both; Intl is the costly part). */
export function plantDateTime(instant: Date, timeZone: string): { date: string; time: string } {
  const w = wallClock(instant, timeZone);
  return { date: `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}`, time: `${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}` };
}

/** Offset of the zone from UTC at an instant, in milliseconds (London in summer: +3,600,000). */
function offsetAt(instant: number, timeZone: string): number {
  const w = wallClock(new Date(instant), timeZone);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant a plant wall-clock time names: `date` (`YYYY-MM-DD`) at `minutes` after local
 * midnight. In a spring-forward gap the time does not exist and the instant after the gap is
 * returned; in an autumn overlap, one of the two (shift times are never set inside one).
 */
export function plantInstant(date: string, minutes: number, timeZone: string): Date {
  const [y, m, d] = date.split("-").map(Number);
  const wall = Date.UTC(y ?? 1970, (m ?? 1) - 1, d ?? 1, 0, minutes);
  // Two passes settle on the offset in force at the answer (they differ only across a change).
  let guess = wall - offsetAt(wall, timeZone);
  const second = wall - offsetAt(guess, timeZone);
  if (second !== guess) {
    // Across a change: the earlier candidate if it reads back as the wall time (overlap), else
    // the later one (gap).
    const earlier = Math.min(guess, second);
    guess = earlier + offsetAt(earlier, timeZone) === wall ? earlier : Math.max(guess, second);
  }
  return new Date(guess);
}

/** The UTC instants bounding a plant day: [start, end). 23 or 25 hours long on DST days. */
export function plantDayBounds(date: string, timeZone: string): { start: Date; end: Date } {
  return { start: plantInstant(date, 0, timeZone), end: plantInstant(addDays(date, 1), 0, timeZone) };
}

/** `YYYY-MM-DD` plus n days (calendar arithmetic, no time zone involved). */
export function addDays(date: string, n: number): string {
  const t = new Date(`${date}T00:00:00Z`);
  t.setUTCDate(t.getUTCDate() + n);
  return t.toISOString().slice(0, 10);
}

/** ISO weekday of a calendar date: 1 Monday … 7 Sunday. */
export function isoWeekday(date: string): number {
  const day = new Date(`${date}T00:00:00Z`).getUTCDay();
  return day === 0 ? 7 : day;
}

/** The Monday of the ISO week a date falls in. */
export const weekStart = (date: string): string => addDays(date, 1 - isoWeekday(date));

/** Calendar days from `from` to `to` inclusive (0 when `to` is before `from`). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1;
}

/** `HH:MM` → minutes after midnight. */
export function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(":").map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}
