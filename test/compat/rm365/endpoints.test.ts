/**
 * One test per endpoint RM365's backend served that its client calls (endpoints.ts): the
 * client's request, the fields it reads. A route that is missing or answers another shape fails
 * under its own name.
 */
import { describe, expect, it } from "vitest";
import { call } from "../../helpers";
import { useFakeShop } from "../../magento/fake-shop";
import { ENDPOINTS } from "./endpoints";
import { employees, expectReads, fill, tokenFor } from "./fixture";

useFakeShop();

describe("RM365 client endpoints", () => {
  for (const endpoint of ENDPOINTS) {
    it(`${endpoint.method} ${endpoint.path} (${endpoint.role})`, async () => {
      const vars = await employees();
      const token = await tokenFor(endpoint.role);
      const path = String(fill(endpoint.path, vars));
      const res = await call(path, { method: endpoint.method, token, body: fill(endpoint.body, vars) });
      expect(res.status, `${endpoint.method} ${path}: ${JSON.stringify(res.json)}`).toBe(endpoint.status ?? 200);
      expectReads(res.json, endpoint.reads, `${endpoint.method} ${path}`);
    });
  }
});
