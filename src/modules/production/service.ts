import { and, desc, eq, getTableColumns, inArray, type SQL, sql } from "drizzle-orm";
import { jobAssignments, productionLines, productionSchedules, products, users } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { AppError, conflict, forbidden, notFound } from "../../lib/errors";
import { type PageParams, paginate } from "../../lib/pagination";
import { actorOf } from "../../lib/principal";
import { hasPermission } from "../../lib/rbac";
import { type PagedRead, pagedRead } from "../../lib/sql";
import type { Principal } from "../../types";
import { publishLine } from "./live";
import type { CreateJob, CreateLine, CreateProduct, CreateSchedule, Job, JobAction, Line, UpdateLine, UpdateProduct, UpdateSchedule } from "./schemas";
import { mayReadJob } from "./visibility";

type LineRow = typeof productionLines.$inferSelect;
type ProductRow = typeof products.$inferSelect;
type ScheduleRow = typeof productionSchedules.$inferSelect;
type JobRow = typeof jobAssignments.$inferSelect;
type JobStatus = JobRow["status"];

/** The user a principal acts for (an API key acts for its creator). */
export const actorId = (actor: Principal): string => actorOf(actor).userId;

// ---------------------------------------------------------------------------------------------
// Lines

/** A line row as the API returns it. */
export const toLine = (row: LineRow): Line => ({
  id: row.id,
  line_code: row.lineCode,
  name: row.name,
  description: row.description,
  equipment_codes: row.equipmentCodes,
  target_speed: row.targetSpeed,
  ideal_cycle_time: row.idealCycleTime,
  enabled: row.enabled,
  status: row.status,
  escalation_policy: row.escalationPolicy ?? null,
  version: row.version,
  created_at: row.createdAt,
  updated_at: row.updatedAt,
});

/** The line lists as paged reads (lib/sql.ts), built once per combination of filters (values are placeholders). */
const lineReads = new Map<string, PagedRead<LineRow>>();
function lineRead(enabled: boolean, status: boolean) {
  const key = `${enabled}${status}`;
  let read = lineReads.get(key);
  if (!read) {
    const where = and(
      enabled ? sql`${productionLines.enabled} = ${sql.placeholder("enabled")}` : undefined,
      status ? sql`${productionLines.status} = ${sql.placeholder("status")}` : undefined,
    );
    const from = sql`from ${productionLines}${where ? sql` where ${where}` : sql``}`;
    read = pagedRead(getTableColumns(productionLines), from, sql`order by ${productionLines.lineCode} asc, ${productionLines.id} asc`);
    lineReads.set(key, read);
  }
  return read;
}

/** Lists lines by code (then id), with the total: one D1 statement. */
export async function listLines({ d1 }: Pick<Deps, "d1">, q: PageParams & { enabled?: "true" | "false" | undefined; status?: LineRow["status"] | undefined }) {
  const read = lineRead(q.enabled !== undefined, q.status !== undefined);
  const { rows, total } = await read.run(d1, { enabled: q.enabled === "true" ? 1 : 0, status: q.status, limit: q.limit, offset: q.offset });
  return { items: rows.map(toLine), total, limit: q.limit, offset: q.offset };
}

/** The line row, or 404. Other domains (andon, OEE) use it to check a line exists. */
export async function findLine({ db }: Pick<Deps, "db">, id: string): Promise<LineRow> {
  const [row] = await db.select().from(productionLines).where(eq(productionLines.id, id)).limit(1);
  if (!row) throw notFound("Production line");
  return row;
}

/** Whether a line exists (the WebSocket upgrades check it: no room for a line that is not). */
export async function lineExists({ db }: Pick<Deps, "db">, id: string): Promise<boolean> {
  const [row] = await db.select({ id: productionLines.id }).from(productionLines).where(eq(productionLines.id, id)).limit(1);
  return row !== undefined;
}

/** One line. */
export async function getLine(deps: Pick<Deps, "db">, id: string): Promise<Line> {
  return toLine(await findLine(deps, id));
}

