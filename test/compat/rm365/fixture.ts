/**
 * What the RM365 endpoint tests need, built through RM365's own routes as its client would: two
 * employees (the first with a card, a fingerprint and a clock-in and clock-out today), dates
 * around today, and, when asked, a pick session on an order of the fake shop.
 */
import { expect } from "vitest";
import { call, type Json, loginAs, str } from "../../helpers";

const tokens = new Map<string, Promise<string>>();
/**
 * A signed-in RM365 user of a role (one per role per test file). Keyed by the file too: files share
 * one runtime (module state outlives a file) while their storage is emptied between files.
 */
export function tokenFor(role: string): Promise<string> {
  const key = `${expect.getState().testPath ?? ""}\u0000${role}`;
  let token = tokens.get(key);
  if (!token) {
    token = loginAs(role).then((u) => u.token);
    tokens.set(key, token);
  }
  return token;
}

export const randomTemplate = () => btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(48))));
const randomUid = () => [...crypto.getRandomValues(new Uint8Array(7))].map((b) => b.toString(16).padStart(2, "0")).join("");
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

export type Vars = Record<string, string | number>;

/** Posts as the client does and expects a 2xx; returns the JSON. */
export async function ok(path: string, token: string, body?: unknown, method?: string): Promise<Json> {
  const res = await call(path, { token, body, method });
  expect(res.status, `${method ?? (body ? "POST" : "GET")} ${path}: ${JSON.stringify(res.json)}`).toBeLessThan(300);
  return res.json;
}

/** Two employees through RM365's enrollment routes; the first with a card, a fingerprint and a day's clocking. */
export async function employees(): Promise<Vars> {
  const admin = await tokenFor("admin");
  const make = async (name: string, nfc_uid: string | null) =>
    Number((await ok("/api/v1/enrollment/employees", admin, { name, location: "UK", status: "active", nfc_uid })).employee?.id);
  const employee = await make(`Employee ${crypto.randomUUID().slice(0, 6)}`, randomUid());
  const employee2 = await make(`Second ${crypto.randomUUID().slice(0, 6)}`, null);
  await ok("/api/v1/enrollment/save/fingerprint", admin, { employee_id: employee, template_b64: randomTemplate(), name: "Left index" });
  const listed = (await ok("/api/v1/enrollment/employees", admin)) as unknown as { id: number; fingerprints: { id: number }[] }[];
  const fingerprint = listed.find((e) => e.id === employee)?.fingerprints[0]?.id;
  expect(fingerprint).toBeTypeOf("number");
  await ok("/api/v1/attendance/clock", admin, { employee_id: employee });
  await ok("/api/v1/attendance/clock", admin, { employee_id: employee });
  return { employee, employee2, fingerprint: Number(fingerprint), from: day(-2), to: day(1), template: randomTemplate() };
}

/** Fills `{name}` placeholders: a whole-string placeholder keeps the value's type. */
export function fill(value: unknown, vars: Vars): unknown {
  if (typeof value === "string") {
    const whole = /^\{(\w+)\}$/.exec(value);
    if (whole?.[1] && whole[1] in vars) return vars[whole[1]];
    return value.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));
  }
  if (Array.isArray(value)) return value.map((v) => fill(v, vars));
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, vars)]));
  return value;
}

/** Checks that every field the client reads is there (`[]`: a bare array; `[].x`: on its first element). */
export function expectReads(json: unknown, reads: readonly string[], label: string): void {
  for (const read of reads) {
    if (read === "[]") {
      expect(Array.isArray(json), `${label}: a bare array`).toBe(true);
      continue;
    }
    let node: unknown = json;
    for (const part of read.split(".")) {
      if (part === "[]") {
        expect(Array.isArray(node) && node.length > 0, `${label}: ${read} needs a non-empty array`).toBe(true);
        node = (node as unknown[])[0];
        continue;
      }
      expect(node !== null && typeof node === "object" && part in node, `${label}: reads ${read} (${JSON.stringify(json).slice(0, 300)})`).toBe(true);
      node = (node as Record<string, unknown>)[part];
    }
  }
}

export { str };
