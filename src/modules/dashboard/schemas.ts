import { z } from "zod";
import { Code } from "../../lib/fields";
import { OeeResult } from "../oee/schemas";
import { Line } from "../production/schemas";

export const IdParam = z.object({ id: Code });

const Record = z.record(z.string(), z.unknown());

/** What the line's room holds now: pushed state, fresher than any D1 read. */
export const LiveState = z
  .object({
    /** The room's sequence number this state reflects (resubscribe with it as `last_seq`). */
    seq: z.number().int(),
    open_andons: z.array(Record),
    active_jobs: z.array(Record),
    running_downtime: z.array(Record),
    equipment: z.array(Record),
    last_oee: Record.nullable(),
  })
  .meta({ id: "LineLiveState" });

export const LineStatus = z.object({ line: Line, live: LiveState }).meta({ id: "DashboardLineStatus" });
export const DashboardLines = z.object({ items: z.array(LineStatus), total: z.number().int() });
export const LineOee = z.object({ line_id: z.string(), current: OeeResult, last_pushed: Record.nullable() }).meta({ id: "DashboardLineOee" });
export const Summary = z
  .object({
    lines: z.object({ total: z.number().int(), by_status: z.record(z.string(), z.number().int()) }),
    andons: z.object({ open: z.number().int(), by_priority: z.record(z.string(), z.number().int()), escalated: z.number().int() }),
    jobs: z.object({ active: z.number().int() }),
    running_downtime: z.number().int(),
    generated_at: z.string(),
  })
  .meta({ id: "DashboardSummary" });