/** Creates a line (409 when its code is taken) and pushes its status to its room. */
export async function createLine(deps: Pick<Deps, "db" | "rooms" | "requestId">, input: CreateLine): Promise<Line> {
  const [row] = await deps.db
    .insert(productionLines)
    .values({
      id: crypto.randomUUID(),
      lineCode: input.line_code,
      name: input.name,
      description: input.description ?? null,
      equipmentCodes: [...new Set(input.equipment_codes ?? [])],
      targetSpeed: input.target_speed ?? null,
      idealCycleTime: input.ideal_cycle_time ?? null,
      enabled: input.enabled ?? true,
      status: input.status ?? "idle",
      escalationPolicy: input.escalation_policy ?? null,
    })
    .onConflictDoNothing()
    .returning();
  if (!row) throw conflict(`A production line with code '${input.line_code}' exists`);
  const line = toLine(row);
  await publishLine(deps, { type: "line_status_update", line_id: line.id, data: line });
  return line;
}

/**
 * Updates a line. With `expectedVersion` (If-Match) a stale write is 409 and changes nothing.
 * Every change is pushed as `line_status_update`.
 */
export async function updateLine(deps: Pick<Deps, "db" | "rooms" | "requestId">, id: string, input: UpdateLine, expectedVersion?: number): Promise<Line> {
  const set: Partial<typeof productionLines.$inferInsert> = {};
  if (input.name !== undefined) set.name = input.name;
  if (input.description !== undefined) set.description = input.description;
  if (input.equipment_codes !== undefined) set.equipmentCodes = [...new Set(input.equipment_codes)];
  if (input.target_speed !== undefined) set.targetSpeed = input.target_speed;
  if (input.ideal_cycle_time !== undefined) set.idealCycleTime = input.ideal_cycle_time;
  if (input.enabled !== undefined) set.enabled = input.enabled;
  if (input.status !== undefined) set.status = input.status;
  if (input.escalation_policy !== undefined) set.escalationPolicy = input.escalation_policy;
  const where = expectedVersion === undefined ? eq(productionLines.id, id) : and(eq(productionLines.id, id), eq(productionLines.version, expectedVersion));
  const [row] = await deps.db
    .update(productionLines)
    .set({ ...set, version: sql`${productionLines.version} + 1` })
    .where(where)
    .returning();
  if (!row) {
    const current = await findLine(deps, id);
    throw conflict("The line was changed by someone else; reload it", { current_version: current.version });
  }
  const line = toLine(row);
  await publishLine(deps, { type: "line_status_update", line_id: line.id, data: line });
  return line;
}

/** Deletes a line that no schedule refers to (409 otherwise: its history stays). */
export async function deleteLine(deps: Pick<Deps, "db">, id: string): Promise<{ id: string; deleted: true }> {
  const { db } = deps;
  const deleted = await db
    .delete(productionLines)
    .where(and(eq(productionLines.id, id), sql`not exists (select 1 from ${productionSchedules} where ${productionSchedules.lineId} = ${productionLines.id})`))
    .returning({ id: productionLines.id });
  if (deleted.length === 0) {
    await findLine(deps, id);
    throw conflict("The line has production schedules; disable it instead");
  }
  return { id, deleted: true };
}

// ---------------------------------------------------------------------------------------------
// Products

const toProduct = (row: ProductRow) => ({
  id: row.id,
  product_code: row.productCode,
  name: row.name,
  description: row.description,
  ideal_cycle_time: row.idealCycleTime,
  enabled: row.enabled,
  created_at: row.createdAt,
  updated_at: row.updatedAt,
});

/** Lists products by code. */
export async function listProducts({ db }: Pick<Deps, "db">, q: PageParams) {
  const page = await paginate(db, db.select().from(products).$dynamic(), q, { orderBy: [products.productCode], tiebreaker: products.id });
  return { ...page, items: page.items.map(toProduct) };
}

