/**
 * `/api/v1/equipment`: the registry in the `/api/v1` conventions, plus MS5's equipment routes
 * (`/status`, `/{code}/status`, `/{code}/faults`, `/{code}/maintenance`). Static paths are
 * registered before `/{code}`, so they win. GET `/` and GET `/{code}` are MS5's paths: they are
 * answered by src/compat/ms5/equipment.ts (a bare array; the item with `equipment_code`).
 */
import { z } from "zod";
import { expectedVersion, setETag } from "../../lib/etag";
import { jsonBody } from "../../lib/json-body";
import { createRouter, defineRoute, json, principalOf } from "../../lib/route";
import { IssueReportList, IssueReportListQuery } from "../issue-reports/schemas";
import { listIssueReports } from "../issue-reports/service";
import {
  BatchResult,
  BatchUpdate,
  CodeParams,
  CreateEquipment,
  Deleted,
  Equipment,
  EquipmentDetail,
  EquipmentListQuery,
  EquipmentStatusList,
  LogList,
  Maintenance,
  ScheduleMaintenance,
  StatusCounts,
  UpdateEquipment,
} from "./schemas";
import {
  batchUpdateEquipment,
  createEquipment,
  deleteEquipment,
  equipmentDetail,
  equipmentLogOf,
  listEquipmentStatus,
  scheduleMaintenance,
  statusCounts,
  updateEquipment,
} from "./service";

const TAGS = ["equipment"];
const IfMatchHeader = z.object({ "if-match": z.string().max(64).optional().describe('The item\'s version from its ETag, e.g. "3"') });
const FaultsQuery = IssueReportListQuery.omit({ equipment_code: true });
const PageOnly = EquipmentListQuery.pick({ limit: true, offset: true });

export const equipmentRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "post",
      path: "/",
      access: "equipment:write",
      summary: "Register an item (its first log row is written with it)",
      tags: TAGS,
      request: jsonBody(CreateEquipment),
      errors: { 409: "A live item has this code" },
      responses: { 201: json(Equipment, "The new item; ETag carries its version") },
    }),
    async (c) => {
      const created = await createEquipment(c.get("deps"), c.req.valid("json"), principalOf(c));
      setETag(c, created.version);
      return c.json(created, 201);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/status-counts",
      access: "equipment:read",
      pureRead: true,
      summary: "Live items by current status",
      tags: TAGS,
      responses: { 200: json(StatusCounts, "Counts by status") },
    }),
    async (c) => c.json(await statusCounts(c.get("deps")), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/status",
      access: "equipment:read",
      pureRead: true,
      summary: "Equipment status board (MS5): items with their open faults",
      tags: TAGS,
      request: { query: EquipmentListQuery },
      responses: { 200: json(EquipmentStatusList, "A page of items with open fault counts") },
    }),
    async (c) => c.json(await listEquipmentStatus(c.get("deps"), c.req.valid("query")), 200),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/batch",
      access: "equipment:write",
      summary: "Change the status of many items at once: all or nothing",
      tags: TAGS,
      request: jsonBody(BatchUpdate),
      errors: { 409: "An item is unknown, repeated, empty or stale: nothing changed; `details` names each" },
      responses: { 200: json(BatchResult, "Every item as it now is") },
    }),
    async (c) => c.json({ updated: await batchUpdateEquipment(c.get("deps"), c.req.valid("json").items, principalOf(c)) }, 200),
  )
  .openapi(
    defineRoute({
      method: "patch",
      path: "/{code}",
      access: "equipment:write",
      summary: "Change an item: fields, status, sub-status, with a comment (If-Match or `version` for a safe write)",
      tags: TAGS,
      request: { params: CodeParams, headers: IfMatchHeader, ...jsonBody(UpdateEquipment) },
      errors: { 404: "No such item", 409: "Stale version: nothing changed; `details.current` is the item now" },
      responses: { 200: json(Equipment, "The item as stored; ETag carries its version") },
    }),
    async (c) => {
      const updated = await updateEquipment(
        c.get("deps"),
        c.req.valid("param").code,
        c.req.valid("json"),
        principalOf(c),
        expectedVersion(c.req.header("if-match")),
      );
      setETag(c, updated.version);
      return c.json(updated, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "delete",
      path: "/{code}",
      access: "equipment:delete",
      summary: "Retire an item (soft delete: its log and reports stay; the code is free again)",
      tags: TAGS,
      request: { params: CodeParams, headers: IfMatchHeader },
      errors: { 404: "No such item", 409: "Stale If-Match" },
      responses: { 200: json(Deleted, "Deleted") },
    }),
    async (c) => c.json(await deleteEquipment(c.get("deps"), c.req.valid("param").code, principalOf(c), expectedVersion(c.req.header("if-match"))), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/{code}/log",
      access: "equipment:read",
      pureRead: true,
      summary: "An item's history, newest first (append-only)",
      tags: TAGS,
      request: { params: CodeParams, query: PageOnly },
      errors: { 404: "No such item" },
      responses: { 200: json(LogList, "A page of log rows") },
    }),
    async (c) => c.json(await equipmentLogOf(c.get("deps"), c.req.valid("param").code, c.req.valid("query")), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/{code}/status",
      access: "equipment:read",
      pureRead: true,
      summary: "Equipment detail (MS5): status, open faults, upcoming maintenance",
      tags: TAGS,
      request: { params: CodeParams },
      errors: { 404: "No such item" },
      responses: { 200: json(EquipmentDetail, "The item's detail") },
    }),
    async (c) => c.json(await equipmentDetail(c.get("deps"), c.req.valid("param").code), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/{code}/faults",
      access: "issue_reports:read",
      pureRead: true,
      summary: "An item's faults (MS5): its issue reports, open ones with ?open=true",
      tags: TAGS,
      request: { params: CodeParams, query: FaultsQuery },
      responses: { 200: json(IssueReportList, "A page of reports, newest first") },
    }),
    async (c) => c.json(await listIssueReports(c.get("deps"), { ...c.req.valid("query"), equipment_code: c.req.valid("param").code }), 200),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/{code}/maintenance",
      access: "maintenance:write",
      summary: "Schedule maintenance on an item (MS5)",
      tags: TAGS,
      request: { params: CodeParams, ...jsonBody(ScheduleMaintenance) },
      errors: { 404: "No such item" },
      responses: { 201: json(Maintenance, "The scheduled maintenance") },
    }),
    async (c) => c.json(await scheduleMaintenance(c.get("deps"), c.req.valid("param").code, c.req.valid("json"), principalOf(c)), 201),
  );
