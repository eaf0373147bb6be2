/**
 * Onshape (seed 002) against a local fake of Onshape: outbound `fetch` is replaced in the test
 * runtime for the configured hosts (https://onshape.test, https://oauth.onshape.test); any other
 * outbound request fails the test. OAuth state rules, sealed tokens, refresh, and the drawing
 * fetched once and cached.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { getPartDrawing } from "../../src/modules/parts/drawing";
import { finishOnshapeConnect } from "../../src/modules/parts/onshape";
import { deletePart } from "../../src/modules/parts/service";
import { call, loginAs, str, testDeps, unique } from "../helpers";

const DID = "0123456789abcdef01234567";
const WID = "89abcdef0123456789abcdef";
const EID = "fedcba9876543210fedcba98";
const DRAWING_URL = `https://onshape.test/documents/${DID}/w/${WID}/e/${EID}`;
const PDF = "%PDF-1.7\n% fake drawing\n%%EOF\n";

/**
 * The fake: Onshape's token endpoint, document metadata, drawing export, translation status and
 * file download. The code "good-code" signs in an account that can read the document;
 * "outsider-code" one that cannot (every document call answers 403).
 */
class FakeOnshape {
  calls: string[] = [];
  translation: "DONE" | "ACTIVE" | "FAILED" = "DONE";
  refreshRefused = false;
  private access = new Set<string>();
  private outsiders = new Set<string>();
  private refresh = new Set<string>();
  private n = 0;

  handle = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const req = new Request(input, init);
    const url = new URL(req.url);
    this.calls.push(`${req.method} ${url.host}${url.pathname}`);
    if (url.host === "oauth.onshape.test" && url.pathname === "/oauth/token") return this.token(await req.formData());
    if (url.host !== "onshape.test") throw new Error(`unexpected outbound request to ${req.url}`);
    const bearer = req.headers.get("authorization")?.replace(/^Bearer /, "") ?? "";
    if (!this.access.has(bearer)) return new Response("{}", { status: 401 });
    if (this.outsiders.has(bearer)) return new Response("{}", { status: 403 });
    const tid = "aaaaaaaaaaaaaaaaaaaaaaaa";
    if (req.method === "GET" && url.pathname === `/api/documents/${DID}`) return Response.json({ id: DID, name: "Gearbox" });
    if (req.method === "POST" && url.pathname === `/api/drawings/d/${DID}/w/${WID}/e/${EID}/translations`) {
      const body = (await req.json()) as { formatName?: string };
      expect(body.formatName).toBe("PDF");
      return Response.json({ id: tid, requestState: "ACTIVE" });
    }
    if (url.pathname === `/api/translations/${tid}`) {
      const done = this.translation === "DONE";
      return Response.json({ id: tid, requestState: this.translation, resultExternalDataIds: done ? ["bbbbbbbbbbbbbbbbbbbbbbbb"] : null, failureReason: null });
    }
    if (url.pathname === `/api/documents/d/${DID}/externaldata/bbbbbbbbbbbbbbbbbbbbbbbb`) {
      return new Response(PDF, { headers: { "content-type": "application/pdf" } });
    }
    return new Response("{}", { status: 404 });
  };

  private token(form: FormData): Response {
    if (form.get("client_id") !== "test-client" || form.get("client_secret") !== "test-client-secret") return new Response("{}", { status: 401 });
    const grant = form.get("grant_type");
    if (grant === "authorization_code") {
      if (!["good-code", "outsider-code"].includes(String(form.get("code"))) || form.get("redirect_uri") !== "http://localhost/api/auth/onshape/callback") {
        return Response.json({ error: "invalid_grant" }, { status: 400 });
      }
    } else if (grant === "refresh_token") {
      if (this.refreshRefused || !this.refresh.has(String(form.get("refresh_token")))) return Response.json({ error: "invalid_grant" }, { status: 400 });
    } else return Response.json({ error: "unsupported_grant_type" }, { status: 400 });
    this.n++;
    const access = `at-${this.n}-${crypto.randomUUID()}`;
    const refresh = `rt-${this.n}-${crypto.randomUUID()}`;
    this.access.add(access);
    this.refresh.add(refresh);
    if (form.get("code") === "outsider-code") this.outsiders.add(access);
    return Response.json({ access_token: access, refresh_token: refresh, expires_in: 3600, token_type: "Bearer", scope: "OAuth2Read OAuth2ReadPII" });
  }
}

