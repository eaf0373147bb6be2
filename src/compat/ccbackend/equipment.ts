/**
 * CCbackend's equipment surface (seed 000): `/api/equipment…` with its upper-case field names,
 * the bare-array list, `{success, message}` envelopes and Chinese messages. A thin adapter: every
 * rule lives in src/modules/equipment/service.ts, shared with `/api/v1/equipment`.
 *
 * Times go out as the seed's Flask `jsonify` wrote datetimes (`Thu, 12 Feb 2026 10:00:00 GMT`,
 * UTC) and are read in that form, as `2026-02-12 10:00:00` or as ISO 8601 (no zone = UTC).
 *
 * Deliberate differences from the seed (its code, not its README):
 * - `UPD_CNT` is a version: a PUT or batch item carrying a stale one (or a stale If-Match) is 409
 *   and changes nothing, with the item as it is now in `current`; omit it to write
 *   unconditionally, as the seed's client does. Resending one's own last write with the version
 *   it was made from (a response lost on the Wi-Fi) is answered 200, not 409.
 * - A PUT leaves fields it does not name as they are (the seed nulled them).
 * - The batch is all-or-nothing: an unknown, repeated, empty or stale item refuses it whole with
 *   409 naming each (the seed skipped such items silently).
 * - DELETE retires the item (soft delete): its log and reports stay, its code is free again.
 * - Only CCbackend's items (`kind` ccbackend) are on this surface: MS5's machines, which share
 *   the registry, are neither listed nor counted here, and their codes answer 404 (未找到該器材).
 * - Access: reading, adding and changing need `equipment:read` / `equipment:write` (operators
 *   hold both); deleting needs `equipment:delete` (admins). The seed let any signed-in user do all.
 */
import { z } from "zod";
import { expectedVersion } from "../../lib/etag";
import { LongText, ShortText } from "../../lib/fields";
import { jsonBody } from "../../lib/json-body";
import { createRouter, json, principalOf, routeDefiner } from "../../lib/route";
import { ClientTime, EquipmentCode, type LogEntry, StatusText } from "../../modules/equipment/schemas";
import {
  batchUpdateEquipment,
  createEquipment,
  deleteEquipment,
  equipmentLogOf,
  listAllEquipment,
  statusCounts,
  updateEquipment,
} from "../../modules/equipment/service";
import { CcEquipment, ccFromRow, httpDate } from "./records";
import { ccbackendSurface } from "./surface";

const defineRoute = routeDefiner(ccbackendSurface);
/** This surface sees CCbackend's own items only: MS5's machines are unknown here (404, not listed). */
const KIND = "ccbackend" as const;
const TAGS = ["ccbackend"];
const Ok = z.object({ success: z.literal(true), message: z.string() });

/** The seed's forms send `""` for an empty input: that is "no value". */
const blankIsNull = <S extends z.ZodType>(schema: S) => z.preprocess((v) => (v === "" ? null : v), schema.nullable().optional());

const CcLogEntry = z
  .object({
    CCL_ID: z.number().int(),
    CC_ID_FK: z.string(),
    INPUT_DATE: z.string().nullable(),
    CC_STATUS: z.string().nullable(),
    CC_SUBSTATUS: z.string().nullable(),
    UPDATE_BY: z.string(),
    UPDATE_TIME: z.string().nullable(),
    COMMENT: z.string().nullable(),
  })
  .meta({ id: "CcbackendLogEntry" });

const toCcLog = (entry: LogEntry): z.infer<typeof CcLogEntry> => ({
  CCL_ID: entry.id,
  CC_ID_FK: entry.equipment_code,
  INPUT_DATE: httpDate(entry.input_date),
  CC_STATUS: entry.status,
  CC_SUBSTATUS: entry.sub_status,
  UPDATE_BY: entry.updated_by,
  UPDATE_TIME: httpDate(entry.updated_at),
  COMMENT: entry.comment,
});

