/** `/api/v1/equipment`: the registry in the canonical conventions, MS5's routes, and the rules that keep the log whole. */
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { equipment, equipmentLog } from "../../src/db/schema";
import { parseClientTime } from "../../src/modules/equipment/schemas";
import { batchUpdateEquipment, createEquipment, updateEquipment } from "../../src/modules/equipment/service";
import type { Principal } from "../../src/types";
import { arr, call, db, loginAs, str, testDeps, unique } from "../helpers";
import { form, pngBytes } from "../issue-reports/fixtures";

let operator = "";
let admin = "";
let maintenance = "";
let viewer = "";

beforeAll(async () => {
  operator = (await loginAs("operator")).token;
  admin = (await loginAs("admin")).token;
  maintenance = (await loginAs("maintenance")).token;
  viewer = (await loginAs("viewer")).token;
});

async function create(body: Record<string, unknown> = {}) {
  const res = await call("/api/v1/equipment", { token: operator, body: { code: unique("EQ"), status: "在廠", ...body } });
  expect(res.status).toBe(201);
  return res.json;
}

async function history(code: string) {
  const [item] = await db().select().from(equipment).where(eq(equipment.code, code));
  return db()
    .select()
    .from(equipmentLog)
    .where(eq(equipmentLog.equipmentId, item?.id ?? ""))
    .orderBy(equipmentLog.version);
}

const operatorPrincipal: Principal = {
  kind: "user",
  userId: "u-test",
  username: "svc-test",
  role: "operator",
  permissions: new Set(["equipment:write"]),
  tabs: [],
  sessionId: "",
};

