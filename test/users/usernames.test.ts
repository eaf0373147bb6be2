import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { users } from "../../src/db/schema";
import { rekeyUsernames } from "../../src/modules/users/repo";
import { call, DEFAULT_PASSWORD, db, loginAs, makeUser, testDeps, unique } from "../helpers";

const register = (username: string) => call("/api/register", { body: { username, password: "password-123" } });

describe("usernames: NFKC, case-insensitive, one script", () => {
  it("Admin, ADMIN, fullwidth ａｄｍｉｎ and Cyrillic аdmin cannot be registered beside admin", async () => {
    const base = unique("boss").toLowerCase();
    expect((await register(base)).status).toBe(201);
    const fullwidth = [...base].map((ch) => (/[a-z0-9]/.test(ch) ? String.fromCodePoint((ch.codePointAt(0) ?? 0) + 0xfee0) : ch)).join("");
    for (const name of [base.charAt(0).toUpperCase() + base.slice(1), base.toUpperCase(), fullwidth]) {
      const res = await register(name);
      expect(res.status, name).toBe(409);
    }
    const cyrillic = `\u0430${base.slice(1)}`; // Cyrillic а + Latin
    const mixed = await register(cyrillic);
    expect(mixed.status).toBe(400);
    const admin = await loginAs("admin");
    const viaV1 = await call("/api/v1/users", { token: admin.token, body: { username: base.toUpperCase(), password: "password-123", role: "viewer" } });
    expect(viaV1.status).toBe(409);
    const mixedV1 = await call("/api/v1/users", { token: admin.token, body: { username: cyrillic, password: "password-123", role: "viewer" } });
    expect(mixedV1.status).toBe(422);
  });

  it("new names are stored in NFKC; single-script and Latin+Han names are fine", async () => {
    const admin = await loginAs("admin");
    const suffix = unique("").slice(1, 6);
    const fullwidth = `ｔａｒｏ${suffix}`;
    const created = await call("/api/v1/users", { token: admin.token, body: { username: fullwidth, password: "password-123", role: "viewer" } });
    expect(created.status).toBe(201);
    expect(created.json.username).toBe(`taro${suffix}`);
    for (const name of [`山田taro${suffix}`, `Ελένη${suffix.replace(/[^0-9]/g, "")}`, `ユーザー${suffix.replace(/[^0-9]/g, "")}`]) {
      expect((await call("/api/v1/users", { token: admin.token, body: { username: name, password: "password-123", role: "viewer" } })).status, name).toBe(201);
    }
  });

  it("renaming into another user's name in another case is refused", async () => {
    const admin = await loginAs("admin");
    const a = await makeUser("viewer");
    const b = await makeUser("viewer");
    const res = await call("/api/v1/users", { method: "PATCH", token: admin.token, body: { username: b.username, new_username: a.username.toUpperCase() } });
    expect(res.status).toBe(409);
  });

  it("lookups are case-insensitive: login, verify_username, forgot_password, admin tools", async () => {
    const u = await makeUser("viewer");
    const upper = u.username.toUpperCase();
    expect((await call("/api/v1/auth/login", { body: { username: upper, password: DEFAULT_PASSWORD } })).status).toBe(200);
    expect((await call("/api/auth/login", { body: { username: upper, password: DEFAULT_PASSWORD } })).status).toBe(200);
    expect((await call("/api/auth/verify_username", { body: { username: upper } })).status).toBe(200);
    expect((await call("/api/auth/forgot_password", { body: { username: upper } })).status).toBe(200);
    const admin = await loginAs("admin");
    expect((await call("/api/v1/users", { method: "PATCH", token: admin.token, body: { username: upper, department: "Paint" } })).status).toBe(200);
  });

  it("imported users keep their names as stored and are found by the key", async () => {
    const u = await makeUser("viewer");
    // an imported name that is neither NFKC nor lower case (the import stores it as is)
    const imported = `Ｉｍｐｏｒｔｅｄ${unique("").slice(1, 6)}`;
    await db()
      .update(users)
      .set({ username: imported, usernameKey: imported.normalize("NFKC").toLowerCase() })
      .where(eq(users.id, u.id));
    const res = await call("/api/v1/auth/login", { body: { username: imported.normalize("NFKC").toUpperCase(), password: DEFAULT_PASSWORD } });
    expect(res.status).toBe(200);
    expect(res.json.user?.username).toBe(imported);
  });
});

describe("migration 0004 keys existing users", () => {
  it("ASCII names by lower(); case collisions and other names by placeholder until rekeyed; all still log in", async () => {
    const migration = env.TEST_MIGRATIONS.find((m) => m.name.startsWith("0004_"));
    if (!migration) throw new Error("migration 0004 not found");
    // Replay the backfill on rows as they stood before it: drop the index, blank the keys.
    const backfill = migration.queries.filter((q) => !/^\s*(--[^\n]*\n\s*)*ALTER TABLE/i.test(q));
    const tag = unique("").slice(1, 7);
    const older = await makeUser("viewer", { username: `Bob${tag}` });
    const younger = await makeUser("viewer", { username: `zz${tag}` });
    const wide = await makeUser("viewer", { username: `x${tag}` });
    await env.DB.batch([
      env.DB.prepare("DROP INDEX users_username_key_unique"),
      env.DB.prepare("UPDATE users SET username_key = ''"),
      env.DB.prepare("UPDATE users SET created_at = '2020-01-01T00:00:00.000Z' WHERE id = ?1").bind(older.id),
      env.DB.prepare("UPDATE users SET username = ?1 WHERE id = ?2").bind(`bob${tag}`, younger.id),
      env.DB.prepare("UPDATE users SET username = ?1 WHERE id = ?2").bind(`Ｗｉｄｅ${tag}`, wide.id),
    ]);
    for (const q of backfill) await env.DB.prepare(q).run();
    const keyOf = async (id: string) => (await db().select({ k: users.usernameKey }).from(users).where(eq(users.id, id)))[0]?.k;
    expect(await keyOf(older.id)).toBe(`bob${tag}`);
    expect(await keyOf(younger.id)).toBe(`#${younger.id}`);
    expect(await keyOf(wide.id)).toBe(`#${wide.id}`);
    // before rekeying, the exact stored names still log in
    for (const name of [`Bob${tag}`, `bob${tag}`, `Ｗｉｄｅ${tag}`]) {
      expect((await call("/api/v1/auth/login", { body: { username: name, password: DEFAULT_PASSWORD } })).status, name).toBe(200);
    }
    expect(await rekeyUsernames(testDeps())).toBeGreaterThanOrEqual(1);
    expect(await keyOf(wide.id)).toBe(`wide${tag}`);
    expect(await keyOf(younger.id)).toBe(`#${younger.id}`); // still collides with Bob: left as it is
    expect((await call("/api/v1/auth/login", { body: { username: `WIDE${tag}`, password: DEFAULT_PASSWORD } })).status).toBe(200);
  });
});
