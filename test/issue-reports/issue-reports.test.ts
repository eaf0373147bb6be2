/** `/api/v1/issue-reports`: photos by bytes, the workflow, who may do what, and R2 clean-up when deleting. */
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { issueReports, pendingFileDeletions } from "../../src/db/schema";
import { sweepFiles } from "../../src/lib/files";
import { deleteIssueReport } from "../../src/modules/issue-reports/service";
import { arr, call, db, loginAs, str, testDeps, unique } from "../helpers";
import { fetchRaw, form, gifBytes, jpegBytes, photoKeys, pngBytes, webpBytes } from "./fixtures";

let operator = "";
let maintenance = "";
let admin = "";
let viewer = "";
let code = "";

beforeAll(async () => {
  operator = (await loginAs("operator")).token;
  maintenance = (await loginAs("maintenance")).token;
  admin = (await loginAs("admin")).token;
  viewer = (await loginAs("viewer")).token;
  code = unique("IR");
  expect((await call("/api/v1/equipment", { token: operator, body: { code, status: "在廠" } })).status).toBe(201);
});

async function file(files = [{ filename: "a.png", bytes: pngBytes() }], fields: Record<string, string> = {}) {
  const res = await call("/api/v1/issue-reports", {
    token: operator,
    body: form({ equipment_code: code, issue_type: "髒污/破損", description: "污漬", ...fields }, files),
  });
  expect(res.status).toBe(201);
  return res.json;
}

