/**
 * MS5's equipment faults: an item's issue reports (CCbackend's `CC_REPORT`, the same records
 * `open_faults` counts) in the tablet's words. pending → active, processing → acknowledged,
 * completed → resolved, ignored → ignored. Acknowledge and resolve are conditional on the report's
 * version, so two engineers cannot both move the same fault.
 */
import { z } from "zod";
import type { ReportStatus } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { AppError } from "../../lib/errors";
import type { Page, PageParams } from "../../lib/pagination";
import type { Principal } from "../../types";
import type { IssueReport } from "../issue-reports/schemas";
import { getIssueReport, listIssueReports, processIssueReport } from "../issue-reports/service";

export const FAULT_STATUSES = ["active", "acknowledged", "resolved", "ignored"] as const;
type FaultStatus = (typeof FAULT_STATUSES)[number];
const TO_REPORT: Record<FaultStatus, ReportStatus> = { active: "pending", acknowledged: "processing", resolved: "completed", ignored: "ignored" };
const TO_FAULT: Record<ReportStatus, FaultStatus> = { pending: "active", processing: "acknowledged", completed: "resolved", ignored: "ignored" };

/** A fault as the tablet's equipment screens read it (their camelCase names beside MS5's snake_case). */
export const Fault = z
  .object({
    id: z.number().int(),
    equipment_code: z.string(),
    /** The item's code (the client names it `equipmentId`). */
    equipmentId: z.string(),
    fault_type: z.string(),
    faultCode: z.string(),
    description: z.string().nullable(),
    status: z.enum(FAULT_STATUSES),
    reported_by: z.string(),
    reportedBy: z.string(),
    start_time: z.string(),
    startTime: z.string(),
    /** When it was resolved or ignored. */
    endTime: z.string().nullable(),
    acknowledgedBy: z.string().nullable(),
    resolvedBy: z.string().nullable(),
    resolution: z.string().nullable(),
    version: z.number().int(),
  })
  .meta({ id: "Ms5EquipmentFault" });
export type Fault = z.infer<typeof Fault>;

export function toFault(r: IssueReport): Fault {
  const status = TO_FAULT[r.status];
  const closed = status === "resolved" || status === "ignored";
  return {
    id: r.id,
    equipment_code: r.equipment_code,
    equipmentId: r.equipment_code,
    fault_type: r.issue_type,
    faultCode: r.issue_type,
    description: r.description,
    status,
    reported_by: r.reporter,
    reportedBy: r.reporter,
    start_time: r.reported_at,
    startTime: r.reported_at,
    endTime: closed ? r.processed_at : null,
    acknowledgedBy: status === "acknowledged" ? r.processor : null,
    resolvedBy: closed ? r.processor : null,
    resolution: closed ? r.process_notes : null,
    version: r.version,
  };
}

/** Faults, newest first, of one item and/or one status. */
export async function listFaults(
  deps: Pick<Deps, "db">,
  query: PageParams & { equipment_code?: string | undefined; status?: FaultStatus | undefined },
): Promise<Page<Fault>> {
  const page = await listIssueReports(deps, {
    limit: query.limit,
    offset: query.offset,
    equipment_code: query.equipment_code,
    status: query.status === undefined ? undefined : TO_REPORT[query.status],
    open: false,
  });
  return { ...page, items: page.items.map(toFault) };
}

async function move(deps: Pick<Deps, "db" | "now">, id: number, from: readonly ReportStatus[], to: ReportStatus, notes: string | null, actor: Principal) {
  const current = await getIssueReport(deps, id);
  if (!from.includes(current.status)) {
    throw new AppError("CONFLICT", `Fault ${id} is ${TO_FAULT[current.status]}`, { details: { status: TO_FAULT[current.status] } });
  }
  const keepNotes = notes ?? current.process_notes;
  return toFault(await processIssueReport(deps, id, { status: to, process_notes: keepNotes, version: current.version }, actor));
}

/** An active fault is acknowledged (409 otherwise): the caller is its processor. */
export const acknowledgeFault = (deps: Pick<Deps, "db" | "now">, id: number, actor: Principal) => move(deps, id, ["pending"], "processing", null, actor);

/** An active or acknowledged fault is resolved with the notes (409 once resolved or ignored). */
export const resolveFault = (deps: Pick<Deps, "db" | "now">, id: number, notes: string | null, actor: Principal) =>
  move(deps, id, ["pending", "processing"], "completed", notes, actor);
