/**
 * OEE = Availability × Performance × Quality, as CONTRACTS.md gives MS5's formula. Pure: the
 * service gathers the inputs, tests check hand-computed cases here.
 *
 * - planned production time = the period (seconds);
 * - actual production time  = period − unplanned downtime (the union of unplanned stops inside
 *   the period, so overlapping reports are not counted twice); planned downtime is returned
 *   beside it but, as in MS5, not subtracted;
 * - A = actual production time / period (0 for an empty period);
 * - actual cycle time = actual production time / total parts (null without parts);
 * - P = ideal cycle time / actual cycle time, capped at 1 (0 without parts or run time);
 * - Q = good / total (0 without parts);
 * - the three factors and OEE are rounded to 4 places; OEE is the product of the unrounded
 *   factors, so rounding never compounds.
 */

export interface OeeInputs {
  periodSeconds: number;
  unplannedDowntimeSeconds: number;
  plannedDowntimeSeconds: number;
  totalParts: number;
  goodParts: number;
  /** Seconds per part at full speed (weighted over products when they differ); null if unknown. */
  idealCycleTime: number | null;
}

export interface OeeFigures {
  availability: number;
  performance: number;
  quality: number;
  oee: number;
  planned_production_time: number;
  actual_production_time: number;
  unplanned_downtime: number;
  planned_downtime: number;
  ideal_cycle_time: number | null;
  actual_cycle_time: number | null;
  good_parts: number;
  total_parts: number;
}

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;
const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** The OEE of one period from its inputs; never divides by zero. */
export function computeOee(i: OeeInputs): OeeFigures {
  const period = Math.max(0, i.periodSeconds);
  const unplanned = Math.min(period, Math.max(0, i.unplannedDowntimeSeconds));
  const running = period - unplanned;
  const availability = period > 0 ? running / period : 0;
  const actualCycle = i.totalParts > 0 && running > 0 ? running / i.totalParts : null;
  const performance = actualCycle !== null && i.idealCycleTime !== null && i.idealCycleTime > 0 ? Math.min(1, i.idealCycleTime / actualCycle) : 0;
  const quality = i.totalParts > 0 ? Math.min(1, Math.max(0, i.goodParts) / i.totalParts) : 0;
  return {
    availability: round4(availability),
    performance: round4(performance),
    quality: round4(quality),
    oee: round4(availability * performance * quality),
    planned_production_time: round3(period),
    actual_production_time: round3(running),
    unplanned_downtime: round3(unplanned),
    planned_downtime: round3(Math.min(period, Math.max(0, i.plannedDowntimeSeconds))),
    ideal_cycle_time: i.idealCycleTime === null ? null : round4(i.idealCycleTime),
    actual_cycle_time: actualCycle === null ? null : round4(actualCycle),
    good_parts: i.goodParts,
    total_parts: i.totalParts,
  };
}

/** Seconds of the union of `intervals` (ms since epoch) clipped to [from, to). */
export function unionSeconds(intervals: readonly [number, number][], from: number, to: number): number {
  const clipped = intervals
    .map(([a, b]): [number, number] => [Math.max(a, from), Math.min(b, to)])
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  let total = 0;
  let end = Number.NEGATIVE_INFINITY;
  for (const [a, b] of clipped) {
    const start = Math.max(a, end);
    if (b > start) total += b - start;
    end = Math.max(end, b);
  }
  return total / 1000;
}

/** One stop for {@link oeeOfWindow}: its category and its span (ms since epoch). */
export interface WindowStop {
  category: "planned" | "unplanned";
  startMs: number;
  endMs: number;
}

/** One count for {@link oeeOfWindow}: parts made, good ones, and its product's ideal cycle time. */
export interface WindowCount {
  total: number;
  good: number;
  /** Seconds per part of the count's product; null falls back to the line's. */
  ideal: number | null;
}

/**
 * The OEE of a line over [fromMs, toMs) from the counts in it and the stops overlapping it: each
 * count at its product's ideal cycle time or the line's (weighted by parts; unknown when any
 * count with parts has neither), stops clipped to the window and unioned per category. The one
 * assembly of OEE inputs, shared by the live figures and the production reports.
 */
export function oeeOfWindow(w: {
  fromMs: number;
  toMs: number;
  counts: readonly WindowCount[];
  stops: readonly WindowStop[];
  lineIdealCycleTime: number | null;
}): OeeFigures {
  let total = 0;
  let good = 0;
  let idealSeconds = 0;
  let idealKnown = true;
  for (const c of w.counts) {
    total += c.total;
    good += c.good;
    const ideal = c.ideal ?? w.lineIdealCycleTime;
    if (c.total > 0 && ideal === null) idealKnown = false;
    idealSeconds += c.total * (ideal ?? 0);
  }
  const intervals = (category: WindowStop["category"]) => w.stops.filter((s) => s.category === category).map((s): [number, number] => [s.startMs, s.endMs]);
  return computeOee({
    periodSeconds: (w.toMs - w.fromMs) / 1000,
    unplannedDowntimeSeconds: unionSeconds(intervals("unplanned"), w.fromMs, w.toMs),
    plannedDowntimeSeconds: unionSeconds(intervals("planned"), w.fromMs, w.toMs),
    totalParts: total,
    goodParts: good,
    idealCycleTime: total > 0 && idealKnown ? idealSeconds / total : w.lineIdealCycleTime,
  });
}
