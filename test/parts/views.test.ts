/**
 * View thumbnails on both surfaces: images judged by their bytes, one per slot (view_0 … view_7),
 * served with an ETag, and removed with their part.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { MAX_VIEW_BYTES } from "../../src/modules/parts/views";
import { arr, call, loginAs, unique } from "../helpers";

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** A PNG-signed image whose bytes say `tag` (distinct tags, distinct hashes). */
const png = (tag: string) => new Uint8Array([...PNG_MAGIC, ...new TextEncoder().encode(`IHDR fake image ${tag}`)]);
const jpeg = (tag: string) => new Uint8Array([0xff, 0xd8, 0xff, 0xe0, ...new TextEncoder().encode(`JFIF ${tag}`)]);

function form(files: Record<string, Uint8Array | string>) {
  const f = new FormData();
  for (const [field, bytes] of Object.entries(files)) f.append(field, new File([bytes], `${field}.png`));
  return f;
}

async function newPart(token: string) {
  const res = await call("/api/parts/", { token, body: { type: "cnc", name: unique("Bracket"), partId: unique("P"), material: "al", subsystem: "Drive" } });
  expect(res.status).toBe(201);
  return Number(res.json.id);
}

const viewRows = (id: number) => env.DB.prepare("select n, key from part_views where part_id = ? order by n").bind(id).all<{ n: number; key: string }>();

