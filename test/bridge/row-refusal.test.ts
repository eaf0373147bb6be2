/**
 * Which failures of a one-row batch write the row off (D1 refused its values) and which retry
 * the job (the database failed): a transient failure written off would lose the row for good.
 */
import { describe, expect, it } from "vitest";
import { isRowRefusal } from "../../src/modules/bridge/runner";

describe("isRowRefusal", () => {
  it.each([
    "D1_ERROR: D1 DB is overloaded. Requests queued for too long.",
    "Durable Object is overloaded. Requests queued for too long.",
    "D1_ERROR: Network connection lost.",
    "D1_ERROR: Durable Object storage was reset",
    "D1_ERROR: Internal error in D1 DB storage caused object to be reset.",
    "D1_ERROR: The operation timed out",
  ])("%s is not the row's fault: retried", (message) => {
    expect(isRowRefusal(new Error(message))).toBe(false);
    // Also when it is the cause of another error.
    expect(isRowRefusal(new Error("D1_ERROR: UNIQUE constraint failed: x.id: SQLITE_CONSTRAINT", { cause: new Error(message) }))).toBe(false);
  });

  it.each([
    "D1_ERROR: UNIQUE constraint failed: production_lines.line_code: SQLITE_CONSTRAINT",
    "D1_ERROR: CHECK constraint failed: qty >= 0: SQLITE_CONSTRAINT",
    "D1_ERROR: string or blob too big: SQLITE_TOOBIG",
    "D1_ERROR: datatype mismatch: SQLITE_MISMATCH",
    "D1_ERROR: malformed JSON",
    "D1_TYPE_ERROR: Type 'symbol' not supported for value 'Symbol()'",
  ])("%s is the row's: written off and reported", (message) => {
    expect(isRowRefusal(new Error(message))).toBe(true);
    expect(isRowRefusal(new Error("D1 batch failed", { cause: new Error(message) }))).toBe(true);
  });

  it("an error that names neither is not a refusal", () => {
    expect(isRowRefusal(new Error("something else"))).toBe(false);
    expect(isRowRefusal("a string")).toBe(false);
  });
});
