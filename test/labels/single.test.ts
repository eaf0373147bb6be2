/**
 * One label on request (`GET /labels/items/{item}/pdf`), drawn by the documents worker: the test
 * runtime serves workers/documents' deploy bundle beside the API (vitest.config.ts), and
 * wrangler.toml's DOCUMENTS binding reaches its `LabelRenderer` entrypoint, as deployed.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { count } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { labelJobs } from "../../src/db/schema";
import { labelData } from "../../src/modules/labels/items";
import { LabelDocument } from "../../src/modules/labels/pdf";
import type { LabelRendererRpc, RenderLabelRequest, RenderLabelResult } from "../../src/modules/labels/renderer";
import { resolveTemplate } from "../../src/modules/labels/templates";
import { db, freshIp, type Json, loginAs } from "../helpers";
import { decodePdf } from "./decode";
import { labelValueOf, makeItems, type TestItem } from "./fixtures";

const PRINTER = { allowed_tabs: ["labels", "inventory"] };

/** The real binding, typed by its contract (`wrangler types` types it as a plain Service). */
const renderer = () => env.DOCUMENTS as unknown as LabelRendererRpc;

async function fetchLabel(path: string, token: string, bindings?: Partial<Env>) {
  const request = new Request(`http://localhost${path}`, { headers: { authorization: `Bearer ${token}`, "cf-connecting-ip": freshIp() } });
  if (!bindings) {
    const res = await exports.default.fetch(request);
    return { status: res.status, type: res.headers.get("content-type"), bytes: new Uint8Array(await res.arrayBuffer()) };
  }
  // The same app with some bindings replaced (a missing or failing documents worker).
  const ctx = createExecutionContext();
  const res = await createApp().fetch(request, { ...env, ...bindings }, ctx);
  const bytes = new Uint8Array(await res.arrayBuffer());
  await waitOnExecutionContext(ctx);
  return { status: res.status, type: res.headers.get("content-type"), bytes };
}

const jsonOf = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes)) as Json;

/** Twelve random digits: an EAN-13 without its check digit (barcodes are unique). */
const ean12 = () => Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => String(b % 10)).join("");

/** What the API rendered in-process before the route moved: the same title, label and copies. */
async function renderedHere(item: TestItem, templateId: string, copies: number, lineDate: string | null): Promise<Uint8Array> {
  const template = resolveTemplate(templateId);
  const doc = await LabelDocument.create(template, `Label ${item.sku}`);
  for (let i = 0; i < copies; i++) doc.add(labelData(item, template.symbology, lineDate));
  return doc.save();
}

/** Everything a label request could have written: jobs, and files under labels/. */
async function writtenState() {
  const [jobs] = await db().select({ n: count() }).from(labelJobs);
  const files = await env.FILES.list({ prefix: "labels/" });
  return { jobs: jobs?.n, files: files.objects.map((o) => o.key).sort() };
}