describe("part views (seed surface)", () => {
  it("stores view_0 … view_7, lists them and serves each with its type and ETag", async () => {
    const { token } = await loginAs("engineer");
    const id = await newPart(token);
    const up = await call(`/api/parts/${id}/views`, { token, method: "POST", body: form({ view_0: png("front"), view_3: jpeg("top") }) });
    expect(up.status).toBe(201);
    expect(up.json.message).toBe("Views uploaded successfully");
    expect(up.json.count).toBe(2);
    expect(Object.entries(up.json.views?.files ?? {}).map(([n, v]) => [n, v?.url, v?.contentType])).toEqual([
      ["0", `/api/parts/${id}/views/0`, "image/png"],
      ["3", `/api/parts/${id}/views/3`, "image/jpeg"],
    ]);

    const list = await call(`/api/parts/${id}/views`, { token });
    expect(list.status).toBe(200);
    expect(list.json.count).toBe(2);

    const img = await call(`/api/parts/${id}/views/0`, { token });
    expect(img.status).toBe(200);
    expect(img.res.headers.get("content-type")).toBe("image/png");
    expect(img.res.headers.get("x-content-type-options")).toBe("nosniff");
    const etag = img.res.headers.get("etag");
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
    const again = await call(`/api/parts/${id}/views/0`, { token, headers: { "if-none-match": String(etag) } });
    expect(again.status).toBe(304);
    expect((await call(`/api/parts/${id}/views/1`, { token })).json).toEqual({ error: "View not found" });
    expect((await call(`/api/parts/${id}/views/8`, { token })).status).toBe(400);
  });

  it("a re-upload replaces only its slots and removes the replaced image from R2", async () => {
    const { token } = await loginAs("engineer");
    const id = await newPart(token);
    await call(`/api/parts/${id}/views`, { token, method: "POST", body: form({ view_0: png("a"), view_1: png("b") }) });
    const before = (await viewRows(id)).results;
    const up = await call(`/api/parts/${id}/views`, { token, method: "POST", body: form({ view_1: png("c") }) });
    expect(up.status).toBe(201);
    const after = (await viewRows(id)).results;
    expect(after.map((r) => r.n)).toEqual([0, 1]);
    expect(after[0]?.key).toBe(before[0]?.key);
    expect(after[1]?.key).not.toBe(before[1]?.key);
    // The replaced object goes after the response: wait for exactly that (fails after 2 s).
    await vi.waitUntil(async () => (await env.FILES.head(String(before[1]?.key))) === null, { timeout: 2000, interval: 10 });
    expect(await env.FILES.head(String(after[1]?.key))).not.toBeNull();
  });

  it("refuses non-images, unknown fields, oversize files and empty uploads, storing nothing", async () => {
    const { token } = await loginAs("engineer");
    const id = await newPart(token);
    const pdf = await call(`/api/parts/${id}/views`, { token, method: "POST", body: form({ view_0: "%PDF-1.4 not an image" }) });
    expect(pdf.status).toBe(415);
    const stray = await call(`/api/parts/${id}/views`, { token, method: "POST", body: form({ view_9: png("x") }) });
    expect(stray.status).toBe(400); // the seed surface answers every validation failure 400
    const big = new Uint8Array(MAX_VIEW_BYTES + 1);
    big.set(PNG_MAGIC);
    const tooBig = await call(`/api/parts/${id}/views`, { token, method: "POST", body: form({ view_0: big }) });
    expect(tooBig.status).toBe(413);
    const none = new FormData();
    none.append("note", "no files");
    const empty = await call(`/api/parts/${id}/views`, { token, method: "POST", body: none });
    expect(empty.status).toBe(400);
    expect((await viewRows(id)).results).toEqual([]);
    expect((await env.FILES.list({ prefix: "parts/views/" })).objects.every((o) => o.size !== big.length)).toBe(true);
    expect((await call("/api/parts/999999999/views", { token, method: "POST", body: form({ view_0: png("x") }) })).status).toBe(404);
  });

  it("deleting the part removes its views and their objects", async () => {
    const { token } = await loginAs("engineer");
    const id = await newPart(token);
    await call(`/api/parts/${id}/views`, { token, method: "POST", body: form({ view_0: png("d0"), view_7: png("d7") }) });
    const keys = (await viewRows(id)).results.map((r) => r.key);
    expect(keys).toHaveLength(2);
    const admin = await loginAs("admin");
    expect((await call(`/api/parts/${id}`, { token: admin.token, method: "DELETE" })).status).toBe(200);
    expect((await viewRows(id)).results).toEqual([]);
    const gone = async () => (await Promise.all(keys.map((key) => env.FILES.head(String(key))))).every((object) => object === null);
    await vi.waitUntil(gone, { timeout: 2000, interval: 10 });
  });

  it("a stale If-Match delete keeps the part's views and history", async () => {
    const { token } = await loginAs("engineer");
    const id = await newPart(token);
    await call(`/api/parts/${id}/views`, { token, method: "POST", body: form({ view_0: png("s") }) });
    expect((await call(`/api/v1/parts/${id}/approve`, { token, method: "POST", body: {} })).status).toBe(200);
    const admin = await loginAs("admin");
    const stale = await call(`/api/v1/parts/${id}`, { token: admin.token, method: "DELETE", headers: { "if-match": '"99"' } });
    expect(stale.status).toBe(409);
    expect((await viewRows(id)).results).toHaveLength(1);
    expect((await call(`/api/v1/parts/${id}/history`, { token })).json.total).toBe(1);
  });
});

describe("part views (/api/v1)", () => {
  it("uploads, lists and serves in v1 shapes; viewers read but cannot upload", async () => {
    const { token } = await loginAs("engineer");
    const id = await newPart(token);
    const up = await call(`/api/v1/parts/${id}/views`, { token, method: "POST", body: form({ view_2: png("v1") }) });
    expect(up.status).toBe(201);
    expect(up.json.total).toBe(1);
    expect(arr(up.json.items)[0]).toMatchObject({ n: 2, url: `/api/v1/parts/${id}/views/2`, content_type: "image/png" });
    const viewer = await loginAs("viewer");
    expect((await call(`/api/v1/parts/${id}/views`, { token: viewer.token })).json.total).toBe(1);
    const img = await call(`/api/v1/parts/${id}/views/2`, { token: viewer.token });
    expect(img.status).toBe(200);
    expect(img.res.headers.get("etag")).toBe(`"${arr(up.json.items)[0]?.sha256}"`);
    const denied = await call(`/api/v1/parts/${id}/views`, { token: viewer.token, method: "POST", body: form({ view_0: png("no") }) });
    expect(denied.status).toBe(403);
    expect((await call(`/api/v1/parts/${id}/views/0`, { token })).status).toBe(404);
  });
});
