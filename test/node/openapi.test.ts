// Runs in Node (not workerd): the validator compiles JSON Schemas with `new Function`, which the
// Workers runtime forbids. It validates the document the app serves at /openapi.json.
import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { buildOpenApi } from "../../src/lib/openapi";

describe("OpenAPI document (validated in Node)", () => {
  it("is a valid OpenAPI 3.1 document", async () => {
    const doc = buildOpenApi(createApp());
    const validator = new Validator();
    const result = await validator.validate(JSON.parse(JSON.stringify(doc)) as Parameters<Validator["validate"]>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  it("gives every operation a unique operationId, a summary and tags", () => {
    const doc = buildOpenApi(createApp()) as unknown as { paths: Record<string, Record<string, { operationId: string; summary: string; tags: string[] }>> };
    const ops = Object.values(doc.paths).flatMap((p) => Object.values(p));
    const ids = ops.map((o) => o.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const op of ops) {
      expect(op.summary.length).toBeGreaterThan(3);
      expect(op.tags.length).toBeGreaterThan(0);
    }
  });
});
