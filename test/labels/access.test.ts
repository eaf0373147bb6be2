import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { runLabelJob } from "../../workers/documents/labels";
import { arr, call, db, freshIp, loginAs, str, unique } from "../helpers";
import { decodePdf } from "./decode";
import { labelValueOf, makeItems } from "./fixtures";

const PRINTER = { allowed_tabs: ["labels", "inventory"] };

async function fetchBytes(path: string, token: string) {
  const res = await exports.default.fetch(
    new Request(`http://localhost${path}`, { headers: { authorization: `Bearer ${token}`, "cf-connecting-ip": freshIp() } }),
  );
  return { status: res.status, headers: res.headers, bytes: new Uint8Array(await res.arrayBuffer()) };
}

describe("labels: tabs and permissions", () => {
  it("tab denials: the generator tab starts jobs and lists only its own; the history tab lists every job but does not start", async () => {
    const [item] = await makeItems(1);
    const generatorOnly = await loginAs("production_manager", { allowed_tabs: ["labels.generator", "inventory"] });
    const historyOnly = await loginAs("production_manager", { allowed_tabs: ["labels.history", "inventory"] });
    const noLabels = await loginAs("production_manager", { allowed_tabs: ["inventory"] });

    const started = await call("/api/v1/labels/start-job", { token: generatorOnly.token, body: { item_ids: [item?.id] } });
    expect(started.status).toBe(202);
    const jobId = str(started.json.job_id);
    // The generator follows the job it started.
    expect((await call(`/api/v1/labels/job/${jobId}`, { token: generatorOnly.token })).status).toBe(200);
    // RM365's history: every signed-in labels user saw it; without the history tab, one's own jobs only.
    const other = await loginAs("production_manager", { allowed_tabs: ["labels.generator", "inventory"] });
    const othersJob = await call("/api/v1/labels/start-job", { token: other.token, body: { item_ids: [item?.id] } });
    const own = await call("/api/v1/labels/jobs?limit=100", { token: generatorOnly.token });
    expect(own.status).toBe(200);
    expect(arr(own.json.jobs).map((j) => j.id)).toEqual([jobId]);
    const all = await call("/api/v1/labels/jobs?limit=100", { token: historyOnly.token });
    expect(arr(all.json.jobs).map((j) => j.id)).toEqual(expect.arrayContaining([jobId, str(othersJob.json.job_id)]));

    expect((await call("/api/v1/labels/start-job", { token: historyOnly.token, body: { item_ids: [item?.id] } })).status).toBe(403);

    for (const path of ["/api/v1/labels/jobs", `/api/v1/labels/job/${jobId}`, "/api/v1/labels/templates"]) {
      const denied = await call(path, { token: noLabels.token });
      expect(denied.status, path).toBe(403);
    }
    expect((await call("/api/v1/labels/start-job", { token: noLabels.token, body: { item_ids: [item?.id] } })).status).toBe(403);
  });

  it("operators (labels:read only) follow jobs but cannot start one; anonymous callers get 401", async () => {
    const operator = await loginAs("operator");
    expect((await call("/api/v1/labels/templates", { token: operator.token })).status).toBe(200);
    expect((await call("/api/v1/labels/start-job", { token: operator.token, body: { item_ids: ["X"] } })).status).toBe(403);
    expect((await call("/api/v1/labels/templates")).status).toBe(401);
    expect((await call("/api/v1/labels/start-job", { body: { item_ids: ["X"] } })).status).toBe(401);
  });

  it("labels show items: without inventory read access nobody starts a job, renders a label or downloads a job's files", async () => {
    const manager = await loginAs("production_manager", PRINTER);
    const items = await makeItems(2);
    // A role with every labels right and no inventory right, holding both tabs.
    const admin = await loginAs("admin");
    const roleName = unique("labeller");
    const role = await call("/api/v1/roles", {
      token: admin.token,
      body: { role_name: roleName, permissions: ["labels:read", "labels:generate"], allowed_tabs: ["labels", "inventory"] },
    });
    expect(role.status).toBe(201);
    const labeller = await loginAs(roleName);
    const refused = await call("/api/v1/labels/start-job", { token: labeller.token, body: { item_ids: [items[0]?.id] } });
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({ error: "AUTHORIZATION_ERROR" });
    expect((await fetchBytes(`/api/v1/labels/items/${items[0]?.sku}/pdf`, labeller.token)).status).toBe(403);

    const started = await call("/api/v1/labels/start-job", { token: manager.token, body: { item_ids: [items[0]?.id] } });
    const jobId = str(started.json.job_id);
    await runLabelJob({ db: db(), files: env.FILES, now: () => new Date() }, { jobId });
    expect((await fetchBytes(`/api/v1/labels/job/${jobId}/pdf`, labeller.token)).status).toBe(403);
    expect((await fetchBytes(`/api/v1/labels/job/${jobId}/csv`, labeller.token)).status).toBe(403);
    expect((await fetchBytes(`/api/v1/labels/job/${jobId}/pdf`, manager.token)).status).toBe(200);
  });
});

