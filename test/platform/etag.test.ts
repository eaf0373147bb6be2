import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { AppError } from "../../src/lib/errors";
import { etagFor, expectedVersion, parseIfMatch, setETag } from "../../src/lib/etag";

function rejection(header: string): AppError {
  try {
    parseIfMatch(header);
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error(`expected ${JSON.stringify(header)} to be refused`);
}

describe("If-Match", () => {
  it("reads a version quoted, weak or bare", () => {
    expect(parseIfMatch('"3"')).toBe(3);
    expect(parseIfMatch('W/"3"')).toBe(3);
    expect(parseIfMatch("3")).toBe(3);
    expect(parseIfMatch('  "42"  ')).toBe(42);
    expect(parseIfMatch('"0"')).toBe(0);
  });

  it("absent is undefined; * is any version", () => {
    expect(parseIfMatch(undefined)).toBeUndefined();
    expect(parseIfMatch(null)).toBeUndefined();
    expect(parseIfMatch("*")).toBe("*");
    expect(expectedVersion("*")).toBeUndefined();
    expect(expectedVersion(undefined)).toBeUndefined();
    expect(expectedVersion('W/"7"')).toBe(7);
  });

  it.each(['"abc"', '"3", "4"', 'w/"3"', '"3', "-1", "3.0", '""', "", '"1e3"', '"9999999999999999"', `"${"1".repeat(100)}"`])(
    "refuses %j with 422 naming header.If-Match",
    (header) => {
      const err = rejection(header);
      expect(err.code).toBe("VALIDATION_ERROR");
      expect(err.status).toBe(422);
      expect(err.details).toEqual([expect.objectContaining({ path: "header.If-Match" })]);
    },
  );
});

describe("ETag", () => {
  it("is the quoted version, and parses back", async () => {
    expect(etagFor(5)).toBe('"5"');
    expect(parseIfMatch(etagFor(5))).toBe(5);
    const app = new Hono().get("/", (c) => {
      setETag(c, 12);
      return c.json({ ok: true });
    });
    const res = await app.fetch(new Request("http://localhost/"), env);
    expect(res.headers.get("etag")).toBe('"12"');
  });
});
