import { call, type Json, loginAs, str, unique } from "../helpers";

/** A manager (admin: every permission and tab) and a helper to create employees through the API. */
export async function manager() {
  const admin = await loginAs("admin");
  return {
    token: admin.token,
    admin,
    async employee(extra: { name?: string; department?: string } = {}): Promise<{ id: string; code: string; name: string }> {
      const code = unique("E").toUpperCase();
      const name = extra.name ?? `Worker ${code}`;
      const res = await call("/api/v1/attendance/employees", { token: admin.token, body: { code, name, department: extra.department ?? "Assembly" } });
      if (res.status !== 201) throw new Error(`create employee: ${res.status} ${JSON.stringify(res.json)}`);
      return { id: str(res.json.id), code, name };
    },
    clock(body: Record<string, unknown>, headers: Record<string, string> = {}, path = "/api/v1/attendance/clock") {
      return call(path, { token: admin.token, body, headers });
    },
  };
}

export const directionOf = (json: Json) => str(json.direction);