/** Creates a product (409 when its code is taken). */
export async function createProduct({ db }: Pick<Deps, "db">, input: CreateProduct) {
  const [row] = await db
    .insert(products)
    .values({
      id: crypto.randomUUID(),
      productCode: input.product_code,
      name: input.name,
      description: input.description ?? null,
      idealCycleTime: input.ideal_cycle_time ?? null,
      enabled: input.enabled ?? true,
    })
    .onConflictDoNothing()
    .returning();
  if (!row) throw conflict(`A product with code '${input.product_code}' exists`);
  return toProduct(row);
}

/** One product. */
export async function getProduct({ db }: Pick<Deps, "db">, id: string) {
  const [row] = await db.select().from(products).where(eq(products.id, id)).limit(1);
  if (!row) throw notFound("Product");
  return toProduct(row);
}

/** Updates a product's name, description, ideal cycle time or enabled flag. */
export async function updateProduct({ db }: Pick<Deps, "db">, id: string, input: UpdateProduct) {
  const set: Partial<typeof products.$inferInsert> = {};
  if (input.name !== undefined) set.name = input.name;
  if (input.description !== undefined) set.description = input.description;
  if (input.ideal_cycle_time !== undefined) set.idealCycleTime = input.ideal_cycle_time;
  if (input.enabled !== undefined) set.enabled = input.enabled;
  if (Object.keys(set).length === 0) return getProduct({ db }, id);
  const [row] = await db.update(products).set(set).where(eq(products.id, id)).returning();
  if (!row) throw notFound("Product");
  return toProduct(row);
}

// ---------------------------------------------------------------------------------------------
// Schedules

const toSchedule = (row: ScheduleRow) => ({
  id: row.id,
  line_id: row.lineId,
  product_id: row.productId,
  scheduled_start: row.scheduledStart,
  scheduled_end: row.scheduledEnd,
  target_quantity: row.targetQuantity,
  status: row.status,
  notes: row.notes,
  created_by: row.createdBy,
  created_at: row.createdAt,
  updated_at: row.updatedAt,
});

/** Lists schedules, soonest first. */
export async function listSchedules({ db }: Pick<Deps, "db">, q: PageParams & { line_id?: string | undefined; status?: ScheduleRow["status"] | undefined }) {
  const where: SQL[] = [];
  if (q.line_id) where.push(eq(productionSchedules.lineId, q.line_id));
  if (q.status) where.push(eq(productionSchedules.status, q.status));
  const query = db
    .select()
    .from(productionSchedules)
    .where(and(...where))
    .$dynamic();
  const page = await paginate(db, query, q, { orderBy: [productionSchedules.scheduledStart], tiebreaker: productionSchedules.id });
  return { ...page, items: page.items.map(toSchedule) };
}

/** Schedules a product on a line; both must exist (422 naming the field otherwise). */
export async function createSchedule({ db }: Pick<Deps, "db">, input: CreateSchedule, actor: Principal) {
  const [[line], [product]] = await db.batch([
    db.select({ id: productionLines.id }).from(productionLines).where(eq(productionLines.id, input.line_id)).limit(1),
    db.select({ id: products.id }).from(products).where(eq(products.id, input.product_id)).limit(1),
  ]);
  const missing = [
    ...(line ? [] : [{ path: "body.line_id", message: "No such production line" }]),
    ...(product ? [] : [{ path: "body.product_id", message: "No such product" }]),
  ];
  if (missing.length > 0) throw new AppError("VALIDATION_ERROR", `Invalid request body: ${missing[0]?.path} ${missing[0]?.message}`, { details: missing });
  const [row] = await db
    .insert(productionSchedules)
    .values({
      id: crypto.randomUUID(),
      lineId: input.line_id,
      productId: input.product_id,
      scheduledStart: new Date(input.scheduled_start).toISOString(),
      scheduledEnd: new Date(input.scheduled_end).toISOString(),
      targetQuantity: input.target_quantity,
      notes: input.notes ?? null,
      createdBy: actorId(actor),
    })
    .returning();
  if (!row) throw new Error("schedule insert returned nothing");
  return toSchedule(row);
}

