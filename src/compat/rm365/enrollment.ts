/**
 * RM365's enrollment screen (`/api/v1/enrollment/…` as its backend served it): employees as a
 * bare array with integer ids, `{status, employee}` envelopes, cards saved and deleted by
 * employee, fingerprints by template bytes. A thin adapter over the attendance and enrollment
 * services; every rule (one active card per UID, deactivation revokes credentials) lives there.
 *
 * Deliberate differences from the seed:
 * - `scan/nfc` and `scan/fingerprint` answer as RM365's backend did on a server with no reader
 *   attached (`{status: "error", …, detail}`): a Worker has no USB port. The client then lets the
 *   user type the UID; readers enrol through `/api/v1/enrollment/cards` with an API key.
 * - Deleting an employee deactivates them (their clock history stays, their card and
 *   fingerprints are revoked at once); they list as `status: "inactive"`.
 * - Template bytes are never kept (their SHA-256 is), so a fingerprint is recognised when the
 *   reader sends the same bytes again.
 */
import { z } from "zod";
import { AppError, forbidden } from "../../lib/errors";
import { ShortText } from "../../lib/fields";
import { isAllowed } from "../../lib/rbac";
import { createRouter, json, principalOf } from "../../lib/route";
import {
  activeCardId,
  cardHolder,
  employeeByNumber,
  employeeRow,
  employeesByNumbers,
  fingerprintIdByNumber,
  type RosterEntry,
  roster,
} from "../../modules/attendance/roster";
import { createEmployee, updateEmployee } from "../../modules/attendance/service";
import { CardUid } from "../../modules/enrollment/schemas";
import { registerCard, registerFingerprint, replaceCard, revokeCard, revokeFingerprint } from "../../modules/enrollment/service";
import type { Principal } from "../../types";
import { defineRoute, IntId, jsonBody, NO_READER, nextEmployeeCode, setTotal } from "./common";

const TAGS = ["rm365"];
const TAB = "enrollment";

export const Rm365Fingerprint = z.object({ id: z.number().int(), name: z.string(), created_at: z.string().nullable() }).meta({ id: "Rm365Fingerprint" });
export const Rm365EnrollEmployee = z
  .object({
    id: z.number().int(),
    name: z.string(),
    employee_code: z.string(),
    location: z.string().nullable(),
    status: z.enum(["active", "inactive"]),
    nfc_uid: z.string().nullable(),
    has_fingerprint: z.boolean(),
    fingerprints: z.array(Rm365Fingerprint),
  })
  .meta({ id: "Rm365EnrollEmployee" });
type Rm365EnrollEmployee = z.infer<typeof Rm365EnrollEmployee>;

const EnrollResponse = z.object({ status: z.literal("success"), employee: Rm365EnrollEmployee }).meta({ id: "Rm365EnrollResponse" });
const BulkDeleteResult = z.object({ status: z.enum(["success", "noop"]), deleted: z.number().int() }).meta({ id: "Rm365BulkDeleteResult" });

