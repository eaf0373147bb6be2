/**
 * Parts: CRUD, search, the lifecycle state machine with its history, stats and the leaderboard.
 * Both surfaces (`/api/v1/parts` and seed 001/002's `/api/parts`) call these functions; they
 * return the v1 shape, which the compat surface renames.
 */
import { and, asc, eq, type SQL, sql } from "drizzle-orm";
import {
  conversionJobs,
  type MiscInfo,
  type PartAction,
  type PartCategory,
  type PartStatus,
  type PartType,
  partDrawings,
  parts,
  partTransitions,
  partViews,
} from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { AppError } from "../../lib/errors";
import { purgeFiles, queueFileDeletionsOf } from "../../lib/files";
import { type Page, paginate } from "../../lib/pagination";
import { actorOf } from "../../lib/principal";
import { hasPermission } from "../../lib/rbac";
import { afterOneChange, insertWhere, likePattern, likePlaceholder, type PagedRead, pagedRead, type ReadRow } from "../../lib/sql";
import type { Principal } from "../../types";
import type { ListPartsInput, Part, PartFields, PartStats, TransitionInput, UpdatePartInput } from "./schemas";

export type PartRow = typeof parts.$inferSelect;
type TransitionRow = typeof partTransitions.$inferSelect;

/** The 404 for a part id that does not exist. */
export const partNotFound = () => new AppError("NOT_FOUND", "Part not found", { reason: "part_not_found" });

// ---------------------------------------------------------------------------------------------
// The state machine

/** The fabrication category a part of `type` belongs in once reviewed. */
export const fabCategoryOf = (type: PartType): PartCategory => type;

/** Which actions are legal in a part's current state. */
export function allowedActions(part: Pick<PartRow, "category" | "assigned" | "status">): PartAction[] {
  if (part.category === "review") return ["approve"];
  if (part.category === "completed") return ["revert"];
  const start: PartAction[] = part.status === "In Progress" ? [] : ["start"];
  return part.assigned === null ? ["assign", ...start, "complete"] : ["assign", ...start, "unclaim", "complete"];
}

interface Planned {
  set: Partial<Pick<PartRow, "status" | "category" | "assigned" | "claimedDate" | "miscInfo">> & { status: PartStatus; category: PartCategory };
}

const mergeMisc = (base: MiscInfo | null, extra: MiscInfo | undefined): MiscInfo | null => {
  if (!extra) return base;
  const merged = { ...(base ?? {}), ...extra };
  return Object.keys(merged).length > 0 ? merged : null;
};

/**
 * Plans one transition: the new state and its side effects, or a 409 naming the current state
 * and the legal actions (seed 001/002's `revert` on a part that is not completed keeps its 400).
 */
export function planTransition(part: PartRow, input: TransitionInput, now: Date): Planned {
  const allowed = allowedActions(part);
  if (!allowed.includes(input.action)) {
    const details = { action: input.action, category: part.category, status: part.status, allowed_actions: allowed };
    if (input.action === "revert") throw new AppError("CONFLICT", "Part is not completed", { reason: "part_not_completed", details });
    throw new AppError("CONFLICT", `Cannot ${input.action} a part in '${part.category}' (${part.status}); allowed: ${allowed.join(", ") || "none"}`, {
      reason: "transition_not_allowed",
      details,
    });
  }
  const iso = now.toISOString();
  switch (input.action) {
    case "approve": {
      const extra: MiscInfo = { ...(input.misc_info ?? {}), ...(input.reviewer ? { reviewer: input.reviewer } : {}) };
      return { set: { status: "Reviewed", category: fabCategoryOf(part.type), miscInfo: mergeMisc(part.miscInfo, extra) } };
    }
    case "assign": {
      let miscInfo = part.miscInfo;
      if (part.type === "hand") {
        const previous = part.miscInfo?.handWorkers;
        const workers = Array.isArray(previous) ? previous : [];
        miscInfo = { ...(part.miscInfo ?? {}), handWorkers: [...workers, { name: input.assigned, timestamp: iso }].slice(-200) };
      }
      return { set: { status: "In Progress", category: part.category, assigned: input.assigned, claimedDate: iso, miscInfo } };
    }
    case "start":
      // The clients' "Start" on a CNC or misc card: In Progress, the assignee (if any) kept.
      return { set: { status: "In Progress", category: part.category } };
    case "unclaim":
      return { set: { status: part.status === "In Progress" ? "Already Started" : "Pending", category: part.category, assigned: null, claimedDate: null } };
    case "complete":
      return { set: { status: "Completed", category: "completed", miscInfo: mergeMisc(part.miscInfo, input.misc_info) } };
    case "revert":
      return { set: { status: "In Progress", category: fabCategoryOf(part.type) } };
  }
}