describe("/api/v1/issue-reports", () => {
  it("files a report with PNG, JPEG, GIF and WebP photos, each typed by its bytes whatever its name", async () => {
    const report = await file([
      { filename: "photo.gif", bytes: pngBytes() },
      { filename: "x", bytes: jpegBytes() },
      { filename: "anim.gif", bytes: gifBytes() },
      { filename: "pic.webp", bytes: webpBytes() },
    ]);
    expect(report).toMatchObject({ equipment_code: code, status: "pending", status_label: "待處理", processor: null, version: 1 });
    const images = arr(report.images);
    expect(images.map((i) => i.content_type)).toEqual(["image/png", "image/jpeg", "image/gif", "image/webp"]);
    expect(images.map((i) => i.filename)).toEqual(["photo.gif", "x", "anim.gif", "pic.webp"]);
    for (const image of images) {
      const res = await fetchRaw(str(image.url));
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe(image.content_type);
      await res.arrayBuffer();
    }
    const got = await call(`/api/v1/issue-reports/${report.id}`, { token: viewer });
    expect(got.json).toEqual(report);
    expect(got.res.headers.get("etag")).toBe('"1"');
  });

  it("refuses what is not an image (415), too many bytes (413) and bad fields (422), storing nothing", async () => {
    const before = await photoKeys();
    const pdf = await call("/api/v1/issue-reports", {
      token: operator,
      body: form({ equipment_code: code, issue_type: "其他" }, [{ filename: "scan.png", bytes: new TextEncoder().encode("%PDF-1.7\n...") }]),
    });
    expect(pdf.status).toBe(415);
    expect(pdf.json.error).toBe("UNSUPPORTED_MEDIA_TYPE");
    const wrongField = await call("/api/v1/issue-reports", {
      token: operator,
      body: form({ equipment_code: code, issue_type: "其他" }, [{ name: "photo", filename: "a.png", bytes: pngBytes() }]),
    });
    expect(wrongField.status).toBe(422);
    const noType = await call("/api/v1/issue-reports", { token: operator, body: form({ equipment_code: code }, [{ filename: "a.png", bytes: pngBytes() }]) });
    expect(noType.status).toBe(422);
    expect(arr(noType.json.details)[0]?.path).toBe("body.issue_type");
    const json = await call("/api/v1/issue-reports", { token: operator, body: { equipment_code: code, issue_type: "其他" } });
    expect(json.status).toBe(415);
    const big = await call("/api/v1/issue-reports", {
      token: operator,
      body: form({ equipment_code: code, issue_type: "其他" }, [
        { filename: "a.jpg", bytes: jpegBytes(8 * 1024 * 1024) },
        { filename: "b.jpg", bytes: jpegBytes(8 * 1024 * 1024) },
      ]),
    });
    expect(big.status).toBe(413);
    expect(await photoKeys()).toEqual(before);
  });

  it("the workflow: maintenance processes (processor, time, notes); operators and viewers may not; a stale version → 409", async () => {
    const report = await file();
    const path = `/api/v1/issue-reports/${report.id}`;
    expect((await call(path, { method: "PATCH", token: operator, body: { status: "processing" } })).status).toBe(403);
    const started = await call(path, {
      method: "PATCH",
      token: maintenance,
      headers: { "if-match": '"1"' },
      body: { status: "processing", process_notes: "looking" },
    });
    expect(started.status).toBe(200);
    expect(started.json).toMatchObject({ status: "processing", status_label: "處理中", process_notes: "looking", version: 2 });
    expect(str(started.json.processor)).toMatch(/^maintenance_/);
    expect(str(started.json.processed_at)).toMatch(/Z$/);
    const stale = await call(path, { method: "PATCH", token: maintenance, headers: { "if-match": '"1"' }, body: { status: "completed" } });
    expect(stale.status).toBe(409);
    expect(stale.json.details).toMatchObject({ current: { version: 2, status: "processing" } });
    const done = await call(path, { method: "PATCH", token: maintenance, body: { status: "已完成", version: 2 } });
    expect(done.json).toMatchObject({ status: "completed", status_label: "已完成", version: 3 });
    expect((await call(path, { method: "PATCH", token: maintenance, body: { status: "finished" } })).status).toBe(422);
  });

  it("lists newest first with filters; viewers read but do not file", async () => {
    const first = await file([], { issue_type: unique("type") });
    const second = await file([], { issue_type: str(first.issue_type) });
    const list = await call(`/api/v1/issue-reports?issue_type=${encodeURIComponent(str(first.issue_type))}`, { token: viewer });
    expect(list.json).toMatchObject({ total: 2 });
    expect(arr(list.json.items).map((r) => r.id)).toEqual([second.id, first.id]);
    expect((await call(`/api/v1/issue-reports?equipment_code=${code}&status=待處理&limit=1`, { token: viewer })).json.limit).toBe(1);
    const refused = await call("/api/v1/issue-reports", {
      token: viewer,
      body: form({ equipment_code: code, issue_type: "x" }, [{ filename: "a.png", bytes: pngBytes() }]),
    });
    expect(refused.status).toBe(403);
  });

  it("deleting a report (admins) removes its R2 objects after the row", async () => {
    const report = await file([
      { filename: "a.png", bytes: pngBytes() },
      { filename: "b.jpg", bytes: jpegBytes() },
    ]);
    const keys = arr(report.images).map((i) => `reports/${str(i.url).split("/").pop()}`);
    for (const key of keys) expect(await env.FILES.head(key)).not.toBeNull();
    expect((await call(`/api/v1/issue-reports/${report.id}`, { method: "DELETE", token: maintenance })).status).toBe(403);
    const deleted = await call(`/api/v1/issue-reports/${report.id}`, { method: "DELETE", token: admin });
    expect(deleted.json).toEqual({ id: report.id, deleted_images: 2 });
    for (const key of keys) expect(await env.FILES.head(key)).toBeNull();
    expect((await call(`/api/v1/issue-reports/${report.id}`, { token: viewer })).status).toBe(404);
  });

  it("when R2 fails the row is still gone and the keys wait in the outbox; the sweep deletes them", async () => {
    const report = await file([{ filename: "a.png", bytes: pngBytes() }]);
    const key = `reports/${str(arr(report.images)[0]?.url).split("/").pop()}`;
    const failing = new Proxy(env.FILES, {
      get: (target, prop) => (prop === "delete" ? () => Promise.reject(new Error("R2 unavailable")) : Reflect.get(target, prop, target)),
    });
    const deps = { ...testDeps(), files: failing };
    await expect(deleteIssueReport(deps, Number(report.id))).resolves.toEqual({ id: report.id, deleted_images: 1 });
    expect(
      await db()
        .select()
        .from(issueReports)
        .where(eq(issueReports.id, Number(report.id))),
    ).toEqual([]);
    expect(await env.FILES.head(key)).not.toBeNull();
    const [queued] = await db().select().from(pendingFileDeletions).where(eq(pendingFileDeletions.key, key));
    expect(queued?.attempts).toBe(1);
    expect(await sweepFiles(testDeps())).toBeGreaterThanOrEqual(1);
    expect(await env.FILES.head(key)).toBeNull();
    expect(await db().select().from(pendingFileDeletions).where(eq(pendingFileDeletions.key, key))).toEqual([]);
  });
});
