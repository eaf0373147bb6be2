/**
 * MS5's own tests/integration/test_api_endpoints.py (@aeb8b7a), ported: the requests it sends
 * to routes MS5's backend served, with the login fixed to `username` (it sent `email`, which its
 * backend refused too). Where it accepted any of several statuses, this asserts the one a
 * signed-in production manager gets: its invalid bodies (a line without `line_code`, random
 * ids, event_type "fault") are 422, unknown ids 404. Its job-assignment tests call
 * `/api/v1/job-assignments`, a path its backend never served (it mounted them under
 * `/production`), so they are not ported here; the catalogue test covers the real path.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { arr, call, loginAs } from "../../helpers";
import { ms5Headers } from "./fixtures";

const API = "/api/v1";
const uuid = () => crypto.randomUUID();

describe("MS5 test_api_endpoints.py, ported", () => {
  let token: string;
  let username: string;
  let password: string;
  beforeAll(async () => {
    const pm = await loginAs("production_manager");
    ({ token, username, password } = pm);
  });
  const get = (path: string) => call(`${API}${path}`, { headers: ms5Headers(token) });
  const post = (path: string, body?: unknown) => call(`${API}${path}`, { method: "POST", body, headers: ms5Headers(token) });

  it("test_auth_login (username, not email)", async () => {
    const res = await call(`${API}/auth/login`, { body: { username, password } });
    expect(res.status).toBe(200);
    expect(res.json).toHaveProperty("access_token");
    expect(res.json).toHaveProperty("user");
    // The email login it sent is refused, as its backend refused it.
    expect((await call(`${API}/auth/login`, { body: { email: "test@example.com", password: "testpassword" } })).status).toBe(422);
  });

  it("test_auth_profile", async () => {
    const res = await get("/auth/profile");
    expect(res.status).toBe(200);
    expect(res.json).toHaveProperty("id");
    expect(res.json).toHaveProperty("email");
  });

  it("test_get_production_lines / test_get_production_schedules / test_get_andon_events / test_get_reports: arrays", async () => {
    for (const path of ["/production/lines", "/production/schedules", "/andon/events", "/reports"]) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      expect(Array.isArray(res.json), path).toBe(true);
    }
  });

  it("test_create_production_line: its body lacks line_code → 422 naming it", async () => {
    const res = await post("/production/lines", { name: "Test Line", description: "Test Production Line", status: "active" });
    expect(res.status).toBe(422);
    expect(arr(res.json.details).map((d) => d.path)).toContain("body.line_code");
  });

  it("test_create_production_schedule: its fields are not a schedule's → 422", async () => {
    const now = new Date();
    const res = await post("/production/schedules", {
      line_id: uuid(),
      start_time: now.toISOString(),
      end_time: new Date(now.getTime() + 8 * 3_600_000).toISOString(),
      product_type_id: uuid(),
    });
    expect(res.status).toBe(422);
  });

  it("test_get_oee_data: an unknown line is 404", async () => {
    expect((await get(`/oee/lines/${uuid()}`)).status).toBe(404);
  });

  it("test_create_andon_event: event_type 'fault' and a random line → 422", async () => {
    const res = await post("/andon/events", {
      equipment_code: "EQ-001",
      line_id: uuid(),
      event_type: "fault",
      priority: "high",
      description: "Test Andon event",
      reported_by: uuid(),
    });
    expect(res.status).toBe(422);
  });

  it("test_acknowledge_andon_event / test_resolve_andon_event (POST): an unknown andon is 404", async () => {
    expect((await post(`/andon/events/${uuid()}/acknowledge`)).status).toBe(404);
    // Its body's `notes`/`resolved_by` are not the client's `resolution_notes`: 422 before any lookup.
    expect((await post(`/andon/events/${uuid()}/resolve`, { notes: "Issue resolved", resolved_by: uuid() })).status).toBe(422);
    expect((await post(`/andon/events/${uuid()}/resolve`, { resolution_notes: "Issue resolved" })).status).toBe(404);
  });
});
