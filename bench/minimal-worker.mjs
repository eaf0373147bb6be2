// The benchmark's second baseline: the least a Worker must do to answer an authenticated read.
// A bare Hono app that verifies the API's HS256 access token with jose (same secret, issuer and
// audience as src/lib/auth.ts) and reads the user with one D1 query. No middleware, no ORM, no
// validation library, no session check, no logging. It is bundled and served exactly like the
// API worker, with a migrated D1 holding the bench user, so minimal/api shows what Floorline's
// layers cost on top of the runtime, the router, a JWT verification and one D1 round trip.
//
// Every D1-using route reports its one query the way the API reports its own:
// `Server-Timing: d1q;desc="1", d1w;desc="1"`.
import { Hono } from "hono";
import { jwtVerify, SignJWT } from "jose";

// Must match JWT_ISSUER / JWT_AUDIENCE in src/lib/auth.ts; run.mjs checks at start-up that this
// worker accepts a token the API issued.
const ISSUER = "floorline";
const AUDIENCE = "floorline-api";
const ONE_QUERY = 'd1q;desc="1", d1w;desc="1"';

// The API imports its HMAC key once per configuration; so does this worker.
let hmacKey;
const keyFor = (secret) =>
  (hmacKey ??= crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]));

const app = new Hono();

app.get("/api/v1/auth/me", async (c) => {
  const token = /^Bearer (\S+)$/.exec(c.req.header("authorization") ?? "")?.[1];
  if (!token) return c.json({ error: "UNAUTHENTICATED" }, 401);
  let sub;
  try {
    const { payload } = await jwtVerify(token, await keyFor(c.env.JWT_SECRET), { algorithms: ["HS256"], issuer: ISSUER, audience: AUDIENCE });
    sub = payload.sub;
  } catch {
    return c.json({ error: "UNAUTHENTICATED" }, 401);
  }
  if (typeof sub !== "string") return c.json({ error: "UNAUTHENTICATED" }, 401);
  const user = await c.env.DB.prepare("SELECT id, username, email, first_name, last_name, role, allowed_tabs FROM users WHERE id = ? AND is_active = 1")
    .bind(sub)
    .first();
  c.header("server-timing", ONE_QUERY);
  if (!user) return c.json({ error: "UNAUTHENTICATED" }, 401);
  return c.json({ ...user, allowed_tabs: user.allowed_tabs === null ? null : JSON.parse(user.allowed_tabs) });
});

// Production lines (issue 7): the JWT check and one query for the page (no count, no session).
app.get("/api/v1/production/lines", async (c) => {
  const token = /^Bearer (\S+)$/.exec(c.req.header("authorization") ?? "")?.[1];
  if (!token) return c.json({ error: "UNAUTHENTICATED" }, 401);
  try {
    await jwtVerify(token, await keyFor(c.env.JWT_SECRET), { algorithms: ["HS256"], issuer: ISSUER, audience: AUDIENCE });
  } catch {
    return c.json({ error: "UNAUTHENTICATED" }, 401);
  }
  const { results } = await c.env.DB.prepare("SELECT * FROM production_lines ORDER BY line_code, id LIMIT 50").all();
  c.header("server-timing", ONE_QUERY);
  return c.json({ items: results, limit: 50, offset: 0 });
});

// Nearest equivalent of the API's login: one D1 lookup, PBKDF2-SHA256 (the API's native hash
// format, 100,000 iterations) and a signed access token. No throttling, no session rows.
app.post("/api/v1/auth/login", async (c) => {
  let body;
  try {
    body = await c.req.json();
  } catch {
    return c.json({ error: "VALIDATION_ERROR" }, 422);
  }
  if (typeof body?.username !== "string" || typeof body?.password !== "string") return c.json({ error: "VALIDATION_ERROR" }, 422);
  const user = await c.env.DB.prepare("SELECT id, username, role, password_hash FROM users WHERE username = ? AND is_active = 1").bind(body.username).first();
  c.header("server-timing", ONE_QUERY);
  if (!user || !(await verifyNative(body.password, user.password_hash))) return c.json({ error: "UNAUTHENTICATED" }, 401);
  const expiresIn = 3600;
  const iat = Math.floor(Date.now() / 1000);
  const accessToken = await new SignJWT({ sid: crypto.randomUUID(), username: user.username, role: user.role })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(user.id)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + expiresIn)
    .setJti(crypto.randomUUID())
    .sign(await keyFor(c.env.JWT_SECRET));
  return c.json({ access_token: accessToken, token_type: "bearer", expires_in: expiresIn, role: user.role });
});