describe("/api/v1/equipment", () => {
  it("create → 201 with ETag and version 1; get; the log's first row records the fields", async () => {
    const item = await create({ name: "Bagger", production_line: "L-T1", size: "M", start_time: "2026-04-01T06:00:00Z", comment: "new" });
    const code = str(item.code);
    expect(item).toMatchObject({
      status: "在廠",
      sub_status: null,
      version: 1,
      production_line: "L-T1",
      start_time: "2026-04-01T06:00:00.000Z",
      comment: "new",
    });
    const got = await call(`/api/v1/equipment/${encodeURIComponent(code)}`, { token: viewer });
    expect(got.status).toBe(200);
    expect(got.res.headers.get("etag")).toBe('"1"');
    // MS5's path: the item with `equipment_code` beside `code`.
    expect(got.json).toEqual({ ...item, equipment_code: item.code });
    const [first] = await history(code);
    expect(first).toMatchObject({ action: "create", version: 1, status: "在廠", inputDate: "2026-04-01T06:00:00.000Z" });
    expect(first?.changes).toMatchObject({ name: { from: null, to: "Bagger" }, production_line: { from: null, to: "L-T1" } });
  });

  it("every change appends a log row (who, old → new, comment); a stale If-Match or version → 409 with the current record, nothing changed", async () => {
    const code = str((await create()).code);
    const path = `/api/v1/equipment/${code}`;
    const patched = await call(path, {
      method: "PATCH",
      token: operator,
      headers: { "if-match": '"1"' },
      body: { status: "維修", sub_status: "手部修補", comment: "破洞" },
    });
    expect(patched.status).toBe(200);
    expect(patched.res.headers.get("etag")).toBe('"2"');
    const moved = await call(path, { method: "PATCH", token: operator, body: { box_id: "BOX-9", version: 2 } });
    expect(moved.json).toMatchObject({ box_id: "BOX-9", status: "維修", sub_status: "手部修補", comment: null, version: 3 });

    const { equipment_code: _, ...before } = (await call(path, { token: operator })).json;
    for (const attempt of [{ headers: { "if-match": '"2"' }, body: { status: "報廢" } }, { body: { status: "報廢", version: 1 } }]) {
      const stale = await call(path, { method: "PATCH", token: operator, ...attempt });
      expect(stale.status).toBe(409);
      expect(stale.json).toMatchObject({ error: "CONFLICT", details: { current: before } });
    }
    expect((await call(path, { token: operator })).json).toEqual({ ...before, equipment_code: code });

    const log = await call(`${path}/log?limit=10`, { token: viewer });
    expect(log.status).toBe(200);
    expect(log.json.total).toBe(3);
    expect(arr(log.json.items).map((e) => [e.version, e.action, e.previous_status, e.status])).toEqual([
      [3, "update", "維修", "維修"],
      [2, "status", "在廠", "維修"],
      [1, "create", null, "在廠"],
    ]);
    expect(arr(log.json.items)[0]?.changes).toEqual({ box_id: { from: null, to: "BOX-9" } });
    expect(arr(log.json.items)[1]).toMatchObject({ comment: "破洞", previous_sub_status: null, sub_status: "手部修補" });
  });

  it("lists with filters and pagination; counts by status", async () => {
    const line = unique("L");
    const codes = [];
    for (const status of ["清洗", "清洗", "報廢"]) codes.push(str((await create({ production_line: line, status })).code));
    const page = await call(`/api/v1/equipment?production_line=${line}&limit=2`, { token: viewer });
    // MS5's path: a bare array, the total in X-Total-Count, `equipment_code` beside `code`.
    expect(page.res.headers.get("x-total-count")).toBe("3");
    expect(arr(page.json).map((e) => e.code)).toEqual([...codes].sort().slice(0, 2));
    expect(arr(page.json).map((e) => e.equipment_code)).toEqual([...codes].sort().slice(0, 2));
    const next = await call(`/api/v1/equipment?production_line=${line}&limit=2&skip=2`, { token: viewer });
    expect(arr(next.json).map((e) => e.code)).toEqual([...codes].sort().slice(2));
    const scrapped = await call(`/api/v1/equipment?line_id=${line}&status=報廢`, { token: viewer });
    expect(arr(scrapped.json).map((e) => e.code)).toEqual([codes[2]]);
    const search = await call(`/api/v1/equipment?q=${codes[0]?.slice(3)}`, { token: viewer });
    expect(arr(search.json).map((e) => e.code)).toEqual([codes[0]]);
    const counts = await call("/api/v1/equipment/status-counts", { token: viewer });
    expect(counts.status).toBe(200);
    expect(Number(counts.json.counts?.清洗)).toBeGreaterThanOrEqual(2);
    expect((await call("/api/v1/equipment?limit=500", { token: viewer })).status).toBe(422);
  });

  it("batch: all or nothing; one unknown or stale item → 409 naming each, nothing written", async () => {
    const [a, b] = [str((await create()).code), str((await create()).code)];
    const bad = await call("/api/v1/equipment/batch", {
      token: operator,
      body: {
        items: [
          { code: a, status: "清洗" },
          { code: "NOPE-1", status: "清洗" },
          { code: b, status: "清洗", version: 7 },
          { code: a, status: "x" },
        ],
      },
    });
    expect(bad.status).toBe(409);
    expect(arr(bad.json.details).map((p) => [p.index, p.problem])).toEqual([
      [1, "not_found"],
      [2, "stale"],
      [3, "duplicate"],
    ]);
    expect((await history(a)).length).toBe(1);
    expect((await history(b)).length).toBe(1);
    const good = await call("/api/v1/equipment/batch", {
      token: operator,
      body: {
        items: [
          { code: a, status: "清洗" },
          { code: b, comment: "checked", version: 1 },
        ],
      },
    });
    expect(good.status).toBe(200);
    expect(arr(good.json.updated).map((e) => [e.code, e.status, e.sub_status, e.version])).toEqual([
      [a, "清洗", "清洗", 2],
      [b, "在廠", null, 2],
    ]);
    expect((await call("/api/v1/equipment/batch", { token: operator, body: { items: [] } })).status).toBe(422);
  });

  it("delete: admins only; the item leaves the registry, its log stays, its code is free again", async () => {
    const code = str((await create()).code);
    expect((await call(`/api/v1/equipment/${code}`, { method: "DELETE", token: operator })).status).toBe(403);
    const deleted = await call(`/api/v1/equipment/${code}`, { method: "DELETE", token: admin });
    expect(deleted.status).toBe(200);
    expect(deleted.json).toMatchObject({ code, version: 2 });
    expect((await call(`/api/v1/equipment/${code}`, { token: operator })).status).toBe(404);
    expect((await history(code)).map((h) => h.action)).toEqual(["create", "delete"]);
    const again = await call("/api/v1/equipment", { token: operator, body: { code } });
    expect(again.status).toBe(201);
    expect(again.json.version).toBe(1);
  });

  it("MS5: status board, detail with open faults and upcoming maintenance (maintenance:write schedules)", async () => {
    const code = str((await create({ production_line: "L-BAG1", name: "Bagger 1" })).code);
    const filed = await call("/api/v1/issue-reports", {
      token: operator,
      body: form({ equipment_code: code, issue_type: "功能異常" }, [{ filename: "p.png", bytes: pngBytes() }]),
    });
    expect(filed.status).toBe(201);
    const board = await call(`/api/v1/equipment/status?q=${code}`, { token: viewer });
    expect(arr(board.json.items)[0]).toMatchObject({ code, open_faults: 1 });
    const faults = await call(`/api/v1/equipment/${code}/faults?open=true`, { token: viewer });
    expect(arr(faults.json.items).map((r) => r.id)).toEqual([filed.json.id]);

    const body = { maintenance_type: "preventive", scheduled_at: "2099-01-01 08:00:00", estimated_duration_minutes: 90, description: "Belt" };
    expect((await call(`/api/v1/equipment/${code}/maintenance`, { token: operator, body })).status).toBe(403);
    const scheduled = await call(`/api/v1/equipment/${code}/maintenance`, { token: maintenance, body });
    expect(scheduled.status).toBe(201);
    expect(scheduled.json).toMatchObject({ equipment_code: code, priority: "medium", scheduled_at: "2099-01-01T08:00:00.000Z", status: "scheduled" });
    const detail = await call(`/api/v1/equipment/${code}/status`, { token: viewer });
    expect(detail.json).toMatchObject({ code, open_faults: 1, upcoming_maintenance: [{ id: scheduled.json.id }] });
    expect((await call("/api/v1/equipment/NO-SUCH/status", { token: viewer })).status).toBe(404);
  });

  it("refuses bad input with 422 naming the field, and codes that are not one path segment", async () => {
    const bad = await call("/api/v1/equipment", { token: operator, body: { code: "A/B", start_time: "yesterday" } });
    expect(bad.status).toBe(422);
    expect(arr(bad.json.details).map((d) => d.path)).toEqual(["body.code", "body.start_time"]);
    expect((await call("/api/v1/equipment", { token: operator, body: { code: "x".repeat(65) } })).status).toBe(422);
    expect((await call("/api/v1/equipment", { token: operator, body: { code: "OK", extra: 1 } })).status).toBe(422);
    const code = str((await create()).code);
    expect((await call(`/api/v1/equipment/${code}`, { method: "PATCH", token: operator, body: { version: 1 } })).status).toBe(422);
    expect((await history(code)).length).toBe(1);
    expect((await call("/api/v1/equipment", { token: viewer, body: { code: unique("V") } })).status).toBe(403);
  });
});

