/**
 * CCbackend's record shapes (seed 000), shared by its routes and its error table (a stale write's
 * 409 carries the item as it is now, in the shape the client reads).
 */
import { z } from "zod";
import type { EquipmentRow } from "../../modules/equipment/repo";
import type { Equipment } from "../../modules/equipment/schemas";

/** An instant as the API stores it (`toISOString()`, whole seconds or milliseconds). */
const STORED_INSTANT = /^\d{4}-\d{2}-\d{2}T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\dZ$|^\d{4}-\d{2}-\d{2}T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;
/** `Thu, 12 Feb 2026 ` by `2026-02-12`: a list's items share few days. */
const dayPrefixes = new Map<string, string>();

/**
 * Flask's `jsonify` of a datetime: RFC 1123, GMT — `new Date(iso).toUTCString()`. For the stored
 * form, the day part is formatted once per day (by Date itself) and the time copied: CCbackend's
 * list formats two instants per item, and this was its costliest line (bench/README.md).
 */
export function httpDate(iso: string | null): string | null {
  if (iso === null) return null;
  if (!STORED_INSTANT.test(iso) || iso.charCodeAt(0) === 48 /* year < 1000 */) return new Date(iso).toUTCString();
  const day = iso.slice(0, 10);
  let prefix = dayPrefixes.get(day);
  if (prefix === undefined) {
    const midnight = new Date(`${day}T00:00:00Z`);
    // An impossible date (`2026-02-30`): whatever Date makes of the whole instant.
    if (Number.isNaN(midnight.getTime()) || midnight.toISOString().slice(0, 10) !== day) return new Date(iso).toUTCString();
    prefix = midnight.toUTCString().slice(0, -12);
    if (dayPrefixes.size >= 4096) dayPrefixes.clear();
    dayPrefixes.set(day, prefix);
  }
  return `${prefix}${iso.slice(11, 19)} GMT`;
}

export const CcEquipment = z
  .object({
    CCM_ID: z.string(),
    CC_SIZE: z.string().nullable(),
    BOX_ID: z.string().nullable(),
    USER_NAME: z.string().nullable(),
    CC_STARTTIME: z.string().nullable(),
    UPD_CNT: z.number().int(),
    CC_STATUS: z.string().nullable(),
    CC_SUBSTATUS: z.string().nullable(),
    COMMENT: z.string().nullable(),
    UPDATE_BY: z.string().nullable(),
    UPDATE_TIME: z.string().nullable(),
    ID: z.string().describe("The item's key on this surface (= CCM_ID): the client's force delete sends `DELETE /api/equipment/{ID}`"),
  })
  .meta({ id: "CcbackendEquipment" });

export const toCc = (e: Equipment): z.infer<typeof CcEquipment> => ({
  CCM_ID: e.code,
  CC_SIZE: e.size,
  BOX_ID: e.box_id,
  USER_NAME: e.user_name,
  CC_STARTTIME: httpDate(e.start_time),
  UPD_CNT: e.version,
  CC_STATUS: e.status,
  CC_SUBSTATUS: e.sub_status,
  COMMENT: e.comment,
  UPDATE_BY: e.updated_by,
  UPDATE_TIME: httpDate(e.updated_at),
  // CCfrontend's force delete sends `equipment.ID`, a field the seed never listed (its button
  // deleted `/api/equipment/undefined`, a 404); the key DELETE takes is the code.
  ID: e.code,
});

/** `toCc` straight from the list's row (one object per item; the list's hot path). */
export const ccFromRow = (r: EquipmentRow): z.infer<typeof CcEquipment> => ({
  CCM_ID: r.code,
  CC_SIZE: r.size,
  BOX_ID: r.boxId,
  USER_NAME: r.userName,
  CC_STARTTIME: httpDate(r.startTime),
  UPD_CNT: r.version,
  CC_STATUS: r.status,
  CC_SUBSTATUS: r.subStatus,
  COMMENT: r.comment,
  UPDATE_BY: r.updatedBy,
  UPDATE_TIME: httpDate(r.updatedAt),
  ID: r.code,
});