/** Verifies `pbkdf2_sha256$<iterations>$<salt b64url>$<hash b64url>` through WebCrypto. */
async function verifyNative(password, stored) {
  const [prefix, iterText, saltText, hashText] = stored.split("$");
  if (prefix !== "pbkdf2_sha256" || !/^\d+$/.test(iterText ?? "")) return false;
  const salt = fromBase64Url(saltText ?? "");
  const expected = fromBase64Url(hashText ?? "");
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(password), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations: Number(iterText) }, key, expected.length * 8);
  const actual = new Uint8Array(bits);
  let diff = actual.length ^ expected.length;
  for (let i = 0; i < actual.length; i++) diff |= actual[i] ^ expected[i];
  return diff === 0;
}

function fromBase64Url(text) {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
}

/** The access token's subject, or null: the same jose check as /me. */
async function subjectOf(c) {
  const token = /^Bearer (\S+)$/.exec(c.req.header("authorization") ?? "")?.[1];
  if (!token) return null;
  try {
    const { payload } = await jwtVerify(token, await keyFor(c.env.JWT_SECRET), { algorithms: ["HS256"], issuer: ISSUER, audience: AUDIENCE });
    return typeof payload.sub === "string" ? payload.sub : null;
  } catch {
    return null;
  }
}

const httpDate = (iso) => (iso === null ? null : new Date(iso).toUTCString());

// CCbackend's equipment list: a JWT check and one query, every live item joined with its
// current log row, as a bare array in the seed's field names.
app.get("/api/equipment", async (c) => {
  if (!(await subjectOf(c))) return c.json({ msg: "Missing Authorization Header" }, 401);
  const { results } = await c.env.DB.prepare(
    "SELECT e.code, e.size, e.box_id, e.user_name, e.start_time, e.version, l.status, l.sub_status, l.comment, l.updated_by, l.updated_at FROM equipment e JOIN equipment_log l ON l.equipment_id = e.id AND l.version = e.version WHERE e.deleted_at IS NULL ORDER BY e.code",
  ).all();
  c.header("server-timing", ONE_QUERY);
  return c.json(
    results.map((r) => ({
      CCM_ID: r.code,
      CC_SIZE: r.size,
      BOX_ID: r.box_id,
      USER_NAME: r.user_name,
      CC_STARTTIME: httpDate(r.start_time),
      UPD_CNT: r.version,
      CC_STATUS: r.status,
      CC_SUBSTATUS: r.sub_status,
      COMMENT: r.comment,
      UPDATE_BY: r.updated_by,
      UPDATE_TIME: httpDate(r.updated_at),
    })),
  );
});

// The canonical list: a JWT check and one query for a page of 50 with the total beside it.
app.get("/api/v1/equipment", async (c) => {
  if (!(await subjectOf(c))) return c.json({ error: "UNAUTHENTICATED" }, 401);
  const limit = Math.min(Number(c.req.query("limit") ?? 50) || 50, 200);
  const { results } = await c.env.DB.prepare(
    "SELECT e.id, e.code, e.name, e.production_line, e.size, e.box_id, e.user_name, e.start_time, e.created_by, e.created_at, e.version, l.status, l.sub_status, l.comment, l.updated_by, l.updated_at, (SELECT count(*) FROM equipment WHERE deleted_at IS NULL) AS total FROM equipment e JOIN equipment_log l ON l.equipment_id = e.id AND l.version = e.version WHERE e.deleted_at IS NULL ORDER BY e.code, e.id LIMIT ?",
  )
    .bind(limit)
    .all();
  c.header("server-timing", ONE_QUERY);
  const items = results.map(({ total: _total, ...r }) => r);
  return c.json({ items, total: results[0]?.total ?? 0, limit, offset: 0 });
});

