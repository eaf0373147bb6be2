/**
 * One part under `/api/parts/{id}` (seeds 001/002): read, edit, delete and the workflow actions
 * (approve, assign, unclaim, complete, revert).
 */
import { createRouter, json, principalOf, routeDefiner } from "../../lib/route";
import { PartIdParam } from "../../modules/parts/schemas";
import { deletePart, editPart, getPart, transitionPart } from "../../modules/parts/service";
import { ApproveBody, AssignBody, CompatUpdate, CompleteBody, Message, NOT_FOUND, Optional, PartResponse, TAGS, toCompatPart, toInput } from "./shapes";
import { partsSurface } from "./surface";

const defineRoute = routeDefiner(partsSurface);

export const partWorkflowRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: "/{id}",
      access: "parts:read",
      pureRead: true,
      summary: "One part",
      tags: TAGS,
      request: { params: PartIdParam },
      errors: NOT_FOUND,
      responses: PartResponse,
    }),
    async (c) => c.json(toCompatPart(await getPart(c.get("deps"), c.req.valid("param").id)), 200),
  )
  .openapi(
    defineRoute({
      method: "put",
      path: "/{id}",
      access: "parts:write",
      summary:
        "Edit the fields it carries; `status` In Progress / Completed / Reviewed moves the part as start (or revert) / complete / approve do (illegal: 400)",
      tags: TAGS,
      request: { params: PartIdParam, body: { content: { "application/json": { schema: CompatUpdate } } } },
      errors: { ...NOT_FOUND, 400: "A status move the part's state does not allow" },
      responses: PartResponse,
    }),
    async (c) => {
      const { status, ...fields } = c.req.valid("json");
      const input = { id: c.req.valid("param").id, patch: toInput(fields), status };
      return c.json(toCompatPart(await editPart(c.get("deps"), input, principalOf(c))), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "delete",
      path: "/{id}",
      access: "parts:delete",
      summary: "Delete a part",
      tags: TAGS,
      request: { params: PartIdParam },
      errors: NOT_FOUND,
      responses: { 200: json(Message, "Deleted") },
    }),
    async (c) => c.json(await deletePart(c.get("deps"), { id: c.req.valid("param").id }, principalOf(c)), 200),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/{id}/approve",
      access: "parts:review",
      summary: "Approve (Reviewed; to the type's category); body {reviewer?, miscInfo?}",
      tags: TAGS,
      request: { params: PartIdParam, body: { content: { "application/json": { schema: ApproveBody } } } },
      errors: { ...NOT_FOUND, 409: "Not in review" },
      responses: PartResponse,
    }),
    async (c) => {
      const { reviewer, miscInfo } = c.req.valid("json");
      const transition = { action: "approve" as const, reviewer, misc_info: miscInfo };
      return c.json(toCompatPart(await transitionPart(c.get("deps"), { id: c.req.valid("param").id, transition }, principalOf(c))), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/{id}/assign",
      access: "parts:write",
      summary: "Assign {assigned}: In Progress, claimedDate now",
      tags: TAGS,
      request: { params: PartIdParam, body: { content: { "application/json": { schema: AssignBody } } } },
      errors: { ...NOT_FOUND, 409: "Not in a fabrication category" },
      responses: PartResponse,
    }),
    async (c) => {
      const { assigned } = c.req.valid("json");
      return c.json(
        toCompatPart(await transitionPart(c.get("deps"), { id: c.req.valid("param").id, transition: { action: "assign", assigned } }, principalOf(c))),
        200,
      );
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/{id}/unclaim",
      access: "parts:write",
      summary: "Unclaim: clears the assignee",
      tags: TAGS,
      request: { params: PartIdParam, body: { required: false, content: { "application/json": { schema: Optional } } } },
      errors: { ...NOT_FOUND, 409: "Not assigned" },
      responses: PartResponse,
    }),
    async (c) =>
      c.json(toCompatPart(await transitionPart(c.get("deps"), { id: c.req.valid("param").id, transition: { action: "unclaim" } }, principalOf(c))), 200),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/{id}/complete",
      access: "parts:write",
      summary: "Complete (body {miscInfo?})",
      tags: TAGS,
      request: { params: PartIdParam, body: { content: { "application/json": { schema: CompleteBody } } } },
      errors: { ...NOT_FOUND, 409: "Not in a fabrication category" },
      responses: PartResponse,
    }),
    async (c) => {
      const transition = { action: "complete" as const, misc_info: c.req.valid("json").miscInfo };
      return c.json(toCompatPart(await transitionPart(c.get("deps"), { id: c.req.valid("param").id, transition }, principalOf(c))), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/{id}/revert",
      access: "parts:write",
      summary: "Revert a completed part",
      tags: TAGS,
      request: { params: PartIdParam, body: { required: false, content: { "application/json": { schema: Optional } } } },
      errors: { ...NOT_FOUND, 400: "Part is not completed" },
      responses: PartResponse,
    }),
    async (c) =>
      c.json(toCompatPart(await transitionPart(c.get("deps"), { id: c.req.valid("param").id, transition: { action: "revert" } }, principalOf(c))), 200),
  );