const MasterFields = {
  CC_SIZE: blankIsNull(ShortText.max(50)),
  BOX_ID: blankIsNull(ShortText.max(64)),
  USER_NAME: blankIsNull(ShortText.max(100)),
  CC_SUBSTATUS: blankIsNull(StatusText),
  COMMENT: blankIsNull(LongText),
};

const CreateBody = z.object({
  CCM_ID: z.string({ error: "CCM ID 是必填項" }).pipe(EquipmentCode.min(1, "CCM ID 是必填項")),
  ...MasterFields,
  CC_STARTTIME: blankIsNull(ClientTime),
  CC_STATUS: blankIsNull(StatusText),
});

const MISSING_FIELDS = "缺少必要欄位 (CC_STARTTIME 或 CC_STATUS)";
const UpdateBody = z.object({
  ...MasterFields,
  CC_STARTTIME: z.string({ error: MISSING_FIELDS }).min(1, MISSING_FIELDS).pipe(ClientTime),
  CC_STATUS: z.string({ error: MISSING_FIELDS }).min(1, MISSING_FIELDS).pipe(StatusText),
  UPD_CNT: z.number().int().min(1).optional(),
});

const NOT_A_LIST = "請求數據格式不正確，應為非空列表";
const BatchBody = z
  .array(
    z.object({
      CCM_ID: z.string({ error: "CCM ID 是必填項" }).pipe(EquipmentCode),
      CC_STATUS: blankIsNull(StatusText),
      CC_SUBSTATUS: blankIsNull(StatusText),
      COMMENT: blankIsNull(LongText),
      UPD_CNT: z.number().int().min(1).optional(),
    }),
    { error: NOT_A_LIST },
  )
  .min(1, NOT_A_LIST)
  .max(200, "一次最多更新 200 筆資料");

const IdParams = z.object({ ccm_id: EquipmentCode });
const ListQuery = z.object({ status: StatusText.optional() });

