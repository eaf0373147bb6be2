/**
 * Issue 18 items 1–3: an edit changes only what it carries (both surfaces), `status` in a PUT moves
 * the part through the state machine, and Aerie main's create without `partId` works.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, type Json, loginAs } from "../../helpers";
import { createPart, keyCall, newKey } from "./client";

/** Each editable field, a new value for it (seed surface camelCase, v1 snake_case). */
const FIELDS: [camel: string, snake: string, value: unknown][] = [
  ["type", "type", "misc"],
  ["name", "name", "Renamed bracket"],
  ["partId", "part_id", "P-NEW-1"],
  ["material", "material", "steel"],
  ["materialThickness", "material_thickness", "0.125in"],
  ["subsystem", "subsystem", "Intake"],
  ["notes", "notes", "new notes"],
  ["onshapeUrl", "onshape_url", "https://cad.onshape.com/documents/z/w/y/e/x"],
  ["miscInfo", "misc_info", { storage: "bin 4" }],
  ["amount", "amount", 5],
];
const STABLE = [
  "type",
  "name",
  "partId",
  "material",
  "materialThickness",
  "subsystem",
  "notes",
  "onshapeUrl",
  "miscInfo",
  "amount",
  "status",
  "category",
  "assigned",
];
const pick = (part: Json, keys: string[]) => Object.fromEntries(keys.map((k) => [k, part[k]]));

describe("an edit changes only the fields it carries (issue 18.1)", () => {
  it("PUT /api/parts/{id} with one field leaves every other field as it was (per field)", async () => {
    const key = await newKey();
    for (const [camel, , value] of FIELDS) {
      const part = await createPart(key);
      const approved = await keyCall(key, `/api/parts/${part.id}/approve`, "POST", {});
      expect(approved.json.category).toBe("cnc");
      const before = approved.json;
      const res = await keyCall(key, `/api/parts/${part.id}`, "PUT", { [camel]: value });
      expect(res.status, camel).toBe(200);
      expect(res.json[camel], camel).toEqual(value);
      const others = STABLE.filter((k) => k !== camel);
      expect(pick(res.json, others), camel).toEqual(pick(before, others));
      const reread = (await keyCall(key, `/api/parts/${part.id}`)).json;
      expect(pick(reread, others), camel).toEqual(pick(before, others));
    }
  }, 60_000);

  it("the clients' Start/Done/mark-incorrect bodies keep a CNC part a CNC part, so approve files it under CNC", async () => {
    const key = await newKey();
    const part = await createPart(key);
    const edited = await keyCall(key, `/api/parts/${part.id}`, "PUT", { notes: "only notes" });
    expect(edited.json).toMatchObject({ type: "cnc", notes: "only notes" });
    const approved = await keyCall(key, `/api/parts/${part.id}/approve`, "POST", {});
    expect(approved.json).toMatchObject({ type: "cnc", category: "cnc" });
    const flagged = await keyCall(key, `/api/parts/${part.id}`, "PUT", { miscInfo: { completedIncorrectly: true } });
    expect(flagged.json).toMatchObject({ type: "cnc", category: "cnc", miscInfo: { completedIncorrectly: true } });
  });

  it("PATCH /api/v1/parts/{id} with one field leaves every other field as it was (per field)", async () => {
    const { token } = await loginAs("engineer");
    const key = await newKey();
    for (const [camel, snake, value] of FIELDS) {
      const part = await createPart(key);
      const before = (await call(`/api/v1/parts/${part.id}`, { token })).json;
      const res = await call(`/api/v1/parts/${part.id}`, { token, method: "PATCH", body: { [snake]: value } });
      expect(res.status, snake).toBe(200);
      expect(res.json[snake], camel).toEqual(value);
      const others = Object.keys(before).filter((k) => k !== snake && k !== "version" && k !== "updated_at");
      expect(pick(res.json, others), snake).toEqual(pick(before, others));
    }
  }, 60_000);
});

