/**
 * RM365's client URL slips (src/compat/rm365/slips.ts): `/api/api/v1/…`, `/v1/labels/…` and
 * `/v1/salesdata/…` are answered by the canonical route, under its declaration: a caller without
 * rights is refused exactly as on the canonical path, and one with rights gets the same answer.
 */
import { describe, expect, it } from "vitest";
import { rm365CanonicalUrl } from "../../../src/compat/rm365/slips";
import { type CallResult, call, type Json, loginAs } from "../../helpers";
import { makeItems } from "../../labels/fixtures";
import { ok } from "./fixture";

/** What a client sees of an answer, without the per-request id. */
const seen = (res: CallResult<Json>) => {
  const { requestId: _id, ...body } = (res.json ?? {}) as Record<string, unknown>;
  return { status: res.status, body, type: res.res.headers.get("content-type") };
};

async function same(slipped: string, canonical: string, opts: Parameters<typeof call>[1]) {
  const a = await call(slipped, opts);
  const b = await call(canonical, opts);
  expect(seen(a), slipped).toEqual(seen(b));
  return a;
}

describe("RM365 client URL slips", () => {
  it("rewrites exactly the three slipped prefixes", () => {
    const base = "http://x";
    expect(rm365CanonicalUrl(`${base}/api/api/v1/salesdata/filters/threshold/uk?a=1`)).toBe(`${base}/api/v1/salesdata/filters/threshold/uk?a=1`);
    expect(rm365CanonicalUrl(`${base}/v1/labels/job/7/pdf`)).toBe(`${base}/api/v1/labels/job/7/pdf`);
    expect(rm365CanonicalUrl(`${base}/v1/salesdata/uk/upload`)).toBe(`${base}/api/v1/salesdata/uk/upload`);
    for (const path of ["/api/v1/labels/jobs", "/v1/auth/login", "/api/api/parts", "/v1/labelsx", "/x/api/api/v1/a"]) {
      expect(rm365CanonicalUrl(`${base}${path}`), path).toBeNull();
    }
    // Only the path counts: not a host, port, query or fragment that spells a prefix.
    for (const url of ["http://x", "http://x:8787/?next=/v1/labels/a", "http://v1/labels/", "http://x/a#/api/api/v1/b", "https://x/api/v1/x?u=/api/api/v1/"]) {
      expect(rm365CanonicalUrl(url), url).toBeNull();
    }
    expect(rm365CanonicalUrl("https://h:8443/v1/labels/job/7/csv?x=/v1/labels/#f")).toBe("https://h:8443/api/v1/labels/job/7/csv?x=/v1/labels/#f");
  });

  it("a caller without the permission is refused on the slipped URL as on the canonical one", async () => {
    const maintenance = (await loginAs("maintenance")).token;
    const admin = (await loginAs("admin")).token;
    const [item] = await makeItems(1);
    const started = await ok("/api/v1/labels/start-job", admin, { created_by: "user@example.com", item_ids: [String(item?.barcode ?? item?.sku)] });
    const job = String(started.job_id);
    const pdf = await same(`/v1/labels/job/${job}/pdf`, `/api/v1/labels/job/${job}/pdf`, { token: maintenance });
    expect(pdf.status).toBe(403);
    const form = () => {
      const f = new FormData();
      f.append("file", new File(["a,b\n"], "sales.csv", { type: "text/csv" }));
      return f;
    };
    const a = await call("/v1/salesdata/uk/upload", { token: maintenance, body: form() });
    const b = await call("/api/v1/salesdata/uk/upload", { token: maintenance, body: form() });
    expect(a.status).toBe(403);
    expect(seen(a)).toEqual(seen(b));
    const anon = await same("/api/api/v1/salesdata/uk?limit=5", "/api/v1/salesdata/uk?limit=5", {});
    expect(anon.status).toBe(401);
  });

  it("a caller without the region's tab is refused; one with it gets the canonical answer", async () => {
    const frOnly = (await loginAs("production_manager", { allowed_tabs: ["salesdata.fr-sales"] })).token;
    const refused = await same("/api/api/v1/salesdata/uk?limit=5", "/api/v1/salesdata/uk?limit=5", { token: frOnly });
    expect(refused.status).toBe(403);
    const allowed = await same("/api/api/v1/salesdata/fr?limit=5", "/api/v1/salesdata/fr?limit=5", { token: frOnly });
    expect(allowed.status).toBe(200);
  });
});