/** `/api/equipment…`, mounted under `/api`; `POST /equipment` (no `/api`) is in `ccbackendRootRoutes`. */
export const ccbackendEquipmentRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: "/equipment",
      access: "equipment:read",
      pureRead: true,
      summary: "CCbackend: every item with its latest log row, by CCM_ID (bare array; ?status= filters)",
      tags: TAGS,
      request: { query: ListQuery },
      responses: { 200: json(z.array(CcEquipment), "Every live item") },
    }),
    async (c) => c.json((await listAllEquipment(c.get("deps"), c.req.valid("query"), KIND)).map(ccFromRow), 200),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/equipment",
      access: "equipment:write",
      summary: "CCbackend: add an item and its first log row",
      tags: TAGS,
      request: jsonBody(CreateBody),
      errors: { 409: "CCM ID 已存在，請使用不同的 ID" },
      responses: { 201: json(Ok, "器材 X 新增成功") },
    }),
    async (c) => c.json(await addEquipment(c.get("deps"), c.req.valid("json"), principalOf(c)), 201),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/equipment/status_counts",
      access: "equipment:read",
      pureRead: true,
      summary: "CCbackend: live items by latest CC_STATUS ({status: count})",
      tags: TAGS,
      responses: { 200: json(z.record(z.string(), z.number().int()), "Counts by status") },
    }),
    async (c) => c.json((await statusCounts(c.get("deps"), KIND)).counts, 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/equipment/logs/{ccm_id}",
      access: "equipment:read",
      pureRead: true,
      summary: "CCbackend: an item's log, newest first",
      tags: TAGS,
      request: { params: IdParams },
      errors: { 404: "未找到該器材" },
      responses: { 200: json(z.object({ success: z.literal(true), data: z.array(CcLogEntry) }), "The log") },
    }),
    async (c) => {
      const log = await equipmentLogOf(c.get("deps"), c.req.valid("param").ccm_id, undefined, KIND);
      return c.json({ success: true as const, data: log.items.map(toCcLog) }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "put",
      path: "/equipment/batch",
      access: "equipment:write",
      summary: "CCbackend: change the status of many items (all or nothing)",
      tags: TAGS,
      request: jsonBody(BatchBody),
      errors: { 409: "An item is unknown, repeated, empty or stale: nothing changed" },
      responses: { 200: json(Ok.extend({ updated_ids: z.array(z.string()) }), "成功更新 N 筆資料") },
    }),
    async (c) => {
      const items = c.req
        .valid("json")
        .map((i) => ({ code: i.CCM_ID, status: i.CC_STATUS, sub_status: i.CC_SUBSTATUS, comment: i.COMMENT, version: i.UPD_CNT }));
      const updated = await batchUpdateEquipment(c.get("deps"), items, principalOf(c), KIND);
      return c.json({ success: true as const, message: `成功更新 ${updated.length} 筆資料`, updated_ids: updated.map((e) => e.code) }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "put",
      path: "/equipment/{ccm_id}",
      access: "equipment:write",
      summary: "CCbackend: change an item (CC_STARTTIME and CC_STATUS required; UPD_CNT or If-Match for a safe write)",
      tags: TAGS,
      request: { params: IdParams, ...jsonBody(UpdateBody) },
      errors: { 404: "未找到該器材", 409: "UPD_CNT is stale: nothing changed; `current` is the item now" },
      responses: { 200: json(Ok, "器材更新成功") },
    }),
    async (c) => {
      const body = c.req.valid("json");
      await updateEquipment(
        c.get("deps"),
        c.req.valid("param").ccm_id,
        {
          size: body.CC_SIZE,
          box_id: body.BOX_ID,
          user_name: body.USER_NAME,
          start_time: body.CC_STARTTIME,
          status: body.CC_STATUS,
          // The seed's log row takes the sub-status and comment given with this change, or none.
          sub_status: body.CC_SUBSTATUS ?? null,
          comment: body.COMMENT ?? null,
          version: body.UPD_CNT,
        },
        principalOf(c),
        expectedVersion(c.req.header("if-match")),
        KIND,
      );
      return c.json({ success: true as const, message: "器材更新成功" }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "delete",
      path: "/equipment/{ccm_id}",
      access: "equipment:delete",
      summary: "CCbackend: retire an item (soft delete; admins)",
      tags: TAGS,
      request: { params: IdParams },
      errors: { 404: "未找到該器材" },
      responses: { 200: json(Ok, "器材刪除成功") },
    }),
    async (c) => {
      await deleteEquipment(c.get("deps"), c.req.valid("param").ccm_id, principalOf(c), expectedVersion(c.req.header("if-match")), KIND);
      return c.json({ success: true as const, message: "器材刪除成功" }, 200);
    },
  );

/** Maps CCbackend's create body onto the registry's and answers in its words. */
async function addEquipment(deps: Parameters<typeof createEquipment>[0], body: z.infer<typeof CreateBody>, actor: Parameters<typeof createEquipment>[2]) {
  const created = await createEquipment(
    deps,
    {
      code: body.CCM_ID,
      kind: KIND,
      size: body.CC_SIZE,
      box_id: body.BOX_ID,
      user_name: body.USER_NAME,
      start_time: body.CC_STARTTIME,
      status: body.CC_STATUS,
      sub_status: body.CC_SUBSTATUS,
      comment: body.COMMENT,
    },
    actor,
  );
  return { success: true as const, message: `器材 ${created.code} 新增成功` };
}

/** The seed's client posts new items to `/equipment`, without `/api` (mounted at the root). */
export const ccbackendEquipmentRootRoutes = createRouter().openapi(
  defineRoute({
    method: "post",
    path: "/equipment",
    access: "equipment:write",
    summary: "CCbackend (client quirk): add an item at /equipment, same as POST /api/equipment",
    tags: TAGS,
    request: jsonBody(CreateBody),
    errors: { 409: "CCM ID 已存在，請使用不同的 ID" },
    responses: { 201: json(Ok, "器材 X 新增成功") },
  }),
  async (c) => c.json(await addEquipment(c.get("deps"), c.req.valid("json"), principalOf(c)), 201),
);
