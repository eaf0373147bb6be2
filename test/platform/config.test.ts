import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { getConfig } from "../../src/lib/config";
import { AppError } from "../../src/lib/errors";
import { deliverResetToken } from "../../src/modules/auth/service";

const withVars = (vars: Record<string, unknown>) => getConfig({ ...env, ...vars });
const issued = { username: "u", token: "secret-reset-token", expiresAt: new Date().toISOString() };

describe("configuration", () => {
  it("a deploy that does not name its environment gets production behaviour", () => {
    const { ENVIRONMENT: _omit, ...rest } = env;
    expect(getConfig(rest).ENVIRONMENT).toBe("production");
  });

  it("a missing or short JWT_SECRET is a 503 that names the variable", () => {
    expect(() => withVars({ JWT_SECRET: "short" })).toThrow(AppError);
    try {
      withVars({ JWT_SECRET: "short" });
    } catch (err) {
      expect((err as AppError).code).toBe("SERVICE_UNAVAILABLE");
      expect((err as AppError).message).toContain("JWT_SECRET");
    }
  });

  it("reset tokens are returned only with DEV_RETURN_RESET_TOKEN, and never in staging or production", async () => {
    expect((await deliverResetToken({ config: withVars({ ENVIRONMENT: "development", DEV_RETURN_RESET_TOKEN: "true" }) }, issued)).devToken).toBe(issued.token);
    expect((await deliverResetToken({ config: withVars({ ENVIRONMENT: "development", DEV_RETURN_RESET_TOKEN: "false" }) }, issued)).devToken).toBeUndefined();
    for (const environment of ["staging", "production"]) {
      const out = await deliverResetToken({ config: withVars({ ENVIRONMENT: environment, DEV_RETURN_RESET_TOKEN: "true" }) }, issued);
      expect(out.devToken).toBeUndefined();
      expect(out.delivered).toBe(false);
    }
  });
});