describe("labels: whose jobs", () => {
  it("a job, its progress stream and its files are its creator's, and open to the history tab and admins; others get 404", async () => {
    const [item] = await makeItems(1);
    const creator = await loginAs("production_manager", { allowed_tabs: ["labels.generator", "inventory"] });
    const otherGenerator = await loginAs("production_manager", { allowed_tabs: ["labels.generator", "inventory"] });
    const historian = await loginAs("production_manager", { allowed_tabs: ["labels.history", "inventory"] });
    const operator = await loginAs("operator");
    const admin = await loginAs("admin");
    const started = await call("/api/v1/labels/start-job", { token: creator.token, body: { item_ids: [item?.id] } });
    const jobId = str(started.json.job_id);
    await runLabelJob({ db: db(), files: env.FILES, now: () => new Date() }, { jobId });

    const paths = [`/api/v1/labels/job/${jobId}`, `/api/v1/labels/job/${jobId}/events`, `/api/v1/labels/job/${jobId}/pdf`, `/api/v1/labels/job/${jobId}/csv`];
    for (const path of paths) {
      for (const [who, token] of [
        ["creator", creator.token],
        ["history tab", historian.token],
        ["admin", admin.token],
      ] as const) {
        expect((await fetchBytes(path, token)).status, `${who} ${path}`).toBe(200);
      }
      const refused = await call(path, { token: otherGenerator.token });
      expect(refused.status, `other generator ${path}`).toBe(404);
      expect(refused.json).toMatchObject({ error: "NOT_FOUND", message: `Label job '${jobId}' not found` });
    }
    // An operator (labels:read, no history tab) sees no one's job; the files also need inventory (403 first).
    expect((await call(`/api/v1/labels/job/${jobId}`, { token: operator.token })).status).toBe(404);
    expect((await call(`/api/v1/labels/job/${jobId}/events`, { token: operator.token })).status).toBe(404);
  });
});

describe("labels: templates and single labels", () => {
  it("lists the built-in templates with rm365 (7 of 69×27 mm on 103×200 mm, Code 128) as the default", async () => {
    const manager = await loginAs("production_manager", PRINTER);
    const res = await call("/api/v1/labels/templates", { token: manager.token });
    expect(res.status).toBe(200);
    expect(res.json.default_template).toBe("rm365");
    const templates = arr(res.json.templates);
    expect(templates.find((t) => str(t.id) === "rm365")).toMatchObject({
      page_width_mm: 103,
      page_height_mm: 200,
      label_width_mm: 69,
      label_height_mm: 27,
      columns: 1,
      rows: 7,
      symbology: "code128",
    });
    expect(new Set(templates.map((t) => t.symbology))).toEqual(new Set(["code128", "ean13", "qrcode", "datamatrix"]));
  });

  it.each([
    ["rm365", "code128"],
    ["a4-3x8", "code128"],
    ["qr-50x25", "qrcode"],
    ["datamatrix-40x20", "datamatrix"],
  ])("one label as PDF with template %s decodes (%s) to the item's value", async (template, symbology) => {
    const manager = await loginAs("production_manager", PRINTER);
    const [withBarcode, bySku] = await makeItems(2);
    for (const item of [withBarcode, bySku]) {
      if (!item) throw new Error("no item");
      const res = await fetchBytes(`/api/v1/labels/items/${item.sku}/pdf?template=${template}&copies=2`, manager.token);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/pdf");
      const decoded = await decodePdf(res.bytes, symbology);
      expect(decoded.values).toEqual([labelValueOf(item), labelValueOf(item)]);
    }
  });

  it("a single label: unknown item 404, unknown template 422, an EAN-13 template on a non-EAN value 422", async () => {
    const manager = await loginAs("production_manager", PRINTER);
    const [item] = await makeItems(1, { barcode: () => "NOT-AN-EAN" });
    expect((await fetchBytes(`/api/v1/labels/items/NO-SUCH-SKU/pdf`, manager.token)).status).toBe(404);
    expect((await fetchBytes(`/api/v1/labels/items/${item?.sku}/pdf?template=nope`, manager.token)).status).toBe(422);
    expect((await fetchBytes(`/api/v1/labels/items/${item?.sku}/pdf?template=ean13-50x30`, manager.token)).status).toBe(422);
    expect((await fetchBytes(`/api/v1/labels/items/${item?.sku}/pdf?copies=101`, manager.token)).status).toBe(422);
  });

  it("a custom template (2×3 QR labels on A6) lays out and decodes", async () => {
    const manager = await loginAs("production_manager", PRINTER);
    const items = await makeItems(8);
    const template = {
      name: "A6 QR",
      page_width_mm: 105,
      page_height_mm: 148,
      label_width_mm: 50,
      label_height_mm: 45,
      columns: 2,
      rows: 3,
      margin_left_mm: 2,
      margin_top_mm: 5,
      gap_x_mm: 1,
      gap_y_mm: 1,
      symbology: "qrcode",
      fields: ["name", "sku", "location"],
    };
    const started = await call("/api/v1/labels/start-job", { token: manager.token, body: { item_ids: items.map((i) => i.id), template } });
    expect(started.status).toBe(202);
    const jobId = str(started.json.job_id);
    await runLabelJob({ db: db(), files: env.FILES, now: () => new Date() }, { jobId });
    const job = await call(`/api/v1/labels/job/${jobId}`, { token: manager.token });
    expect(job.json).toMatchObject({ status: "completed", template_id: "custom", pages: 2, template: { columns: 2, rows: 3, symbology: "qrcode" } });
    const decoded = await decodePdf((await fetchBytes(`/api/v1/labels/job/${jobId}/pdf`, manager.token)).bytes, "qrcode");
    expect(decoded.values).toEqual(items.map(labelValueOf));
  });
});
