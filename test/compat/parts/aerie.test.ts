/** Issue 18 items 4–5: Aerie's detailed statistics and wipe, and the views manifest in the clients' shape. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, DEFAULT_PASSWORD, loginAs } from "../../helpers";
import { createPart, keyCall, newKey } from "./client";

const png = (label: string) =>
  new Blob([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...new TextEncoder().encode(label)])], { type: "image/png" });

/** What Aerie's threeDViewer does on every card: re-render unless `manifest.views.files` is there. */
const clientReuses = (manifest: unknown) => {
  const m = manifest as { views?: { files?: unknown } | null } | null;
  return Boolean(m?.views?.files);
};

describe("views manifest in the clients' shape (issue 18.5)", () => {
  it("no views: {views:null} (the client renders); after upload {views:{files:{…}}} (the client reuses them)", async () => {
    const key = await newKey();
    const part = await createPart(key);
    const none = await keyCall(key, `/api/parts/${part.id}/views`);
    expect(none.status).toBe(200);
    expect(none.json.views).toBeNull();
    expect(clientReuses(none.json)).toBe(false);
    const form = new FormData();
    for (let i = 0; i < 8; i++) form.append(`view_${i}`, png(`v${i}`), `view_${i}.png`);
    const up = await call(`/api/parts/${part.id}/views`, { method: "POST", body: form, headers: { "x-api-key": key } });
    expect(up.status).toBe(201);
    expect(up.json.success).toBe(true);
    const manifest = await keyCall(key, `/api/parts/${part.id}/views`);
    expect(clientReuses(manifest.json)).toBe(true);
    expect(Object.keys(manifest.json.views?.files ?? {})).toEqual(["0", "1", "2", "3", "4", "5", "6", "7"]);
    expect(manifest.json.views?.files?.["0"]).toMatchObject({ filename: "view_0.png", url: `/api/parts/${part.id}/views/0` });
    const front = await call(`/api/parts/${part.id}/views/0`, { headers: { "x-api-key": key } });
    expect(front.status).toBe(200);
  });
});

describe("Aerie's statistics panel (issue 18.4)", () => {
  it("GET /api/parts/stats/detailed answers every tile the panel reads, counted in units", async () => {
    const key = await newKey();
    const before = (await keyCall(key, "/api/parts/stats/detailed")).json;
    const part = await createPart(key, { amount: 3, type: "hand" });
    await keyCall(key, `/api/parts/${part.id}/approve`, "POST", {});
    await keyCall(key, `/api/parts/${part.id}/assign`, "POST", { assigned: "Stats Tester" });
    await keyCall(key, `/api/parts/${part.id}/complete`, "POST", { miscInfo: { completed_at: "2099-01-01T00:00:00Z" } });
    const res = await keyCall(key, "/api/parts/stats/detailed");
    expect(res.status).toBe(200);
    expect(Object.keys(res.json).sort()).toEqual(
      [
        "average_completion_time",
        "by_category",
        "by_type",
        "completed_parts",
        "completion_time_distribution",
        "in_progress_parts",
        "top_contributors",
        "total_parts",
      ].sort(),
    );
    expect(Number(res.json.total_parts) - Number(before.total_parts)).toBe(3);
    expect(Number(res.json.completed_parts) - Number(before.completed_parts)).toBe(3);
    expect(Number(res.json.by_type?.hand) - Number(before.by_type?.hand)).toBe(3);
    expect(Number(res.json.completion_time_distribution?.["> 24 hours"]) - Number(before.completion_time_distribution?.["> 24 hours"])).toBe(3);
    expect(typeof res.json.average_completion_time).toBe("number");
  });
});

describe("Aerie's wipe (issue 18.4)", () => {
  it("needs parts:delete and the caller's own key again; a wrong or missing password deletes nothing", async () => {
    const writer = await newKey(["parts:read", "parts:write"]);
    expect((await keyCall(writer, "/api/parts/wipe", "POST", { password: writer })).status).toBe(403);
    const key = await newKey();
    await createPart(key);
    const count = async () => Number((await env.DB.prepare("select count(*) as n from parts").first<{ n: number }>())?.n);
    const n = await count();
    for (const password of [undefined, "", "wrong", writer]) {
      const res = await keyCall(key, "/api/parts/wipe", "POST", password === undefined ? {} : { password });
      expect(res.status).toBe(403);
      expect(res.json).toEqual({ error: "Incorrect password" });
    }
    expect(await count()).toBe(n);
    const ok = await keyCall(key, "/api/parts/wipe", "POST", { password: key });
    expect(ok.status).toBe(200);
    expect(ok.json).toEqual({ message: "All parts and files wiped successfully", count: n });
    expect(await count()).toBe(0);
  });

  it("a signed-in admin confirms with their password", async () => {
    const admin = await loginAs("admin");
    expect((await call("/api/parts/wipe", { token: admin.token, body: { password: "nope" } })).status).toBe(403);
    const ok = await call("/api/parts/wipe", { token: admin.token, body: { password: DEFAULT_PASSWORD } });
    expect(ok.status).toBe(200);
  });
});
