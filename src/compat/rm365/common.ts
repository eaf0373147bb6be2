/**
 * What every RM365 route shares: its declarations use the `/api/v1` surface (RM365's FastAPI
 * errors were `{detail}`, which that shape carries), integer ids as the client sends them, and
 * the `X-Total-Count` header that carries a bare array's total.
 */
import type { Context } from "hono";
import { z } from "zod";
import { routeDefiner } from "../../lib/route";
import { v1Surface } from "../../lib/surface";
import type { AppEnv } from "../../types";

export { nextEmployeeCode } from "../../modules/attendance/roster";

export const defineRoute = routeDefiner(v1Surface);

/** A JSON request body (extra keys the client sends are ignored, as RM365's pydantic models did). */
export const jsonBody = <T extends z.ZodType>(schema: T) => ({ body: { content: { "application/json": { schema } } } });

/** RM365's integer ids: a number, or its digits as text (path parameters, `dataset` values). */
export const IntId = z.preprocess(
  (v) => (typeof v === "string" && /^\d{1,10}$/.test(v) ? Number(v) : v),
  z.number({ error: "must be an integer id" }).int("must be an integer id").min(1, "must be a positive integer id").max(2_147_483_647),
);

/** A bare array's total, for clients that page or show a count (exposed to CORS). */
export function setTotal(c: Context<AppEnv>, total: number): void {
  c.header("X-Total-Count", String(total));
}

/** What the `scan/*` routes say: RM365's backend said the same when no reader was attached. */
export const NO_READER = {
  nfc: "NFC reader hardware not available in this environment: Floorline runs in the cloud. Type the card UID, or enrol from a reader client (POST /api/v1/enrollment/cards).",
  fingerprint:
    "Fingerprint reader hardware not available in this environment: Floorline runs in the cloud. Enrol from a reader client (POST /api/v1/enrollment/fingerprints).",
} as const;