describe("the log is the lock", () => {
  it("concurrent writers: each success is exactly one log row, the version always equals the log's length", async () => {
    const deps = testDeps();
    const items = await Promise.all([unique("RACE"), unique("RACE")].map((code) => createEquipment(deps, { code, status: "在廠" }, operatorPrincipal)));
    const codes = items.map((i) => i.code);
    const outcomes = await Promise.allSettled([
      ...Array.from({ length: 4 }, (_, n) =>
        batchUpdateEquipment(
          testDeps(),
          codes.map((code) => ({ code, status: `s${n}` })),
          operatorPrincipal,
        ),
      ),
      ...Array.from({ length: 4 }, (_, n) => updateEquipment(testDeps(), codes[0] ?? "", { status: `u${n}` }, operatorPrincipal)),
    ]);
    const rejected = outcomes.filter((o) => o.status === "rejected").map((o) => (o as PromiseRejectedResult).reason as { status?: number });
    for (const reason of rejected) expect(reason.status).toBe(409);
    for (const code of codes) {
      const [master] = await db().select().from(equipment).where(eq(equipment.code, code));
      const log = await history(code);
      expect(master?.version).toBe(log.length);
      expect(log.map((l) => l.version)).toEqual(log.map((_, i) => i + 1));
    }
  });

  it("a writer that read a version someone else has since taken is refused by the index, whole", async () => {
    const deps = testDeps();
    const [a, b] = await Promise.all([unique("LOCK"), unique("LOCK")].map((code) => createEquipment(deps, { code, status: "在廠" }, operatorPrincipal)));
    // Another writer's log row for version 2 of b is in, its master row not yet read back by us.
    await db()
      .insert(equipmentLog)
      .values({ equipmentId: b?.id ?? "", version: 2, action: "status", inputDate: "2026-01-01T00:00:00.000Z", status: "其他", updatedBy: "other" });
    const batch = batchUpdateEquipment(
      deps,
      [
        { code: a?.code ?? "", status: "清洗" },
        { code: b?.code ?? "", status: "清洗" },
      ],
      operatorPrincipal,
    );
    await expect(batch).rejects.toMatchObject({ status: 409, details: [{ code: b?.code, problem: "stale" }] });
    expect((await history(a?.code ?? "")).length).toBe(1);
    const [masterA] = await db()
      .select()
      .from(equipment)
      .where(eq(equipment.code, a?.code ?? ""));
    expect(masterA?.version).toBe(1);
    await expect(updateEquipment(deps, b?.code ?? "", { status: "清洗" }, operatorPrincipal)).rejects.toMatchObject({ status: 409, reason: "equipment_stale" });
  });

  it("a status change of an item on a line is announced to that line's room; other changes are not", async () => {
    const pending: Promise<unknown>[] = [];
    const deps = testDeps({ waitUntil: (p) => pending.push(p) });
    const line = unique("L-ROOM");
    const item = await createEquipment(deps, { code: unique("ROOM"), production_line: line, status: "running" }, operatorPrincipal);
    await updateEquipment(deps, item.code, { comment: "no status change" }, operatorPrincipal);
    await updateEquipment(deps, item.code, { status: "fault", comment: "jam" }, operatorPrincipal);
    await batchUpdateEquipment(deps, [{ code: item.code, status: "running" }], operatorPrincipal);
    const published = (await Promise.all(pending)) as { seq: number }[];
    expect(published.map((p) => p.seq).sort()).toEqual([1, 2]);
  });

  it("a batch larger than one statement's parameters is chunked and still one transaction", async () => {
    const deps = testDeps();
    const created = [];
    for (let n = 0; n < 25; n++) created.push(await createEquipment(deps, { code: unique("BULK"), status: "在廠" }, operatorPrincipal));
    const updated = await batchUpdateEquipment(
      deps,
      created.map((e) => ({ code: e.code, status: "清洗" })),
      operatorPrincipal,
    );
    expect(updated.map((e) => [e.status, e.version])).toEqual(created.map(() => ["清洗", 2]));
    const last = created.at(-1)?.code ?? "";
    expect((await history(last)).map((h) => h.status)).toEqual(["在廠", "清洗"]);
    // One stale item at the end of a long batch: nothing of it is written.
    await db()
      .insert(equipmentLog)
      .values({ equipmentId: created.at(-1)?.id ?? "", version: 3, action: "status", inputDate: "2026-01-01T00:00:00.000Z", updatedBy: "other" });
    await expect(
      batchUpdateEquipment(
        deps,
        created.map((e) => ({ code: e.code, status: "報廢" })),
        operatorPrincipal,
      ),
    ).rejects.toMatchObject({ status: 409 });
    expect((await history(created[0]?.code ?? "")).length).toBe(2);
  });

  it("reads the client's time formats and refuses impossible dates", () => {
    expect(parseClientTime("2026-02-12 10:00:00")).toBe("2026-02-12T10:00:00.000Z");
    expect(parseClientTime("Thu, 12 Feb 2026 10:00:00 GMT")).toBe("2026-02-12T10:00:00.000Z");
    expect(parseClientTime("2026-02-12T18:00:00+08:00")).toBe("2026-02-12T10:00:00.000Z");
    expect(parseClientTime("2026-02-12")).toBe("2026-02-12T00:00:00.000Z");
    expect(parseClientTime("2026-02-30 10:00:00")).toBeUndefined();
    expect(parseClientTime("soon")).toBeUndefined();
  });
});