describe("single labels, rendered by the documents worker", () => {
  it.each([
    ["rm365", "code128"],
    ["a4-3x8", "code128"],
    ["ean13-50x30", "ean13"],
    ["qr-50x25", "qrcode"],
    ["datamatrix-40x20", "datamatrix"],
  ])("template %s: the same PDF, byte for byte, as the in-process renderer drew, and every %s symbol decodes", async (templateId, symbology) => {
    const manager = await loginAs("production_manager", PRINTER);
    const [item] = await makeItems(1, { barcode: () => (symbology === "ean13" ? ean12() : null) });
    if (!item) throw new Error("no item");
    const res = await fetchLabel(`/api/v1/labels/items/${item.sku}/pdf?template=${templateId}&copies=3&line_date=2026-12-03`, manager.token);
    expect(res.status).toBe(200);
    expect(res.type).toBe("application/pdf");
    expect(res.bytes).toEqual(await renderedHere(item, templateId, 3, "2026-12-03"));
    // EAN-13 prints the 12 digits with their check digit; the others print the SKU (no barcode).
    const value = symbology === "ean13" ? labelData(item, "ean13", null).value : item.sku;
    if (symbology === "ean13") expect(value).toMatch(new RegExp(`^${item.barcode}\\d$`));
    expect((await decodePdf(res.bytes, symbology)).values).toEqual([value, value, value]);
  });

  it("the route's answer is the documents worker's: the binding renders the same bytes", async () => {
    const manager = await loginAs("production_manager", PRINTER);
    const [item] = await makeItems(1);
    if (!item) throw new Error("no item");
    const template = resolveTemplate("qr-50x25");
    const direct = await renderer().renderLabel({ title: `Label ${item.sku}`, template, label: labelData(item, "qrcode", null), copies: 2 });
    if (!direct.ok) throw new Error(direct.message);
    const res = await fetchLabel(`/api/v1/labels/items/${item.sku}/pdf?template=qr-50x25&copies=2`, manager.token);
    expect(res.bytes).toEqual(direct.pdf);
  });

  it("the documents worker checks every request again (bounded): it refuses what breaks the contract and renders nothing", async () => {
    const template = resolveTemplate("rm365");
    const label = { value: "SKU-1", sku: "SKU-1", name: "Bolt", location: "A1", line_date: null };
    const good: RenderLabelRequest = { title: "Label", template, label, copies: 1 };
    expect((await renderer().renderLabel(good)).ok).toBe(true);
    const bad: [string, unknown][] = [
      ["101 copies", { ...good, copies: 101 }],
      ["no copies", { ...good, copies: 0 }],
      ["an empty value", { ...good, label: { ...label, value: "" } }],
      ["a 257-character value", { ...good, label: { ...label, value: "X".repeat(257) } }],
      ["a 1,001-character name", { ...good, label: { ...label, name: "N".repeat(1001) } }],
      ["a page 2 km wide", { ...good, template: { ...template, page_width_mm: 2_000_000 } }],
      ["labels that do not fit the page", { ...good, template: { ...template, columns: 20 } }],
      ["an unknown symbology", { ...good, template: { ...template, symbology: "pdf417" } }],
      ["an extra key", { ...good, extra: true }],
      ["not an object", "render everything"],
    ];
    for (const [what, request] of bad) {
      const answer = await renderer().renderLabel(request as RenderLabelRequest);
      expect(answer, what).toMatchObject({ ok: false, error: "invalid" });
    }
  });

  it("a missing, unreachable or failing documents worker: 503 or 502 JSON, nothing written, and the next label renders", async () => {
    const manager = await loginAs("production_manager", PRINTER);
    const [item] = await makeItems(1);
    if (!item) throw new Error("no item");
    const path = `/api/v1/labels/items/${item.sku}/pdf?template=datamatrix-40x20`;
    const before = await writtenState();
    const failing = (answer: () => Promise<RenderLabelResult>) => ({ DOCUMENTS: { renderLabel: answer } as unknown as Env["DOCUMENTS"] });
    const cases: [string, Partial<Env>, number, RegExp][] = [
      ["no binding", { DOCUMENTS: undefined as unknown as Env["DOCUMENTS"] }, 503, /not bound/],
      ["unreachable", failing(() => Promise.reject(new Error("Network connection lost."))), 503, /did not answer/],
      ["renderer failed", failing(async () => ({ ok: false, error: "failed", message: "bwip-js: boom" })), 502, /could not render/],
      ["not a PDF", failing(async () => ({ ok: true, pdf: new TextEncoder().encode("<html>oops</html>") })), 502, /not a PDF/],
      ["no answer at all", failing(async () => undefined as unknown as RenderLabelResult), 502, /could not render/],
    ];
    for (const [what, bindings, status, message] of cases) {
      const res = await fetchLabel(path, manager.token, bindings);
      expect(res.status, what).toBe(status);
      expect(res.type, what).toMatch(/^application\/json/);
      const body = jsonOf(res.bytes);
      expect(body, what).toMatchObject({ error: status === 503 ? "SERVICE_UNAVAILABLE" : "BAD_GATEWAY" });
      expect(JSON.stringify(body), what).toMatch(message);
      // The renderer's own message stays in the log, not in the answer.
      expect(JSON.stringify(body), what).not.toMatch(/bwip-js|Network connection/);
    }
    expect(await writtenState()).toEqual(before);
    const ok = await fetchLabel(path, manager.token);
    expect(ok.status).toBe(200);
    expect((await decodePdf(ok.bytes, "datamatrix")).values).toEqual([labelValueOf(item)]);
  });
});