/** A user principal for calling services directly. */
const principal = (user: { id: string }) => ({
  kind: "user" as const,
  userId: user.id,
  username: "u",
  role: "engineer",
  permissions: new Set(["*" as const]),
  tabs: [],
  sessionId: "",
});

let fake: FakeOnshape;
beforeEach(() => {
  fake = new FakeOnshape();
  vi.spyOn(globalThis, "fetch").mockImplementation(fake.handle);
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** Starts a connect: the sign-in URL, its state and the browser's flow cookie (`cookie` header value). */
async function start(token: string) {
  const res = await call("/api/auth/onshape/connect", { token });
  expect(res.status).toBe(200);
  const url = new URL(str(res.json.authorization_url));
  const set = res.res.headers.getSetCookie();
  const nonce = str(/^onshape_flow=([^;]+)/.exec(set[0] ?? "")?.[1]);
  return { res, url, state: str(url.searchParams.get("state")), nonce, cookie: `onshape_flow=${nonce}` };
}

/** Onshape's redirect back to the callback, from a browser holding `cookie` (or none). */
const callback = (state: string, cookie?: string, code = "good-code") =>
  call(`/api/auth/onshape/callback?code=${code}&state=${encodeURIComponent(state)}`, cookie ? { headers: { cookie } } : {});

async function connect(token: string, code = "good-code") {
  const started = await start(token);
  const back = await callback(started.state, started.cookie, code);
  return { ...started, back };
}

async function partWithDrawing(token: string, onshapeUrl = DRAWING_URL) {
  const res = await call("/api/parts/", {
    token,
    body: { type: "cnc", name: unique("Gear"), partId: unique("G"), material: "al", subsystem: "Drive", onshapeUrl },
  });
  expect(res.status).toBe(201);
  return Number(res.json.id);
}

describe("Onshape OAuth", () => {
  it("connects: the sign-in URL, the callback, a status without tokens, tokens sealed at rest", async () => {
    const user = await loginAs("engineer");
    const { url, back } = await connect(user.token);
    expect(`${url.origin}${url.pathname}`).toBe("https://oauth.onshape.test/oauth/authorize");
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: "code",
      client_id: "test-client",
      redirect_uri: "http://localhost/api/auth/onshape/callback",
      scope: "OAuth2Read OAuth2ReadPII",
    });
    expect(back.status).toBe(200);
    expect(back.json.status).toBe("connected");
    const status = await call("/api/auth/onshape/status", { token: user.token });
    expect(status.json).toMatchObject({ configured: true, connected: true, scope: "OAuth2Read OAuth2ReadPII" });
    expect(JSON.stringify(status.json)).not.toMatch(/at-|rt-/);
    const row = await env.DB.prepare("select access_token, refresh_token from onshape_connections where user_id = ?")
      .bind(user.id)
      .first<Record<string, string>>();
    expect(row?.access_token).toMatch(/^[\w-]+\.[\w-]+$/);
    expect(JSON.stringify(row)).not.toMatch(/at-|rt-/);

    expect((await call("/api/auth/onshape/disconnect", { token: user.token, method: "POST" })).json).toEqual({ status: "disconnected" });
    expect((await call("/api/auth/onshape/status", { token: user.token })).json.connected).toBe(false);
  });

  it("a state is single-use, signed and bound to the user it was issued to", async () => {
    const user = await loginAs("engineer");
    const { state, back } = await connect(user.token);
    expect(back.status).toBe(200);
    const replay = await callback(state, (await start(user.token)).cookie);
    expect(replay.status).toBe(400);
    expect(replay.json.error).toMatch(/invalid, expired or already used/);

    // A stored state moved to another user fails its signature.
    const other = await loginAs("engineer");
    const { state: moved, cookie } = await start(user.token);
    await env.DB.prepare("update onshape_oauth_states set user_id = ? where user_id = ?").bind(other.id, user.id).run();
    expect((await callback(moved, cookie)).status).toBe(400);
    expect((await call("/api/auth/onshape/status", { token: other.token })).json.connected).toBe(false);

    // Forged and missing states.
    const forged = `${moved.slice(0, -4)}AAAA`;
    expect((await callback(forged, cookie)).status).toBe(400);
    expect((await call("/api/auth/onshape/callback?code=good-code")).status).toBe(400);
  });

  it("sets the flow cookie HttpOnly, Secure, SameSite=Lax on the callback paths only, and the callback clears it", async () => {
    const user = await loginAs("engineer");
    const { res, state, cookie } = await start(user.token);
    const set = res.res.headers.getSetCookie();
    expect(set.map((c) => /Path=([^;]+)/.exec(c)?.[1]).sort()).toEqual(["/api/auth/onshape/callback", "/api/parts/auth/onshape/callback"]);
    for (const c of set) expect(c).toMatch(/^onshape_flow=[\w-]{32,}; Max-Age=600; Path=[^;]+; HttpOnly; Secure; SameSite=Lax$/);
    expect(JSON.stringify(res.json)).not.toContain(cookie.split("=")[1]);
    const back = await callback(state, cookie);
    expect(back.status).toBe(200);
    expect(back.res.headers.getSetCookie().every((c) => /^onshape_flow=; Max-Age=0; Path=/.test(c))).toBe(true);
  });

  it("refuses a callback from another browser (no flow cookie, or another flow's) and stores nothing", async () => {
    // The attacker starts a flow and sends the sign-in link to a colleague, whose browser either
    // has no flow cookie or one from a flow of their own.
    const attacker = await loginAs("engineer");
    const colleague = await loginAs("engineer");
    const noCookie = await callback((await start(attacker.token)).state);
    expect(noCookie.status).toBe(400);
    expect(noCookie.json.error).toMatch(/browser that started it/);
    const colleagueFlow = await start(colleague.token);
    const wrongCookie = await callback((await start(attacker.token)).state, colleagueFlow.cookie);
    expect(wrongCookie.status).toBe(400);
    expect(wrongCookie.json.error).toMatch(/another browser/);
    // A refused callback also ends the flow in that browser: the cookie is cleared.
    expect(wrongCookie.res.headers.getSetCookie().some((c) => /^onshape_flow=; Max-Age=0; Path=\/api\/auth\/onshape\/callback/.test(c))).toBe(true);
    expect(fake.calls.filter((c) => c.includes("/oauth/token"))).toEqual([]);
    for (const u of [attacker, colleague]) expect((await call("/api/auth/onshape/status", { token: u.token })).json.connected).toBe(false);
    const rows = await env.DB.prepare("select count(*) as n from onshape_connections where user_id in (?, ?)")
      .bind(attacker.id, colleague.id)
      .first<{ n: number }>();
    expect(rows?.n).toBe(0);
    // The colleague's own flow, in their own browser, still works.
    expect((await callback(colleagueFlow.state, colleagueFlow.cookie)).status).toBe(200);
  });

  it("a state expires after ten minutes", async () => {
    const user = await loginAs("engineer");
    const { state, nonce } = await start(user.token);
    const later = testDeps({ now: () => new Date(Date.now() + 11 * 60_000) });
    await expect(finishOnshapeConnect(later, { code: "good-code", state, origin: "http://localhost", browserNonce: nonce })).rejects.toMatchObject({
      reason: "onshape_bad_state",
    });
  });

  it("a refused code or a denial stores nothing; API keys cannot connect", async () => {
    const user = await loginAs("engineer");
    const { state, cookie } = await start(user.token);
    expect((await callback(state, cookie, "bad-code")).status).toBe(400);
    expect((await call("/api/auth/onshape/status", { token: user.token })).json.connected).toBe(false);
    const admin = await loginAs("admin");
    const key = await call("/api/v1/api-keys", { token: admin.token, body: { name: unique("k"), permissions: ["*"] } });
    const byKey = await call("/api/auth/onshape/connect", { headers: { "x-api-key": str(key.json.key) } });
    expect(byKey.status).toBe(403);
  });
});

