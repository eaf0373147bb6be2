/** How the Part Management / Aerie clients call `/api/parts`: an API key in `X-API-Key`, JSON bodies. */
import { expect } from "vitest";
import { call, loginAs, str, unique } from "../../helpers";

/** An API key as an admin makes one for the clients (Aerie only ever holds a key). */
export async function newKey(permissions: string[] = ["parts:read", "parts:write", "parts:review", "parts:delete"]) {
  const admin = await loginAs("admin");
  const res = await call("/api/v1/api-keys", { token: admin.token, body: { name: unique("aerie"), permissions } });
  expect(res.status).toBe(201);
  return str(res.json.key);
}

/** The clients' `apiGet/apiPost/apiPut/apiDelete`: `X-API-Key`, JSON in and out. */
export function keyCall(key: string, path: string, method = "GET", body?: unknown, headers: Record<string, string> = {}) {
  return call(path, { method, body, headers: { "x-api-key": key, ...headers } });
}

/** A part as Aerie's add form creates it (Onshape-Oauth still sends `partId`). */
export const partFields = (extra: Record<string, unknown> = {}) => ({
  type: "cnc",
  name: unique("Bracket"),
  partId: unique("P"),
  material: "6061 aluminium",
  materialThickness: "0.25in",
  subsystem: "Drive",
  notes: "deburr",
  onshapeUrl: "https://cad.onshape.com/documents/a/w/b/e/c",
  miscInfo: { finish: "anodised" },
  amount: 2,
  ...extra,
});

export async function createPart(key: string, extra: Record<string, unknown> = {}) {
  const res = await keyCall(key, "/api/parts/", "POST", partFields(extra));
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json;
}