/** One schedule. */
export async function getSchedule({ db }: Pick<Deps, "db">, id: string) {
  const [row] = await db.select().from(productionSchedules).where(eq(productionSchedules.id, id)).limit(1);
  if (!row) throw notFound("Production schedule");
  return toSchedule(row);
}

/**
 * Updates a schedule's times, quantity, status or notes. The end must stay after the start (the
 * stored one where only one side changes); the write is conditional on the times read, so a
 * concurrent change of them is 409 rather than a schedule that ends before it starts.
 */
export async function updateSchedule({ db }: Pick<Deps, "db">, id: string, input: UpdateSchedule) {
  const [current] = await db.select().from(productionSchedules).where(eq(productionSchedules.id, id)).limit(1);
  if (!current) throw notFound("Production schedule");
  const start = input.scheduled_start ? new Date(input.scheduled_start).toISOString() : current.scheduledStart;
  const end = input.scheduled_end ? new Date(input.scheduled_end).toISOString() : current.scheduledEnd;
  if (end <= start) {
    throw new AppError("VALIDATION_ERROR", "Invalid request body: body.scheduled_end Must be after scheduled_start", {
      details: [{ path: "body.scheduled_end", message: "Must be after scheduled_start" }],
    });
  }
  const set: Partial<typeof productionSchedules.$inferInsert> = { scheduledStart: start, scheduledEnd: end };
  if (input.target_quantity !== undefined) set.targetQuantity = input.target_quantity;
  if (input.status !== undefined) set.status = input.status;
  if (input.notes !== undefined) set.notes = input.notes;
  const [row] = await db
    .update(productionSchedules)
    .set(set)
    .where(
      and(
        eq(productionSchedules.id, id),
        eq(productionSchedules.scheduledStart, current.scheduledStart),
        eq(productionSchedules.scheduledEnd, current.scheduledEnd),
      ),
    )
    .returning();
  if (!row) throw conflict("The schedule's times were changed by someone else; reload it");
  return toSchedule(row);
}

// ---------------------------------------------------------------------------------------------
// Jobs: a state machine

/** Which action moves a job from which status to which. */
export const JOB_TRANSITIONS: Record<JobAction, { from: readonly JobStatus[]; to: JobStatus }> = {
  accept: { from: ["assigned"], to: "accepted" },
  start: { from: ["accepted", "paused"], to: "in_progress" },
  pause: { from: ["in_progress"], to: "paused" },
  complete: { from: ["in_progress"], to: "completed" },
  cancel: { from: ["assigned", "accepted", "in_progress", "paused"], to: "cancelled" },
};

/** The actions a job in `status` allows. */
export const allowedActions = (status: JobStatus): JobAction[] =>
  (Object.keys(JOB_TRANSITIONS) as JobAction[]).filter((action) => JOB_TRANSITIONS[action].from.includes(status));

const toJob = (row: JobRow): Job => ({
  id: row.id,
  schedule_id: row.scheduleId,
  line_id: row.lineId,
  user_id: row.userId,
  assigned_at: row.assignedAt,
  accepted_at: row.acceptedAt,
  started_at: row.startedAt,
  paused_at: row.pausedAt,
  completed_at: row.completedAt,
  cancelled_at: row.cancelledAt,
  status: row.status,
  notes: row.notes,
  allowed_actions: allowedActions(row.status),
  version: row.version,
});