// ---------------------------------------------------------------------------------------------
// Mappers and reads

/** The one place a part row becomes a response. */
export function toPart(row: PartView): Part {
  return {
    id: row.id,
    type: row.type,
    name: row.name,
    part_id: row.partId,
    material: row.material,
    material_thickness: row.materialThickness,
    subsystem: row.subsystem,
    assigned: row.assigned,
    status: row.status,
    category: row.category,
    notes: row.notes,
    file: row.file,
    onshape_url: row.onshapeUrl,
    claimed_date: row.claimedDate,
    misc_info: row.miscInfo,
    amount: row.amount,
    allowed_actions: allowedActions(row),
    version: row.version,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}

const toTransition = (row: TransitionRow) => ({
  id: row.id,
  action: row.action,
  from: { category: row.fromCategory, status: row.fromStatus },
  to: { category: row.toCategory, status: row.toStatus },
  assigned: row.assigned,
  actor: row.actor,
  at: row.at,
});

/** The part row, or 404 (reason `part_not_found`). */
export async function loadPart({ db }: Pick<Deps, "db">, id: number): Promise<PartRow> {
  const [row] = await db.select().from(parts).where(eq(parts.id, id)).limit(1);
  if (!row) throw partNotFound();
  return row;
}

/** One part. */
export async function getPart(deps: Pick<Deps, "db">, id: number): Promise<Part> {
  return toPart(await loadPart(deps, id));
}

const SORT_COLUMNS = { name: parts.name, status: parts.status, assigned: parts.assigned, created_at: parts.createdAt } as const;

/** The columns a part response is made of (`toPart` reads these and no other). */
const partColumns = {
  id: parts.id,
  type: parts.type,
  name: parts.name,
  partId: parts.partId,
  material: parts.material,
  materialThickness: parts.materialThickness,
  subsystem: parts.subsystem,
  assigned: parts.assigned,
  status: parts.status,
  category: parts.category,
  notes: parts.notes,
  file: parts.file,
  onshapeUrl: parts.onshapeUrl,
  claimedDate: parts.claimedDate,
  miscInfo: parts.miscInfo,
  amount: parts.amount,
  version: parts.version,
  createdAt: parts.createdAt,
  updatedAt: parts.updatedAt,
};
/** A part row as the lists read it (`PartRow` without the file's storage columns). */
export type PartView = ReadRow<typeof partColumns>;

/**
 * The part lists as paged reads (lib/sql.ts: page and total in one statement): SQL built once per combination of filter, sort
 * column and direction (values are placeholders), rows as D1 answers them (`misc_info` decoded),
 * mapped once by `toPart`. Every surface that lists parts (v1, by category, seed 001/002's
 * `/api/parts/` and Aerie's) comes through `listParts`.
 */
const listReads = new Map<string, PagedRead<PartView>>();
function partsRead(category: boolean, search: boolean, sortBy: ListPartsInput["sort_by"], sortOrder: ListPartsInput["sort_order"]) {
  const key = `${category}${search}${sortBy}${sortOrder}`;
  let read = listReads.get(key);
  if (!read) {
    const where = and(
      category ? sql`${parts.category} = ${sql.placeholder("category")}` : undefined,
      search ? likePlaceholder([parts.name, parts.notes, parts.subsystem, parts.assigned, parts.material, parts.partId], "search") : undefined,
    );
    const from = sql`from ${parts}${where ? sql` where ${where}` : sql``}`;
    // Text sorts ignore case ("alpha" before "Bravo"), as a person reading the board expects.
    const column = sortBy === "created_at" ? sql`${SORT_COLUMNS.created_at}` : sql`${SORT_COLUMNS[sortBy]} collate nocase`;
    const direction = sortOrder === "desc" ? sql`desc` : sql`asc`;
    read = pagedRead(partColumns, from, sql`order by ${column} ${direction}, ${parts.id} asc`);
    listReads.set(key, read);
  }
  return read;
}

/**
 * A page of parts: `category`, `search` (name, notes, subsystem, assigned, material, part id;
 * case-insensitive substring), sorted by `sort_by`/`sort_order` with the id as tiebreaker, and
 * the total: one D1 statement.
 */
export async function listParts({ d1 }: Pick<Deps, "d1">, input: ListPartsInput): Promise<Page<Part>> {
  const search = input.search?.trim();
  const read = partsRead(Boolean(input.category), Boolean(search), input.sort_by, input.sort_order);
  const values = { category: input.category, search: search ? likePattern(search) : undefined, limit: input.limit, offset: input.offset };
  const { rows, total } = await read.run(d1, values);
  return { items: rows.map(toPart), total, limit: input.limit, offset: input.offset };
}

/** Counts by category, by status and by assignment, in one query. */
export async function partStats({ db }: Pick<Deps, "db">): Promise<PartStats> {
  const n = (condition: SQL) => sql<number>`coalesce(sum(case when ${condition} then 1 else 0 end), 0)`.mapWith(Number);
  const [row] = await db
    .select({
      review: n(sql`${parts.category} = 'review'`),
      cnc: n(sql`${parts.category} = 'cnc'`),
      hand: n(sql`${parts.category} = 'hand'`),
      misc: n(sql`${parts.category} = 'misc'`),
      completed: n(sql`${parts.category} = 'completed'`),
      pending: n(sql`${parts.status} = 'Pending'`),
      inProgress: n(sql`${parts.status} = 'In Progress'`),
      completedStatus: n(sql`${parts.status} = 'Completed'`),
      assigned: n(sql`${parts.assigned} is not null`),
      total: sql<number>`count(*)`.mapWith(Number),
    })
    .from(parts);
  const r = row ?? { review: 0, cnc: 0, hand: 0, misc: 0, completed: 0, pending: 0, inProgress: 0, completedStatus: 0, assigned: 0, total: 0 };
  return {
    by_category: { review: r.review, cnc: r.cnc, hand: r.hand, misc: r.misc, completed: r.completed },
    by_status: { pending: r.pending, in_progress: r.inProgress, completed: r.completedStatus },
    assignment: { assigned: r.assigned, unassigned: r.total - r.assigned },
    total: r.total,
  };
}

/**
 * Aerie's leaderboard over completed parts: the assignee scores +1 (−1 when
 * `miscInfo.completedIncorrectly` is set), each earlier hand worker +0.5. Highest first.
 */
export async function leaderboard({ db }: Pick<Deps, "db">) {
  const rows = await db.select({ assigned: parts.assigned, miscInfo: parts.miscInfo }).from(parts).where(eq(parts.category, "completed"));
  const scores = new Map<string, number>();
  const add = (name: string, points: number) => scores.set(name, (scores.get(name) ?? 0) + points);
  for (const row of rows) {
    const misc = row.miscInfo ?? {};
    if (row.assigned) add(row.assigned, misc.completedIncorrectly ? -1 : 1);
    const workers = Array.isArray(misc.handWorkers) ? misc.handWorkers : [];
    for (const name of new Set(workers.map((w) => w.name))) if (name && name !== row.assigned) add(name, 0.5);
  }
  const board = [...scores].map(([name, score]) => ({ name, score })).sort((a, b) => b.score - a.score || a.name.localeCompare(b.name));
  return { leaderboard: board };
}

// ---------------------------------------------------------------------------------------------
// Writes

/** Creates a part in review (`Pending`). */
export async function createPart({ db }: Pick<Deps, "db">, input: PartFields, _actor: Principal): Promise<Part> {
  const [row] = await db
    .insert(parts)
    .values({
      type: input.type,
      name: input.name,
      partId: input.part_id,
      material: input.material,
      materialThickness: input.material_thickness ?? null,
      subsystem: input.subsystem,
      notes: input.notes ?? null,
      onshapeUrl: input.onshape_url ?? null,
      miscInfo: input.misc_info ?? null,
      amount: input.amount ?? 1,
    })
    .returning();
  if (!row) throw new Error("part insert returned nothing");
  return toPart(row);
}

const staleVersion = (current: PartRow) =>
  new AppError("CONFLICT", `Part ${current.id} has changed (now version ${current.version}); reload it and try again`, {
    reason: "stale_version",
    details: { version: current.version, category: current.category, status: current.status, allowed_actions: allowedActions(current) },
  });

/** The columns an edit writes: only the fields it carries. */
function fieldsToSet(patch: UpdatePartInput): Partial<typeof parts.$inferInsert> {
  const set: Partial<typeof parts.$inferInsert> = {};
  if (patch.type !== undefined) set.type = patch.type;
  if (patch.name !== undefined) set.name = patch.name;
  if (patch.part_id !== undefined) set.partId = patch.part_id;
  if (patch.material !== undefined) set.material = patch.material;
  if (patch.material_thickness !== undefined) set.materialThickness = patch.material_thickness;
  if (patch.subsystem !== undefined) set.subsystem = patch.subsystem;
  if (patch.notes !== undefined) set.notes = patch.notes;
  if (patch.onshape_url !== undefined) set.onshapeUrl = patch.onshape_url;
  if (patch.misc_info !== undefined) set.miscInfo = patch.misc_info;
  if (patch.amount !== undefined) set.amount = patch.amount;
  return set;
}

/** Edits a part's fields (not its lifecycle state). With `expectedVersion`, a stale write is 409. */
export async function updatePart(
  { db }: Pick<Deps, "db">,
  input: { id: number; patch: UpdatePartInput; expectedVersion?: number | undefined },
  _actor: Principal,
): Promise<Part> {
  const set = fieldsToSet(input.patch);
  const where = input.expectedVersion === undefined ? eq(parts.id, input.id) : and(eq(parts.id, input.id), eq(parts.version, input.expectedVersion));
  const [row] = await db
    .update(parts)
    .set({ ...set, version: sql`${parts.version} + 1` })
    .where(where)
    .returning();
  if (row) return toPart(row);
  throw staleVersion(await loadPart({ db }, input.id));
}

/**
 * What a status written through an edit means in the state machine (the Part Management
 * clients' `PUT {"status":…}`): the same status is no move; `In Progress` starts a fabrication
 * part (or reverts a completed one), `Completed` completes it and `Reviewed` approves it (which
 * needs `parts:review`). Anything else, or an action illegal in the part's state, is a 400
 * naming the state and the legal actions; nothing is written.
 */
export function transitionForStatus(part: PartRow, status: PartStatus, actor: Principal): TransitionInput | null {
  if (status === part.status) return null;
  const allowed = allowedActions(part);
  const action: PartAction | undefined =
    status === "In Progress"
      ? part.category === "completed"
        ? "revert"
        : "start"
      : status === "Completed"
        ? "complete"
        : status === "Reviewed"
          ? "approve"
          : undefined;
  const details = { status, category: part.category, current_status: part.status, allowed_actions: allowed };
  if (action === undefined || !allowed.includes(action)) {
    throw new AppError("BAD_REQUEST", `Cannot change the status of a part in '${part.category}' (${part.status}) to '${status}'`, {
      reason: "status_change_not_allowed",
      details,
    });
  }
  if (action === "approve" && !hasPermission(actor.permissions, "parts:review")) {
    throw new AppError("AUTHORIZATION_ERROR", "Permission 'parts:review' is required to approve a part", { reason: "forbidden", details });
  }
  return { action } as TransitionInput;
}

/**
 * Edits a part's fields and, with `status`, moves it through the state machine in the same
 * write (one version bump, one history row): an edit never half-applies.
 */
export async function editPart(
  deps: Pick<Deps, "db" | "now">,
  input: { id: number; patch: UpdatePartInput; status?: PartStatus | undefined },
  actor: Principal,
): Promise<Part> {
  if (input.status === undefined) return updatePart(deps, input, actor);
  const part = await loadPart(deps, input.id);
  const transition = transitionForStatus(part, input.status, actor);
  if (!transition) return updatePart(deps, { ...input, expectedVersion: part.version }, actor);
  return transitionPart(deps, { id: part.id, transition, expectedVersion: part.version, patch: input.patch }, actor);
}

/**
 * Deletes a part with its history, conversion job, views and cached drawing; its stored objects
 * (upload, GLB, view images, drawing PDF) are removed after the response. Every statement of the
 * batch holds only while the part is still at the version read, so a stale delete (409) changes
 * nothing, and the object keys come from the rows actually deleted. Every key is queued in the
 * file outbox (src/lib/files.ts) in the same batch and leaves it once R2 confirms, so an R2
 * failure or a crash leaves it to the hourly sweep instead of orphaning it.
 */
export async function deletePart(
  { db, files, waitUntil }: Pick<Deps, "db" | "files" | "waitUntil">,
  input: { id: number; expectedVersion?: number | undefined },
  _actor: Principal,
): Promise<{ message: string }> {
  const part = await loadPart({ db }, input.id);
  if (input.expectedVersion !== undefined && part.version !== input.expectedVersion) throw staleVersion(part);
  const current = sql`exists (select 1 from ${parts} where ${parts.id} = ${part.id} and ${parts.version} = ${part.version})`;
  const [, , , , , , jobs, views, drawings, deleted] = await db.batch([
    db.delete(partTransitions).where(and(eq(partTransitions.partId, part.id), current)),
    // Every object of the part is recorded in the file outbox in the batch that drops its row.
    queueFileDeletionsOf(db, parts.fileKey, and(eq(parts.id, part.id), current)),
    queueFileDeletionsOf(db, conversionJobs.stepKey, and(eq(conversionJobs.partId, part.id), current)),
    queueFileDeletionsOf(db, conversionJobs.glbKey, and(eq(conversionJobs.partId, part.id), current)),
    queueFileDeletionsOf(db, partViews.key, and(eq(partViews.partId, part.id), current)),
    queueFileDeletionsOf(db, partDrawings.key, and(eq(partDrawings.partId, part.id), current)),
    db
      .delete(conversionJobs)
      .where(and(eq(conversionJobs.partId, part.id), current))
      .returning({ glbKey: conversionJobs.glbKey, stepKey: conversionJobs.stepKey }),
    db
      .delete(partViews)
      .where(and(eq(partViews.partId, part.id), current))
      .returning({ key: partViews.key }),
    db
      .delete(partDrawings)
      .where(and(eq(partDrawings.partId, part.id), current))
      .returning({ key: partDrawings.key }),
    db
      .delete(parts)
      .where(and(eq(parts.id, part.id), eq(parts.version, part.version)))
      .returning({ id: parts.id, fileKey: parts.fileKey }),
  ]);
  const gone = deleted[0];
  if (!gone) throw staleVersion(await loadPart({ db }, input.id));
  const keys = [gone.fileKey, ...jobs.flatMap((j) => [j.glbKey, j.stepKey]), ...views.map((v) => v.key), ...drawings.map((d) => d.key)].filter(
    (k): k is string => typeof k === "string",
  );
  if (keys.length > 0) waitUntil(purgeFiles({ db, files }, keys));
  return { message: "Part deleted successfully" };
}

/**
 * Runs one lifecycle action. The write is conditional on the version read, and the history row
 * is inserted in the same batch only if that write changed the row, so of two concurrent
 * transitions on one part exactly one wins; the other is a 409 with the state it lost to.
 */
export async function transitionPart(
  { db, now }: Pick<Deps, "db" | "now">,
  input: { id: number; transition: TransitionInput; expectedVersion?: number | undefined; patch?: UpdatePartInput | undefined },
  actor: Principal,
): Promise<Part> {
  const part = await loadPart({ db }, input.id);
  if (input.expectedVersion !== undefined && part.version !== input.expectedVersion) throw staleVersion(part);
  // Fields edited alongside (editPart) are planned against the part as it will be (its type).
  const fields = input.patch ? fieldsToSet(input.patch) : {};
  const { set } = planTransition({ ...part, ...fields } as PartRow, input.transition, now());
  const [updated] = await db.batch([
    db
      .update(parts)
      .set({ ...fields, ...set, version: sql`${parts.version} + 1` })
      .where(and(eq(parts.id, part.id), eq(parts.version, part.version)))
      .returning(),
    insertWhere(
      { db },
      partTransitions,
      {
        id: crypto.randomUUID(),
        partId: part.id,
        action: input.transition.action,
        fromCategory: part.category,
        fromStatus: part.status,
        toCategory: set.category,
        toStatus: set.status,
        assigned: set.assigned === undefined ? part.assigned : set.assigned,
        actor: actorOf(actor).name,
      },
      afterOneChange,
    ),
  ]);
  const row = updated[0];
  if (row) return toPart(row);
  throw staleVersion(await loadPart({ db }, input.id));
}

/** A part's transitions, oldest first. */
export async function partHistory({ db }: Pick<Deps, "db">, input: { id: number; limit: number; offset: number }) {
  await loadPart({ db }, input.id);
  const query = db.select().from(partTransitions).where(eq(partTransitions.partId, input.id)).$dynamic();
  const page = await paginate(db, query, input, { orderBy: [asc(partTransitions.at)], tiebreaker: partTransitions.id });
  return { ...page, items: page.items.map(toTransition) };
}
