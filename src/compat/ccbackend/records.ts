/**
 * CCbackend's record shapes (seed 000), shared by its routes and its error table (a stale write's
 * 409 carries the item as it is now, in the shape the client reads).
 */
import { z } from "zod";
import type { Equipment } from "../../modules/equipment/schemas";

/** Flask's `jsonify` of a datetime: RFC 1123, GMT. */
export const httpDate = (iso: string | null): string | null => (iso === null ? null : new Date(iso).toUTCString());

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
