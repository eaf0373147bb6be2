import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import readme from "../../README.md?raw";
import { envRows, renderEnvTable, withEnvTable } from "../../src/environment";
import { featureReader } from "../../src/lib/config";
import { attendanceConfig } from "../../src/modules/attendance/config";
import { magentoConfig } from "../../src/modules/magento/client";

describe("environment table", () => {
  it("README.md's table is the one the config schemas render (run `npm run docs:env` after changing a variable)", () => {
    expect(withEnvTable(readme, renderEnvTable())).toBe(readme);
  });

  it("documents every variable the worker is given, each once", () => {
    const names = envRows().map(([name]) => name.replaceAll("`", ""));
    expect(new Set(names).size).toBe(names.length);
    const given = Object.entries(env)
      .filter(([name, value]) => typeof value === "string" && !name.startsWith("__"))
      .map(([name]) => name);
    expect(given.filter((name) => !names.includes(name))).toEqual([]);
  });
});

describe("feature settings", () => {
  it("an empty variable takes the default; a bad one is a 503 of that feature naming it", () => {
    expect(attendanceConfig.read({ ATTENDANCE_GRACE_MINUTES: "" }).graceMinutes).toBe(5);
    expect(() => attendanceConfig.read({ ATTENDANCE_GRACE_MINUTES: "soon" })).toThrow(
      expect.objectContaining({ status: 503, message: expect.stringContaining("ATTENDANCE_GRACE_MINUTES") }),
    );
    expect(() => magentoConfig.read({ MAGENTO_BASE_URL: "https://shop.test" })).toThrow(
      expect.objectContaining({ status: 503, reason: "magento_not_configured", message: "Magento is not configured: MAGENTO_TOKEN" }),
    );
  });

  it("are read once per deps: a later change to the variables is seen by the next request, not mid-request", () => {
    const vars: Record<string, string> = { ATTENDANCE_GRACE_MINUTES: "7" };
    const first = featureReader(vars);
    expect(first(attendanceConfig).graceMinutes).toBe(7);
    vars.ATTENDANCE_GRACE_MINUTES = "9";
    expect(first(attendanceConfig).graceMinutes).toBe(7);
    expect(featureReader(vars)(attendanceConfig).graceMinutes).toBe(9);
  });
});