describe("/openapi.json", () => {
  it("documents both surfaces, with permissions and the multipart upload bodies", async () => {
    const doc = (await call("/openapi.json")).json;
    const paths = doc.paths ?? {};
    for (const path of [
      "/api/v1/equipment",
      "/api/v1/equipment/{code}",
      "/api/v1/equipment/{code}/log",
      "/api/v1/equipment/status",
      "/api/v1/equipment/{code}/faults",
      "/api/v1/equipment/{code}/maintenance",
      "/api/v1/issue-reports",
      "/api/v1/issue-reports/{id}",
      "/api/equipment",
      "/api/equipment/batch",
      "/api/equipment/{ccm_id}",
      "/api/equipment/status_counts",
      "/api/equipment/logs/{ccm_id}",
      "/api/report/upload",
      "/api/reports",
      "/api/report/{report_id}",
      "/equipment",
      "/uploads/{filename}",
    ]) {
      expect(paths[path], path).toBeDefined();
    }
    expect(paths["/api/equipment/{ccm_id}"]?.delete?.["x-permission"]).toBe("equipment:delete");
    expect(paths["/api/report/upload"]?.post?.requestBody?.content?.["multipart/form-data"]?.schema?.required).toEqual(["ccm_id", "issue_type"]);
    expect(paths["/api/v1/issue-reports"]?.post?.requestBody?.content?.["multipart/form-data"]).toBeDefined();
  });
});