// Inventory (issue 9): the items page with JWT verification and one query (no count, no mapping).
app.get("/api/v1/inventory/items", async (c) => {
  const token = /^Bearer (\S+)$/.exec(c.req.header("authorization") ?? "")?.[1];
  if (!token) return c.json({ error: "UNAUTHENTICATED" }, 401);
  try {
    await jwtVerify(token, await keyFor(c.env.JWT_SECRET), { algorithms: ["HS256"], issuer: ISSUER, audience: AUDIENCE });
  } catch {
    return c.json({ error: "UNAUTHENTICATED" }, 401);
  }
  const { results } = await c.env.DB.prepare("SELECT * FROM inventory_items ORDER BY sku LIMIT 50").all();
  c.header("server-timing", ONE_QUERY);
  return c.json({ items: results, limit: 50, offset: 0 });
});

// Labels (issue 9): a job's progress with JWT verification and one query by id.
app.get("/api/v1/labels/job/:id", async (c) => {
  const token = /^Bearer (\S+)$/.exec(c.req.header("authorization") ?? "")?.[1];
  if (!token) return c.json({ error: "UNAUTHENTICATED" }, 401);
  try {
    await jwtVerify(token, await keyFor(c.env.JWT_SECRET), { algorithms: ["HS256"], issuer: ISSUER, audience: AUDIENCE });
  } catch {
    return c.json({ error: "UNAUTHENTICATED" }, 401);
  }
  const job = await c.env.DB.prepare("SELECT * FROM label_jobs WHERE id = ?").bind(c.req.param("id")).first();
  c.header("server-timing", ONE_QUERY);
  return job ? c.json(job) : c.json({ error: "NOT_FOUND" }, 404);
});

// Part Management's list (issue 8): a JWT check and one query, a page of parts (newest first)
// with the total beside it, in the seed's camelCase envelope `{parts,total,limit,offset}`.
app.get("/api/parts/", async (c) => {
  if (!(await subjectOf(c))) return c.json({ error: "API key required" }, 401);
  const limit = Math.min(Number(c.req.query("limit") ?? 50) || 50, 1000);
  const { results } = await c.env.DB.prepare("SELECT p.*, (SELECT count(*) FROM parts) AS total FROM parts p ORDER BY p.created_at DESC, p.id DESC LIMIT ?")
    .bind(limit)
    .all();
  c.header("server-timing", ONE_QUERY);
  const parts = results.map((r) => ({
    id: r.id,
    type: r.type,
    material: r.material,
    materialThickness: r.material_thickness,
    name: r.name,
    partId: r.part_id,
    subsystem: r.subsystem,
    assigned: r.assigned,
    status: r.status,
    miscInfo: r.misc_info === null ? null : JSON.parse(r.misc_info),
    notes: r.notes,
    file: r.file,
    onshapeUrl: r.onshape_url,
    claimedDate: r.claimed_date,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    category: r.category,
    amount: r.amount,
  }));
  return c.json({ parts, total: results[0]?.total ?? 0, limit, offset: 0 });
});

// Attendance (issue 10): the log page with JWT verification and one join (no count, no mapping).
app.get("/api/v1/attendance/logs", async (c) => {
  const token = /^Bearer (\S+)$/.exec(c.req.header("authorization") ?? "")?.[1];
  if (!token) return c.json({ error: "UNAUTHENTICATED" }, 401);
  try {
    await jwtVerify(token, await keyFor(c.env.JWT_SECRET), { algorithms: ["HS256"], issuer: ISSUER, audience: AUDIENCE });
  } catch {
    return c.json({ error: "UNAUTHENTICATED" }, 401);
  }
  const { results } = await c.env.DB.prepare(
    "SELECT ev.*, e.name AS employee, e.code AS employee_code, e.department FROM attendance_events ev JOIN attendance_employees e ON e.id = ev.employee_id ORDER BY ev.at DESC, ev.seq DESC LIMIT 50",
  ).all();
  c.header("server-timing", ONE_QUERY);
  return c.json(results);
});

export default app;
