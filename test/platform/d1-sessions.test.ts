/**
 * D1 Sessions API (issue 20): each request's D1 is a session started at the bookmark the client
 * returns in `X-D1-Bookmark` (else `first-primary`); each response carries the latest bookmark.
 * Authentication never reads through the session (a stale bookmark must not hide a logout).
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { authenticateToken } from "../../src/lib/auth";
import { BOOKMARK_HEADER, bookmarkOf, laterBookmark } from "../../src/lib/deps";
import { call, loginAs, testDeps, unique } from "../helpers";

const BOOKMARK = /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$/;
const bookmarkIn = (res: Response) => res.headers.get(BOOKMARK_HEADER) ?? "";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("D1 sessions and bookmarks", () => {
  it("answers with a bookmark; a write moves it on, and a read sent with it sees the write", async () => {
    const admin = await loginAs("admin");
    const before = await call("/api/v1/production/lines", { token: admin.token });
    expect(before.status).toBe(200);
    const b0 = bookmarkIn(before.res);
    expect(b0).toMatch(BOOKMARK);

    const code = unique("BM").toUpperCase();
    const created = await call("/api/v1/production/lines", {
      token: admin.token,
      headers: { [BOOKMARK_HEADER]: b0 },
      body: { line_code: code, name: "Bookmark line", ideal_cycle_time: 2 },
    });
    expect(created.status).toBe(201);
    const b1 = bookmarkIn(created.res);
    expect(b1).toMatch(BOOKMARK);
    expect(b1 > b0).toBe(true);

    // Read-your-writes: the client returns the write's bookmark and reads the line back.
    const read = await call(`/api/v1/production/lines?limit=200`, { token: admin.token, headers: { [BOOKMARK_HEADER]: b1 } });
    expect(read.status).toBe(200);
    expect(JSON.stringify(read.json)).toContain(code);
    expect(bookmarkIn(read.res) >= b1).toBe(true);
  });

  it("starts the request's session at the returned bookmark, else on the primary; a malformed one is ignored", async () => {
    const admin = await loginAs("admin");
    const first = await call("/api/v1/production/lines", { token: admin.token });
    const bookmark = bookmarkIn(first.res);
    const spy = vi.spyOn(env.DB, "withSession");

    await call("/api/v1/production/lines", { token: admin.token, headers: { [BOOKMARK_HEADER]: bookmark } });
    expect(spy).toHaveBeenLastCalledWith(bookmark);

    await call("/api/v1/production/lines", { token: admin.token });
    expect(spy).toHaveBeenLastCalledWith("first-primary");

    for (const junk of ["first-unconstrained", "x".repeat(5000), `${bookmark}-extra`, "00000000-0000001c"]) {
      const res = await call("/api/v1/production/lines", { token: admin.token, headers: { [BOOKMARK_HEADER]: junk } });
      expect(res.status).toBe(200);
      expect(spy).toHaveBeenLastCalledWith("first-primary");
      expect(bookmarkIn(res.res)).toMatch(BOOKMARK);
    }
  });

  it("with a bookmark the session check does not join the read's batch (it must read the primary)", async () => {
    const u = await loginAs("viewer");
    const plain = await call("/api/v1/production/lines", { token: u.token });
    expect(plain.res.headers.get("server-timing")).toContain('d1q;desc="1"');
    const withBookmark = await call("/api/v1/production/lines", { token: u.token, headers: { [BOOKMARK_HEADER]: bookmarkIn(plain.res) } });
    expect(withBookmark.status).toBe(200);
    expect(withBookmark.res.headers.get("server-timing")).toContain('d1q;desc="2", d1w;desc="1"');
    // Nor a single select's (CCbackend's list: one statement, joined without a bookmark).
    const single = await call("/api/equipment", { token: u.token });
    expect(single.res.headers.get("server-timing")).toContain('d1q;desc="1", d1w;desc="1"');
    const singleWithBookmark = await call("/api/equipment", { token: u.token, headers: { [BOOKMARK_HEADER]: bookmarkIn(single.res) } });
    expect(singleWithBookmark.status).toBe(200);
    expect(singleWithBookmark.res.headers.get("server-timing")).toContain('d1q;desc="2", d1w;desc="1"');
  });

  it("a request that reads nothing hands the client's bookmark back", async () => {
    const bookmark = "00000000-00000fff-00000000-00000000000000000000000000000000";
    const res = await call("/health", { headers: { [BOOKMARK_HEADER]: bookmark } });
    expect(res.status).toBe(200);
    expect(bookmarkIn(res.res)).toBe(bookmark);
  });

  it("CORS lets a browser send the bookmark and read it", async () => {
    const preflight = await call("/api/v1/production/lines", {
      method: "OPTIONS",
      headers: { origin: "https://app.example", "access-control-request-method": "GET", "access-control-request-headers": "authorization, x-d1-bookmark" },
    });
    expect(preflight.res.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("x-d1-bookmark");
    const res = await call("/health", { headers: { origin: "https://app.example" } });
    expect(res.res.headers.get("access-control-expose-headers")?.toLowerCase()).toContain("x-d1-bookmark");
  });

  it("authentication reads the binding itself, not the request's session", async () => {
    const u = await loginAs("viewer");
    const deps = testDeps({ session: "first-primary" });
    const refuse = () => {
      throw new Error("authentication went through the request's D1 session");
    };
    const broken = { ...deps, db: new Proxy(deps.db, { get: refuse }), d1: new Proxy(deps.d1, { get: refuse }) };
    const principal = await authenticateToken(broken, u.token);
    expect(principal.username).toBe(u.username);
    expect(deps.d1Stats.queries).toBe(1);
  });

  it("bookmark helpers: well-formed only, and the later of two", () => {
    const a = "00000000-0000001c-00000000-00000000000000000000000000000000";
    const b = "00000000-0000001d-00000000-00000000000000000000000000000000";
    expect(bookmarkOf(` ${a.toUpperCase()} `)).toBe(a);
    expect(bookmarkOf("first-primary")).toBeUndefined();
    expect(bookmarkOf(undefined)).toBeUndefined();
    expect(laterBookmark(a, b)).toBe(b);
    expect(laterBookmark(b, a)).toBe(b);
    expect(laterBookmark(null, a)).toBe(a);
    expect(laterBookmark(undefined, null)).toBeNull();
  });
});