/** Assigns a schedule's job to a user and pushes it (`job_update`) to the line. */
export async function assignJob(deps: Pick<Deps, "db" | "rooms" | "requestId" | "now">, input: CreateJob): Promise<Job> {
  const { db } = deps;
  const [[schedule], [user]] = await db.batch([
    db.select().from(productionSchedules).where(eq(productionSchedules.id, input.schedule_id)).limit(1),
    db.select({ id: users.id, isActive: users.isActive }).from(users).where(eq(users.id, input.user_id)).limit(1),
  ]);
  const missing = [
    ...(schedule ? [] : [{ path: "body.schedule_id", message: "No such schedule" }]),
    ...(user?.isActive ? [] : [{ path: "body.user_id", message: "No such active user" }]),
  ];
  if (!schedule || missing.length > 0)
    throw new AppError("VALIDATION_ERROR", `Invalid request body: ${missing[0]?.path} ${missing[0]?.message}`, { details: missing });
  const [row] = await db
    .insert(jobAssignments)
    .values({
      id: crypto.randomUUID(),
      scheduleId: schedule.id,
      lineId: schedule.lineId,
      userId: input.user_id,
      assignedAt: deps.now().toISOString(),
      notes: input.notes ?? null,
    })
    .returning();
  if (!row) throw new Error("job insert returned nothing");
  const job = toJob(row);
  await publishLine(deps, { type: "job_update", line_id: job.line_id, data: { ...job, action: "assigned" } });
  return job;
}

/** The jobs assigned to the caller, newest first. */
export async function myJobs({ db }: Pick<Deps, "db">, q: PageParams & { status?: JobStatus | undefined }, actor: Principal) {
  const where = [eq(jobAssignments.userId, actorId(actor))];
  if (q.status) where.push(eq(jobAssignments.status, q.status));
  return jobPage(db, where, q);
}

/** One page of jobs matching every condition, newest first. */
async function jobPage(db: Deps["db"], where: SQL[], q: PageParams) {
  const query = db
    .select()
    .from(jobAssignments)
    .where(and(...where))
    .$dynamic();
  const page = await paginate(db, query, q, { orderBy: [desc(jobAssignments.assignedAt)], tiebreaker: jobAssignments.id });
  return { ...page, items: page.items.map(toJob) };
}

/** Who may see or work a job: its assignee, or someone who assigns jobs. */
function assertMayTouch(row: JobRow, actor: Principal, action: JobAction | "read"): void {
  const manager = hasPermission(actor.permissions, "job:assign");
  if (action === "cancel" ? manager : manager || row.userId === actorId(actor)) return;
  throw forbidden(action === "cancel" ? "Only someone who assigns jobs may cancel one" : "This job is assigned to someone else");
}

async function findJob({ db }: Pick<Deps, "db">, id: string): Promise<JobRow> {
  const [row] = await db.select().from(jobAssignments).where(eq(jobAssignments.id, id)).limit(1);
  if (!row) throw notFound("Job assignment");
  return row;
}

/** One job: its assignee's, or anyone's for those who assign jobs (404 hides others' ids). */
export async function getJob(deps: Pick<Deps, "db">, id: string, actor: Principal): Promise<Job> {
  const row = await findJob(deps, id);
  if (!mayReadJob({ userId: actorId(actor), permissions: actor.permissions }, row.userId)) throw notFound("Job assignment");
  return toJob(row);
}

const illegal = (row: JobRow, action: JobAction) =>
  new AppError("CONFLICT", `Cannot ${action} a job that is ${row.status.replace("_", " ")}`, {
    reason: "illegal_transition",
    details: { status: row.status, action, allowed_actions: allowedActions(row.status) },
  });

/**
 * Moves a job through the state machine: assigned → accepted → in_progress ⇄ paused →
 * completed, or cancelled from any open state. An action the job's status does not allow is 409
 * with `allowed_actions`; the write is conditional on the status read (and on `expectedVersion`
 * when given), so two tablets racing cannot both win. Pushed as `job_update`.
 */
