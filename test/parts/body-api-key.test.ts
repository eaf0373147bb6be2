/**
 * Seed 002's third way to present an API key: `{"api_key": "…"}` in a JSON body. It works on
 * `/api/parts` writes only, is never stored or echoed, and cannot get round the body limit or the
 * idempotency hash.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, loginAs, str, unique } from "../helpers";

async function newKey(permissions: string[] = ["parts:read", "parts:write"]) {
  const admin = await loginAs("admin");
  const res = await call("/api/v1/api-keys", { token: admin.token, body: { name: unique("aerie"), permissions } });
  expect(res.status).toBe(201);
  return str(res.json.key);
}

/** A JSON request as a browser sends it: the body with its Content-Length, no auth header. */
function jsonCall(path: string, body: unknown, method = "POST", headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  return call(path, {
    method,
    body: text,
    headers: { "content-type": "application/json", "content-length": String(new TextEncoder().encode(text).length), ...headers },
  });
}

const fields = () => ({ type: "hand", name: unique("Plate"), partId: unique("P"), material: "steel", subsystem: "Frame" });

describe("api_key in a JSON body (/api/parts)", () => {
  it("authenticates creates and edits; the key is neither stored nor echoed", async () => {
    const key = await newKey();
    const created = await jsonCall("/api/parts/", { ...fields(), api_key: key });
    expect(created.status).toBe(201);
    expect(JSON.stringify(created.json)).not.toContain(key);
    const id = Number(created.json.id);
    const edited = await jsonCall(`/api/parts/${id}`, { api_key: key, notes: "checked" }, "PUT");
    expect(edited.status).toBe(200);
    expect(edited.json.notes).toBe("checked");
    const row = await env.DB.prepare("select * from parts where id = ?").bind(id).first();
    expect(JSON.stringify(row)).not.toContain(key);
    // A body carrying only the key is "no data", as the seed answered.
    const empty = await jsonCall(`/api/parts/${id}`, { api_key: key }, "PUT");
    expect(empty.status).toBe(400);
    expect(empty.json).toEqual({ error: "No data provided" });
  });

  it("a wrong or missing key answers the seed's 401s; the key's scope still applies", async () => {
    expect((await jsonCall("/api/parts/", { ...fields(), api_key: "not-a-key" })).json).toEqual({ error: "Invalid API key" });
    expect((await jsonCall("/api/parts/", fields())).json).toEqual({ error: "API key required" });
    const readOnly = await newKey(["parts:read"]);
    expect((await jsonCall("/api/parts/", { ...fields(), api_key: readOnly })).status).toBe(403);
  });

  it("works on no other surface: /api/v1 and CCbackend routes ignore a body key", async () => {
    const key = await newKey(["*"]);
    const v1 = await jsonCall("/api/v1/parts", { type: "cnc", name: "x", part_id: "x", material: "al", subsystem: "s", api_key: key });
    expect(v1.status).toBe(401);
    const cc = await jsonCall("/api/equipment", { name: "x", api_key: key });
    expect(cc.status).toBe(401);
  });

  it("cannot get round the body limit: an oversized body is 413 before any key is read", async () => {
    const key = await newKey();
    const big = await jsonCall("/api/parts/", { ...fields(), api_key: key, notes: "x".repeat(2 * 1024 * 1024) });
    expect(big.status).toBe(413);
  });

  it("is covered by the idempotency hash: a replay returns the first answer, a changed body is 409", async () => {
    const key = await newKey();
    const body = { ...fields(), api_key: key };
    const idem = { "idempotency-key": crypto.randomUUID() };
    const first = await jsonCall("/api/parts/", body, "POST", idem);
    expect(first.status).toBe(201);
    const replay = await jsonCall("/api/parts/", body, "POST", idem);
    expect(replay.status).toBe(201);
    expect(replay.res.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.json.id).toBe(first.json.id);
    const changed = await jsonCall("/api/parts/", { ...body, name: unique("Other") }, "POST", idem);
    expect(changed.status).toBe(409);
  });
});