/** The R2 key of a part's cached drawing (random per fetch, so read from its row). */
async function drawingKey(id: number): Promise<string> {
  const row = await env.DB.prepare("select key from part_drawings where part_id = ?").bind(id).first<{ key: string | null }>();
  if (!row?.key) throw new Error(`part ${id} has no cached drawing`);
  return row.key;
}

describe("GET /api/parts/{id}/drawing", () => {
  it("fetches the drawing once from Onshape and serves it from R2 after", async () => {
    const user = await loginAs("engineer");
    await connect(user.token);
    const id = await partWithDrawing(user.token);
    fake.calls = [];
    const first = await call(`/api/parts/${id}/drawing`, { token: user.token });
    expect(first.status).toBe(200);
    expect(first.res.headers.get("content-type")).toBe("application/pdf");
    expect(first.json).toBe(PDF);
    expect(fake.calls).toEqual([
      `POST onshape.test/api/drawings/d/${DID}/w/${WID}/e/${EID}/translations`,
      "GET onshape.test/api/translations/aaaaaaaaaaaaaaaaaaaaaaaa",
      `GET onshape.test/api/documents/d/${DID}/externaldata/bbbbbbbbbbbbbbbbbbbbbbbb`,
    ]);
    fake.calls = [];
    const again = await call(`/api/v1/parts/${id}/drawing`, { token: user.token });
    expect(again.status).toBe(200);
    expect(again.json).toBe(PDF);
    expect(fake.calls).toEqual([]);

    const key = await drawingKey(id);
    expect(await env.FILES.head(key)).not.toBeNull();
    const admin = await loginAs("admin");
    expect((await call(`/api/parts/${id}`, { token: admin.token, method: "DELETE" })).status).toBe(200);
    const queued = () => env.DB.prepare("select 1 from pending_file_deletions where key = ?").bind(key).first();
    // The object goes after the response: wait until it and its outbox row are gone (fails after 2 s).
    await vi.waitUntil(async () => (await env.FILES.head(key)) === null && (await queued()) === null, { timeout: 2000, interval: 10 });
  });

  it("deleting a part queues its drawing PDF in the outbox, where it stays if R2 fails", async () => {
    const user = await loginAs("engineer");
    await connect(user.token);
    const id = await partWithDrawing(user.token);
    expect((await call(`/api/parts/${id}/drawing`, { token: user.token })).status).toBe(200);
    const key = await drawingKey(id);
    const files = new Proxy(env.FILES, {
      get(target, prop) {
        if (prop === "delete") return async () => Promise.reject(new Error("R2 is down"));
        const value: unknown = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const pending: Promise<unknown>[] = [];
    await deletePart({ ...testDeps(), files, waitUntil: (p) => pending.push(p) }, { id }, principal(user));
    // purgeFiles() reports R2's refusal (false) and leaves the outbox row for the sweep.
    expect(await Promise.all(pending)).toEqual([false]);
    expect(await env.FILES.head(key)).not.toBeNull();
    expect(await env.DB.prepare("select key from pending_file_deletions where key = ?").bind(key).first()).toEqual({ key });
  });

  it("serves the cached PDF to another user only when their own Onshape connection can read the document", async () => {
    const owner = await loginAs("engineer");
    await connect(owner.token);
    const id = await partWithDrawing(owner.token);
    expect((await call(`/api/parts/${id}/drawing`, { token: owner.token })).status).toBe(200);
    const row = await env.DB.prepare("select onshape_user_id from part_drawings where part_id = ?").bind(id).first<{ onshape_user_id: string }>();
    expect(row?.onshape_user_id).toBe(owner.id);

    // No connection: nothing to check access with.
    const viewer = await loginAs("viewer");
    fake.calls = [];
    const unconnected = await call(`/api/v1/parts/${id}/drawing`, { token: viewer.token });
    expect(unconnected.status).toBe(409);
    // A connection to an Onshape account that cannot read the document: 403, no PDF.
    await connect(viewer.token, "outsider-code");
    fake.calls = [];
    const outsider = await call(`/api/v1/parts/${id}/drawing`, { token: viewer.token });
    expect(outsider.status).toBe(403);
    expect(outsider.json.message).toMatch(/cannot read this part's drawing/);
    expect(fake.calls).toEqual([`GET onshape.test/api/documents/${DID}`]);
    expect((await call(`/api/parts/${id}/drawing`, { token: viewer.token })).status).toBe(403);

    // An account that can read it: one metadata call, then the cached PDF (no export).
    const reader = await loginAs("viewer");
    await connect(reader.token);
    fake.calls = [];
    const served = await call(`/api/v1/parts/${id}/drawing`, { token: reader.token });
    expect(served.status).toBe(200);
    expect(served.json).toBe(PDF);
    expect(fake.calls).toEqual([`GET onshape.test/api/documents/${DID}`]);
  });

  it("a pending export is its starter's: another user's request starts their own", async () => {
    const first = await loginAs("engineer");
    const second = await loginAs("engineer");
    await connect(first.token);
    await connect(second.token);
    const id = await partWithDrawing(first.token);
    fake.translation = "ACTIVE";
    expect((await call(`/api/v1/parts/${id}/drawing`, { token: first.token })).status).toBe(202);
    fake.calls = [];
    expect((await call(`/api/v1/parts/${id}/drawing`, { token: second.token })).status).toBe(202);
    expect(fake.calls[0]).toBe(`POST onshape.test/api/drawings/d/${DID}/w/${WID}/e/${EID}/translations`);
    const exports = () => env.DB.prepare("select user_id from part_drawing_exports where part_id = ? order by user_id").bind(id).all();
    expect((await exports()).results).toEqual([{ user_id: first.id }, { user_id: second.id }].sort((a, b) => (a.user_id < b.user_id ? -1 : 1)));
    // Each resumes their own export: the other's did not replace it.
    fake.calls = [];
    expect((await call(`/api/v1/parts/${id}/drawing`, { token: first.token })).status).toBe(202);
    expect(fake.calls).toEqual(["GET onshape.test/api/translations/aaaaaaaaaaaaaaaaaaaaaaaa"]);
    fake.translation = "DONE";
    fake.calls = [];
    expect((await call(`/api/v1/parts/${id}/drawing`, { token: second.token })).status).toBe(200);
    expect(fake.calls[0]).toBe("GET onshape.test/api/translations/aaaaaaaaaaaaaaaaaaaaaaaa");
    expect((await exports()).results).toEqual([{ user_id: first.id }]);
    const row = await env.DB.prepare("select onshape_user_id, state from part_drawings where part_id = ?").bind(id).first<Record<string, string>>();
    expect(row).toEqual({ onshape_user_id: second.id, state: "ready" });
  });

  it("answers 202 with Retry-After while Onshape exports, then the PDF", async () => {
    const user = await loginAs("engineer");
    await connect(user.token);
    const id = await partWithDrawing(user.token);
    fake.translation = "ACTIVE";
    const pending = await call(`/api/v1/parts/${id}/drawing`, { token: user.token });
    expect(pending.status).toBe(202);
    expect(pending.json).toEqual({ state: "pending", retry_after: 3 });
    expect(pending.res.headers.get("retry-after")).toBe("3");
    fake.translation = "DONE";
    fake.calls = [];
    const ready = await call(`/api/v1/parts/${id}/drawing`, { token: user.token });
    expect(ready.status).toBe(200);
    // The second request resumes the same export rather than starting another.
    expect(fake.calls[0]).toBe("GET onshape.test/api/translations/aaaaaaaaaaaaaaaaaaaaaaaa");
  });

  it("refuses URLs off the configured Onshape host or without drawing ids, with no outbound request", async () => {
    const user = await loginAs("engineer");
    await connect(user.token);
    fake.calls = [];
    for (const bad of [
      `https://evil.example/documents/${DID}/w/${WID}/e/${EID}`,
      `https://onshape.test.evil.example/documents/${DID}/w/${WID}/e/${EID}`,
      `https://onshape.test/documents/${DID}/w/${WID}/e/../../../admin`,
      `https://onshape.test/documents/${DID}/w/${WID}/e/${EID}x`,
      `http://onshape.test/documents/${DID}/w/${WID}/e/${EID}`,
    ]) {
      const id = await partWithDrawing(user.token, bad);
      const res = await call(`/api/v1/parts/${id}/drawing`, { token: user.token });
      expect(res.status, bad).toBe(422);
      expect((await call(`/api/parts/${id}/drawing`, { token: user.token })).status).toBe(400);
    }
    expect(fake.calls).toEqual([]);
  });

  it("needs a connection (409), refreshes an expired token, and drops a connection whose refresh is refused", async () => {
    const user = await loginAs("engineer");
    const id = await partWithDrawing(user.token);
    const unconnected = await call(`/api/v1/parts/${id}/drawing`, { token: user.token });
    expect(unconnected.status).toBe(409);
    expect(unconnected.json.message).toMatch(/Connect your Onshape account/);

    await connect(user.token);
    const past = new Date(Date.now() - 1000).toISOString();
    await env.DB.prepare("update onshape_connections set expires_at = ? where user_id = ?").bind(past, user.id).run();
    fake.calls = [];
    expect((await call(`/api/v1/parts/${id}/drawing`, { token: user.token })).status).toBe(200);
    expect(fake.calls[0]).toBe("POST oauth.onshape.test/oauth/token");
    const row = await env.DB.prepare("select expires_at, version from onshape_connections where user_id = ?")
      .bind(user.id)
      .first<{ expires_at: string; version: number }>();
    expect(Date.parse(String(row?.expires_at))).toBeGreaterThan(Date.now());
    expect(row?.version).toBe(2);

    const id2 = await partWithDrawing(user.token);
    await env.DB.prepare("update onshape_connections set expires_at = ? where user_id = ?").bind(past, user.id).run();
    fake.refreshRefused = true;
    const refused = await call(`/api/v1/parts/${id2}/drawing`, { token: user.token });
    expect(refused.status).toBe(409);
    expect((await call("/api/auth/onshape/status", { token: user.token })).json.connected).toBe(false);
  });

  it("a part deleted while its PDF is being stored: 404, and no orphaned object or row", async () => {
    const user = await loginAs("engineer");
    await connect(user.token);
    const id = await partWithDrawing(user.token);
    // The part goes between the PDF's write to R2 and the row's upsert.
    const files = new Proxy(env.FILES, {
      get(target, prop) {
        if (prop === "put") {
          return async (...args: Parameters<R2Bucket["put"]>) => {
            await env.DB.prepare("delete from parts where id = ?").bind(id).run();
            return target.put(...args);
          };
        }
        const value: unknown = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    await expect(getPartDrawing({ ...testDeps(), files }, id, principal(user))).rejects.toMatchObject({ reason: "part_not_found" });
    // Drawing keys are random per fetch: no object at all may be left under the part's prefix.
    expect((await env.FILES.list({ prefix: `parts/drawings/${id}/` })).objects).toEqual([]);
    expect(await env.DB.prepare("select 1 from part_drawings where part_id = ?").bind(id).first()).toBeNull();
  });

  it("a part without an Onshape URL has no drawing", async () => {
    const user = await loginAs("engineer");
    const res = await call("/api/parts/", { token: user.token, body: { type: "cnc", name: unique("N"), partId: unique("N"), material: "al", subsystem: "s" } });
    expect((await call(`/api/parts/${res.json.id}/drawing`, { token: user.token })).status).toBe(404);
  });
});
