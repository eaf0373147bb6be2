/**
 * MS5's report templates and scheduled reports: only their creator (or an administrator)
 * changes or deletes them; the hourly cron queues each due run once.
 */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { productionReports, scheduledReports } from "../../src/db/schema";
import worker from "../../src/index";
import { ErrorSchema } from "../../src/lib/surface";
import { latestSlot, periodOf, runScheduledReports } from "../../src/modules/reports/runner";
import { call, db, loginAs, str, testDeps, unique } from "../helpers";

type Login = Awaited<ReturnType<typeof loginAs>>;

async function setup(owner: Login) {
  const line = await call("/api/v1/production/lines", { token: owner.token, body: { line_code: unique("L"), name: "Rep" } });
  const template = await call("/api/v1/reports/templates", {
    token: owner.token,
    body: { name: unique("T"), template_type: "production", parameters: [{ name: "report_date", type: "date", required: true }], sections: [] },
  });
  expect(template.status).toBe(201);
  const scheduled = await call("/api/v1/reports/scheduled", {
    token: owner.token,
    body: { name: unique("Daily"), template_id: str(template.json.id), frequency: "daily", hour_utc: 6, parameters: { line_id: str(line.json.id) } },
  });
  expect(scheduled.status, JSON.stringify(scheduled.json)).toBe(201);
  return { templateId: str(template.json.id), scheduledId: str(scheduled.json.id), lineId: str(line.json.id) };
}

describe("report templates and scheduled reports: ownership", () => {
  it("another user with reports:generate may not change or delete them (403, nothing changed); the creator and an admin may", async () => {
    const owner = await loginAs("production_manager");
    const other = await loginAs("shift_manager");
    const admin = await loginAs("admin");
    const { templateId, scheduledId } = await setup(owner);
    for (const [method, path, body] of [
      ["PUT", `/api/v1/reports/templates/${templateId}`, { description: "mine now" }],
      ["DELETE", `/api/v1/reports/templates/${templateId}`, undefined],
      ["PUT", `/api/v1/reports/scheduled/${scheduledId}`, { hour_utc: 7 }],
      ["POST", `/api/v1/reports/scheduled/${scheduledId}/toggle`, undefined],
      ["DELETE", `/api/v1/reports/scheduled/${scheduledId}`, undefined],
    ] as const) {
      const res = await call(path, { method, token: other.token, body, schema: ErrorSchema });
      expect(res.status, `${method} ${path}`).toBe(403);
    }
    const [row] = await db().select().from(scheduledReports).where(eq(scheduledReports.id, scheduledId));
    expect(row).toMatchObject({ hourUtc: 6, isActive: true, version: 1 });
    expect((await call(`/api/v1/reports/templates/${templateId}`, { token: other.token })).json.description).toBeNull();
    // Reading and using them stays open to others.
    expect((await call(`/api/v1/reports/scheduled/${scheduledId}`, { token: other.token })).status).toBe(200);
    expect((await call(`/api/v1/reports/scheduled/${scheduledId}`, { method: "PUT", token: owner.token, body: { hour_utc: 7 } })).status).toBe(200);
    expect((await call(`/api/v1/reports/scheduled/${scheduledId}`, { method: "PUT", token: admin.token, body: { hour_utc: 8 } })).status).toBe(200);
    expect((await call(`/api/v1/reports/scheduled/${scheduledId}`, { method: "DELETE", token: admin.token })).status).toBe(200);
    expect((await call(`/api/v1/reports/templates/${templateId}`, { method: "DELETE", token: owner.token })).status).toBe(200);
  });
});

describe("scheduled report runner", () => {
  it("slots and periods: daily, weekly (Mondays), monthly (the 1st), at hour_utc", () => {
    const now = new Date("2026-12-03T05:30:00Z"); // a Thursday, before 06:00
    expect(latestSlot("daily", 6, now).toISOString()).toBe("2026-12-02T06:00:00.000Z");
    expect(latestSlot("daily", 5, now).toISOString()).toBe("2026-12-03T05:00:00.000Z");
    expect(latestSlot("weekly", 6, now).toISOString()).toBe("2026-11-30T06:00:00.000Z");
    expect(latestSlot("monthly", 6, now).toISOString()).toBe("2026-12-01T06:00:00.000Z");
    expect(latestSlot("monthly", 6, new Date("2026-12-01T05:00:00Z")).toISOString()).toBe("2026-11-01T06:00:00.000Z");
    expect(periodOf("daily", new Date("2026-12-02T06:00:00Z"))).toEqual({ start_date: "2026-12-01", end_date: "2026-12-01" });
    expect(periodOf("weekly", new Date("2026-11-30T06:00:00Z"))).toEqual({ start_date: "2026-11-23", end_date: "2026-11-29" });
    expect(periodOf("monthly", new Date("2026-12-01T06:00:00Z"))).toEqual({ start_date: "2026-11-01", end_date: "2026-11-30" });
  });

  it("queues a due run once: a retried and an overlapping cron make no second report; a slot before the schedule existed never runs", async () => {
    const owner = await loginAs("production_manager");
    const { scheduledId, lineId } = await setup(owner);
    const runsOf = () => db().select().from(productionReports).where(eq(productionReports.scheduleId, scheduledId));
    // Just created: today's 06:00 slot (if passed) predates it, so nothing runs.
    await runScheduledReports(testDeps());
    expect(await runsOf()).toHaveLength(0);
    // Created two days ago: the latest 06:00 slot is due.
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000).toISOString();
    await db().update(scheduledReports).set({ createdAt: twoDaysAgo }).where(eq(scheduledReports.id, scheduledId));
    const [a, b] = await Promise.all([runScheduledReports(testDeps()), runScheduledReports(testDeps())]);
    expect((a ?? 0) + (b ?? 0)).toBeGreaterThanOrEqual(1);
    // The real hourly handler, retried.
    for (let i = 0; i < 2; i++) {
      const ctx = createExecutionContext();
      await worker.scheduled(createScheduledController({ cron: "17 * * * *", scheduledTime: Date.now() }), env, ctx);
      await waitOnExecutionContext(ctx);
    }
    const runs = await runsOf();
    expect(runs).toHaveLength(1);
    const slot = latestSlot("daily", 6, new Date());
    expect(runs[0]).toMatchObject({
      requestedBy: owner.id,
      lineIds: [lineId],
      scheduleSlot: slot.toISOString(),
      ...(() => {
        const p = periodOf("daily", slot);
        return { startDate: p.start_date, endDate: p.end_date };
      })(),
    });
    const [schedule] = await db().select().from(scheduledReports).where(eq(scheduledReports.id, scheduledId));
    expect(schedule?.lastRunAt).toBe(slot.toISOString());
  });

  it("a schedule whose line is gone has its slot marked run and makes no report (it would fail every hour)", async () => {
    const owner = await loginAs("production_manager");
    const { scheduledId } = await setup(owner);
    await db()
      .update(scheduledReports)
      .set({ createdAt: new Date(Date.now() - 2 * 86_400_000).toISOString(), parameters: { line_id: "no-such-line" } })
      .where(eq(scheduledReports.id, scheduledId));
    expect(await runScheduledReports(testDeps())).toBe(0);
    expect(await db().select().from(productionReports).where(eq(productionReports.scheduleId, scheduledId))).toHaveLength(0);
    const [schedule] = await db().select().from(scheduledReports).where(eq(scheduledReports.id, scheduledId));
    expect(schedule?.lastRunAt).toBe(latestSlot("daily", 6, new Date()).toISOString());
  });
});