/** A fingerprint's display name rides in its template id: `<name>#<8 hex>`. */
const fingerprintName = (templateId: string) => templateId.replace(/#[0-9a-f]{8}$/, "");

function toEnrollEmployee(entry: RosterEntry): Rm365EnrollEmployee {
  const { employee } = entry;
  return {
    id: employee.number ?? 0,
    name: employee.name,
    employee_code: employee.code,
    location: employee.department,
    status: employee.active ? "active" : "inactive",
    nfc_uid: entry.cardUid,
    has_fingerprint: entry.fingerprints.length > 0,
    fingerprints: entry.fingerprints.map((f) => ({ id: f.number, name: fingerprintName(f.templateId), created_at: f.createdAt })),
  };
}

/** One employee as the enrollment screen reads it (after a write). */
async function enrolled(deps: Parameters<typeof roster>[0], id: string): Promise<Rm365EnrollEmployee> {
  const row = await employeeRow(deps, id);
  const { entries } = await roster(deps, { only: [row.id] });
  const entry = entries[0] ?? { employee: row, cardUid: null, fingerprints: [], today: null };
  return toEnrollEmployee(entry);
}

const Status = z.enum(["active", "inactive"], { error: "status must be 'active' or 'inactive'" });
const Location = ShortText.max(64).nullable().optional();
const NfcUid = z.union([CardUid, z.literal("").transform(() => null), z.null()]).optional();

const CreateBody = z.object({ name: ShortText.min(1, "name is required"), location: Location, status: Status.nullable().optional(), nfc_uid: NfcUid });
const UpdateBody = z.object({ name: ShortText.min(1).optional(), location: Location, status: Status.nullable().optional(), nfc_uid: NfcUid });

/**
 * Adding, changing and deleting employees is `attendance:manage` on Floorline's own routes; the
 * enrollment screen does it too, so it needs both (a route declares one permission).
 */
function requireManage(actor: Principal): void {
  if (!isAllowed(actor, { access: "attendance:manage" })) throw forbidden("Permission 'attendance:manage' is required to add, change or delete employees");
}

/** Sets an employee's card to `uid` (registering or replacing), or revokes it (`null`). */
async function setCard(deps: Parameters<typeof registerCard>[0], employeeId: string, uid: string | null, actor: Principal) {
  const current = await activeCardId(deps, employeeId);
  if (uid === null) {
    if (current) await revokeCard(deps, current, { reason: "Removed in RM365's enrollment screen" }, actor);
    return;
  }
  if (current) await replaceCard(deps, current, { uid, label: null, reason: "Replaced in RM365's enrollment screen" }, actor);
  else await registerCard(deps, { employee_id: employeeId, uid, label: null }, actor);
}

/**
 * Refuses (409, before anything is written) a card enrolled to another employee than `employeeId`:
 * adding or changing an employee with it would otherwise write the employee, then fail on the card.
 */
async function assertCardFree(deps: Parameters<typeof cardHolder>[0], uid: string | null | undefined, employeeId?: string): Promise<void> {
  if (!uid) return;
  const holder = await cardHolder(deps, uid);
  if (holder !== undefined && holder !== employeeId)
    throw new AppError("CONFLICT", `Card ${uid} is already enrolled to an active employee`, { reason: "card_taken" });
}

/** Creates an employee with the next `EMP###` code (a code someone took meanwhile moves on). */
async function createWithNextCode(
  deps: Parameters<typeof createEmployee>[0],
  input: { name: string; department: string | null; active: boolean },
  actor: Principal,
) {
  for (let attempt = 0; ; attempt++) {
    const code = await nextEmployeeCode(deps, attempt);
    try {
      return await createEmployee(deps, { code, name: input.name, department: input.department, active: input.active }, actor);
    } catch (err) {
      if (attempt >= 4 || !(err instanceof AppError && err.reason === "employee_code_taken")) throw err;
    }
  }
}

export const rm365EnrollmentRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: "/employees",
      access: "enrollment:read",
      tab: TAB,
      summary: "RM365: every employee with card and fingerprints (bare array; total in X-Total-Count)",
      tags: TAGS,
      responses: { 200: json(z.array(Rm365EnrollEmployee), "Employees by name") },
    }),
    async (c) => {
      const { entries, total } = await roster(c.get("deps"));
      setTotal(c, total);
      return c.json(entries.map(toEnrollEmployee), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/employees",
      access: "enrollment:write",
      tab: TAB,
      summary: "RM365: add an employee (code assigned as EMP###)",
      tags: TAGS,
      request: jsonBody(CreateBody),
      errors: { 409: "The card is enrolled to another active employee" },
      responses: { 200: json(EnrollResponse, "The new employee") },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const actor = principalOf(c);
      requireManage(actor);
      const deps = c.get("deps");
      await assertCardFree(deps, body.nfc_uid);
      const created = await createWithNextCode(deps, { name: body.name, department: body.location ?? null, active: body.status !== "inactive" }, actor);
      if (body.nfc_uid) await setCard(deps, created.id, body.nfc_uid, actor);
      return c.json({ status: "success" as const, employee: await enrolled(deps, created.id) }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "patch",
      path: "/employees/{id}",
      access: "enrollment:write",
      tab: TAB,
      summary: "RM365: rename, move, (de)activate an employee or set their card",
      tags: TAGS,
      request: { params: z.object({ id: IntId }), ...jsonBody(UpdateBody) },
      errors: { 404: "No such employee", 409: "The card is enrolled to another active employee" },
      responses: { 200: json(EnrollResponse, "The employee as it is now") },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const actor = principalOf(c);
      const deps = c.get("deps");
      const row = await employeeByNumber(deps, c.req.valid("param").id);
      const update = {
        ...(body.name !== undefined ? { name: body.name } : {}),
        ...(body.location !== undefined ? { department: body.location } : {}),
        ...(body.status ? { active: body.status === "active" } : {}),
      };
      if (Object.keys(update).length > 0) requireManage(actor);
      await assertCardFree(deps, body.nfc_uid, row.id);
      // A card is set while the employee is active: activate first, deactivate last.
      if (update.active !== false && Object.keys(update).length > 0) await updateEmployee(deps, row.id, update, actor, undefined);
      if (body.nfc_uid !== undefined) await setCard(deps, row.id, body.nfc_uid, actor);
      if (update.active === false) await updateEmployee(deps, row.id, update, actor, undefined);
      return c.json({ status: "success" as const, employee: await enrolled(deps, row.id) }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "delete",
      path: "/employees/{id}",
      access: "enrollment:write",
      tab: TAB,
      summary: "RM365: delete an employee (deactivates: history kept, credentials revoked)",
      tags: TAGS,
      request: { params: z.object({ id: IntId }) },
      errors: { 404: "No such employee" },
      responses: { 200: json(BulkDeleteResult, "`deleted`: 1, or 0 when already inactive") },
    }),
    async (c) => {
      const deps = c.get("deps");
      requireManage(principalOf(c));
      const row = await employeeByNumber(deps, c.req.valid("param").id);
      if (!row.active) return c.json({ status: "noop" as const, deleted: 0 }, 200);
      await updateEmployee(deps, row.id, { active: false }, principalOf(c), undefined);
      return c.json({ status: "success" as const, deleted: 1 }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/employees/bulk-delete",
      access: "enrollment:write",
      tab: TAB,
      summary: "RM365: delete (deactivate) several employees",
      tags: TAGS,
      request: jsonBody(z.object({ ids: z.array(IntId).max(90, "At most 90 employees at once") })),
      responses: { 200: json(BulkDeleteResult, "How many were deactivated") },
    }),
    async (c) => {
      const { ids } = c.req.valid("json");
      if (ids.length === 0) return c.json({ status: "noop" as const, deleted: 0 }, 200);
      const deps = c.get("deps");
      const actor = principalOf(c);
      requireManage(actor);
      let deleted = 0;
      for (const row of await employeesByNumbers(deps, [...new Set(ids)])) {
        if (!row.active) continue;
        await updateEmployee(deps, row.id, { active: false }, actor, undefined);
        deleted++;
      }
      return c.json({ status: deleted > 0 ? ("success" as const) : ("noop" as const), deleted }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/scan/nfc",
      access: "enrollment:write",
      tab: TAB,
      summary: "RM365: read a card on the server's reader: there is none (answers as RM365 did without one)",
      tags: TAGS,
      responses: { 200: json(z.object({ status: z.literal("error"), uid: z.null(), detail: z.string() }), "No reader attached") },
    }),
    (c) => c.json({ status: "error" as const, uid: null, detail: NO_READER.nfc }, 200),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/scan/fingerprint",
      access: "enrollment:write",
      tab: TAB,
      summary: "RM365: read a finger on the server's reader: there is none (answers as RM365 did without one)",
      tags: TAGS,
      responses: { 200: json(z.object({ status: z.literal("error"), template_b64: z.null(), detail: z.string() }), "No reader attached") },
    }),
    (c) => c.json({ status: "error" as const, template_b64: null, detail: NO_READER.fingerprint }, 200),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/save/nfc",
      access: "enrollment:write",
      tab: TAB,
      summary: "RM365: set an employee's card (replaces the one they had)",
      tags: TAGS,
      request: jsonBody(z.object({ employee_id: IntId, uid: CardUid })),
      errors: { 404: "No such employee", 409: "The card is enrolled to another active employee, or the employee is inactive" },
      responses: { 200: json(z.object({ status: z.literal("success"), employee_id: z.number().int(), uid: z.string() }), "Saved") },
    }),
    async (c) => {
      const { employee_id, uid } = c.req.valid("json");
      const row = await employeeByNumber(c.get("deps"), employee_id);
      await setCard(c.get("deps"), row.id, uid, principalOf(c));
      return c.json({ status: "success" as const, employee_id, uid }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/delete/nfc",
      access: "enrollment:write",
      tab: TAB,
      summary: "RM365: remove an employee's card (revoked: it stops clocking at once)",
      tags: TAGS,
      request: jsonBody(z.object({ employee_id: IntId })),
      errors: { 404: "No such employee" },
      responses: { 200: json(z.object({ status: z.literal("success"), employee_id: z.number().int() }), "Removed") },
    }),
    async (c) => {
      const { employee_id } = c.req.valid("json");
      const row = await employeeByNumber(c.get("deps"), employee_id);
      await setCard(c.get("deps"), row.id, null, principalOf(c));
      return c.json({ status: "success" as const, employee_id }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/save/fingerprint",
      access: "enrollment:write",
      tab: TAB,
      summary: "RM365: enrol a fingerprint template (its SHA-256 is kept, never the bytes)",
      tags: TAGS,
      request: jsonBody(z.object({ employee_id: IntId, template_b64: z.base64().min(1).max(16_384), name: ShortText.min(1).max(40).default("Default") })),
      errors: { 404: "No such employee", 409: "The same template is enrolled, or the employee is inactive" },
      responses: { 200: json(z.object({ status: z.literal("success"), employee_id: z.number().int() }), "Enrolled") },
    }),
    async (c) => {
      const { employee_id, template_b64, name } = c.req.valid("json");
      const row = await employeeByNumber(c.get("deps"), employee_id);
      const suffix = crypto.randomUUID().replace(/-/g, "").slice(0, 8);
      await registerFingerprint(c.get("deps"), { employee_id: row.id, template_id: `${name}#${suffix}`, template_b64 }, principalOf(c));
      return c.json({ status: "success" as const, employee_id }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/delete/fingerprint",
      access: "enrollment:write",
      tab: TAB,
      summary: "RM365: remove a fingerprint (revoked: it stops clocking at once)",
      tags: TAGS,
      request: jsonBody(z.object({ fingerprint_id: IntId })),
      errors: { 404: "No such fingerprint", 409: "Already removed" },
      responses: { 200: json(z.object({ status: z.literal("success"), fingerprint_id: z.number().int() }), "Removed") },
    }),
    async (c) => {
      const { fingerprint_id } = c.req.valid("json");
      const id = await fingerprintIdByNumber(c.get("deps"), fingerprint_id);
      await revokeFingerprint(c.get("deps"), id, { reason: "Removed in RM365's enrollment screen" }, principalOf(c));
      return c.json({ status: "success" as const, fingerprint_id }, 200);
    },
  );