export async function transitionJob(
  deps: Pick<Deps, "db" | "rooms" | "requestId" | "now">,
  input: { id: string; action: JobAction; expectedVersion?: number | undefined },
  actor: Principal,
): Promise<Job> {
  const row = await findJob(deps, input.id);
  assertMayTouch(row, actor, input.action);
  const transition = JOB_TRANSITIONS[input.action];
  if (!transition.from.includes(row.status)) throw illegal(row, input.action);
  if (input.expectedVersion !== undefined && input.expectedVersion !== row.version) {
    throw conflict("The job was changed by someone else; reload it", { current_version: row.version, allowed_actions: allowedActions(row.status) });
  }
  const at = deps.now().toISOString();
  const stamp: Partial<typeof jobAssignments.$inferInsert> =
    input.action === "accept"
      ? { acceptedAt: at }
      : input.action === "start"
        ? { startedAt: row.startedAt ?? at, pausedAt: null }
        : input.action === "pause"
          ? { pausedAt: at }
          : input.action === "complete"
            ? { completedAt: at }
            : { cancelledAt: at };
  const [updated] = await deps.db
    .update(jobAssignments)
    .set({ ...stamp, status: transition.to, version: sql`${jobAssignments.version} + 1` })
    .where(and(eq(jobAssignments.id, row.id), eq(jobAssignments.version, row.version), inArray(jobAssignments.status, [row.status])))
    .returning();
  if (!updated) throw illegal(await findJob(deps, row.id), input.action);
  const job = toJob(updated);
  await publishLine(deps, { type: "job_update", line_id: job.line_id, data: { ...job, action: input.action } });
  return job;
}

/**
 * Jobs as a list: everyone's (filtered by line, status and assignee) for those who assign jobs,
 * the caller's own for everyone else (a `user_id` naming someone else then matches nothing).
 */
export async function listJobs(
  { db }: Pick<Deps, "db">,
  q: PageParams & { status?: JobStatus | undefined; line_id?: string | undefined; user_id?: string | undefined },
  actor: Principal,
) {
  const where: SQL[] = [];
  if (!hasPermission(actor.permissions, "job:assign")) where.push(eq(jobAssignments.userId, actorId(actor)));
  if (q.user_id) where.push(eq(jobAssignments.userId, q.user_id));
  if (q.line_id) where.push(eq(jobAssignments.lineId, q.line_id));
  if (q.status) where.push(eq(jobAssignments.status, q.status));
  return jobPage(db, where, q);
}

/**
 * Changes a job's notes (its assignee's, or anyone's for those who assign jobs); conditional on
 * `expectedVersion` when given (409 on a stale one). Pushed as `job_update` (`action: "updated"`).
 */
export async function updateJobNotes(
  deps: Pick<Deps, "db" | "rooms" | "requestId">,
  input: { id: string; notes: string | null; expectedVersion?: number | undefined },
  actor: Principal,
): Promise<Job> {
  const row = await findJob(deps, input.id);
  if (!hasPermission(actor.permissions, "job:assign") && row.userId !== actorId(actor)) throw notFound("Job assignment");
  const version = input.expectedVersion ?? row.version;
  const [updated] = await deps.db
    .update(jobAssignments)
    .set({ notes: input.notes, version: sql`${jobAssignments.version} + 1` })
    .where(and(eq(jobAssignments.id, row.id), eq(jobAssignments.version, version)))
    .returning();
  if (!updated) throw conflict("The job was changed by someone else; reload it", { current_version: row.version });
  const job = toJob(updated);
  await publishLine(deps, { type: "job_update", line_id: job.line_id, data: { ...job, action: "updated" } });
  return job;
}

/** Deletes a schedule that no job was assigned from (409 otherwise: cancel it instead). */
export async function deleteSchedule({ db }: Pick<Deps, "db">, id: string): Promise<void> {
  const [[schedule], [job]] = await db.batch([
    db.select({ id: productionSchedules.id }).from(productionSchedules).where(eq(productionSchedules.id, id)).limit(1),
    db.select({ id: jobAssignments.id }).from(jobAssignments).where(eq(jobAssignments.scheduleId, id)).limit(1),
  ]);
  if (!schedule) throw notFound("Production schedule");
  if (job) throw conflict("Jobs were assigned from this schedule; cancel it instead of deleting it");
  // The job check and the delete are one statement, so a job assigned in between keeps it.
  const deleted = await db
    .delete(productionSchedules)
    .where(and(eq(productionSchedules.id, id), sql`not exists (select 1 from ${jobAssignments} where ${jobAssignments.scheduleId} = ${id})`))
    .returning({ id: productionSchedules.id });
  if (deleted.length === 0) throw conflict("Jobs were assigned from this schedule; cancel it instead of deleting it");
}