describe("status through PUT on the Part Management surface (issue 18.2)", () => {
  it("In Progress then Completed move a reviewed CNC part as start and complete do, with history", async () => {
    const key = await newKey();
    const part = await createPart(key);
    await keyCall(key, `/api/parts/${part.id}/approve`, "POST", {});
    const started = await keyCall(key, `/api/parts/${part.id}`, "PUT", { status: "In Progress" });
    expect(started.status).toBe(200);
    expect(started.json).toMatchObject({ status: "In Progress", category: "cnc", type: "cnc" });
    const done = await keyCall(key, `/api/parts/${part.id}`, "PUT", { status: "Completed" });
    expect(done.status).toBe(200);
    expect(done.json).toMatchObject({ status: "Completed", category: "completed" });
    const history = await env.DB.prepare("select action, to_status from part_transitions where part_id = ? order by created_at, rowid").bind(part.id).all();
    expect(history.results.map((r) => r.action)).toEqual(["approve", "start", "complete"]);
  });

  it("a misc part's Done (PUT {status: Completed}) completes it", async () => {
    const key = await newKey();
    const part = await createPart(key, { type: "misc" });
    await keyCall(key, `/api/parts/${part.id}/approve`, "POST", {});
    const done = await keyCall(key, `/api/parts/${part.id}`, "PUT", { status: "Completed" });
    expect(done.json).toMatchObject({ status: "Completed", category: "completed" });
  });

  it("an illegal move is the seed's 400 {error} and changes nothing, fields included", async () => {
    const key = await newKey();
    const part = await createPart(key);
    for (const status of ["In Progress", "Completed", "Already Started"]) {
      const res = await keyCall(key, `/api/parts/${part.id}`, "PUT", { status, notes: "lost" });
      expect(res.status, status).toBe(400);
      expect(Object.keys(res.json)).toEqual(["error"]);
      expect(res.json.error).toContain("review");
    }
    await keyCall(key, `/api/parts/${part.id}/approve`, "POST", {});
    const back = await keyCall(key, `/api/parts/${part.id}`, "PUT", { status: "Pending" });
    expect(back.status).toBe(400);
    const after = (await keyCall(key, `/api/parts/${part.id}`)).json;
    expect(after).toMatchObject({ status: "Reviewed", category: "cnc", notes: "deburr" });
    const bogus = await keyCall(key, `/api/parts/${part.id}`, "PUT", { status: "Approved" });
    expect(bogus.status).toBe(400);
    expect(bogus.json).toMatchObject({ error: "Validation Error", field: "status" });
  });

  it("the edit form resending the current status (or '' for none) edits the fields only", async () => {
    const key = await newKey();
    const part = await createPart(key);
    const same = await keyCall(key, `/api/parts/${part.id}`, "PUT", { status: "Pending", name: "Edited", type: "cnc" });
    expect(same.json).toMatchObject({ status: "Pending", category: "review", name: "Edited" });
    const blank = await keyCall(key, `/api/parts/${part.id}`, "PUT", { status: "", notes: "blank status" });
    expect(blank.json).toMatchObject({ status: "Pending", notes: "blank status" });
  });

  it("Reviewed through PUT approves, but only for a caller who may approve", async () => {
    const writer = await newKey(["parts:read", "parts:write"]);
    const part = await createPart(writer);
    const refused = await keyCall(writer, `/api/parts/${part.id}`, "PUT", { status: "Reviewed" });
    expect(refused.status).toBe(403);
    const reviewer = await newKey(["parts:read", "parts:write", "parts:review"]);
    const ok = await keyCall(reviewer, `/api/parts/${part.id}`, "PUT", { status: "Reviewed" });
    expect(ok.json).toMatchObject({ status: "Reviewed", category: "cnc" });
  });
});

describe("create without partId (issue 18.3, Aerie main)", () => {
  it("generates an 8-character id as Aerie's backend does; a sent one is kept", async () => {
    const key = await newKey();
    const { partId: _omit, ...rest } = await import("./client").then((m) => m.partFields());
    const res = await keyCall(key, "/api/parts/", "POST", rest);
    expect(res.status).toBe(201);
    expect(res.json.partId).toMatch(/^[0-9a-f]{8}$/);
    const kept = await createPart(key, { partId: "KEEP-1" });
    expect(kept.partId).toBe("KEEP-1");
  });
});
