import { createRouter, defineRoute, json, principalOf } from "../../lib/route";
import {
  Card,
  CardPage,
  CredentialListQuery,
  EmployeeEnrollment,
  Fingerprint,
  FingerprintPage,
  IdParams,
  RegisterCard,
  RegisterFingerprint,
  ReplaceCard,
  ReplacedCard,
  RevokeBody,
} from "./schemas";
import { employeeEnrollment, listCards, listFingerprints, registerCard, registerFingerprint, replaceCard, revokeCard, revokeFingerprint } from "./service";

const TAGS = ["enrollment"];
/** RM365's enrollment tabs: management (overview), card (cards, NFC and RFID), fingerprint. */
const TAB = { any: "enrollment", card: "enrollment.card", fingerprint: "enrollment.fingerprint" };

/** `/api/v1/enrollment`: cards and fingerprint templates per employee. */
export const enrollmentRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: "/employees/{id}",
      access: "enrollment:read",
      pureRead: true,
      tab: TAB.any,
      summary: "One employee's cards and fingerprints, active and revoked (by id or code)",
      tags: TAGS,
      request: { params: IdParams },
      errors: { 404: "No such employee" },
      responses: { 200: json(EmployeeEnrollment, "The employee's credentials") },
    }),
    async (c) => c.json(await employeeEnrollment(c.get("deps"), c.req.valid("param").id), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/cards",
      access: "enrollment:read",
      pureRead: true,
      tab: TAB.card,
      summary: "Cards, newest first (?employee_id, ?include_revoked=true)",
      tags: TAGS,
      request: { query: CredentialListQuery },
      responses: { 200: json(CardPage, "One page of cards") },
    }),
    async (c) => c.json(await listCards(c.get("deps"), c.req.valid("query")), 200),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/cards",
      access: "enrollment:write",
      tab: TAB.card,
      summary: "Register a card UID (normalised to upper-case hex) for an active employee; a card is active for one employee at most",
      tags: TAGS,
      request: { body: { content: { "application/json": { schema: RegisterCard } } } },
      errors: { 404: "No such employee", 409: "Card enrolled to someone, or employee inactive" },
      responses: { 201: json(Card, "The card") },
    }),
    async (c) => c.json(await registerCard(c.get("deps"), c.req.valid("json"), principalOf(c)), 201),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/cards/{id}/replace",
      access: "enrollment:write",
      tab: TAB.card,
      summary: "Replace a card: revoke it and register a new UID for the same employee, all or nothing",
      tags: TAGS,
      request: { params: IdParams, body: { content: { "application/json": { schema: ReplaceCard } } } },
      errors: { 404: "No such card", 409: "Card revoked already, or the new UID is in use" },
      responses: { 200: json(ReplacedCard, "The revoked card and its replacement") },
    }),
    async (c) => c.json(await replaceCard(c.get("deps"), c.req.valid("param").id, c.req.valid("json"), principalOf(c)), 200),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/cards/{id}/revoke",
      access: "enrollment:write",
      tab: TAB.card,
      summary: "Revoke a card {reason}: it stops clocking at once",
      tags: TAGS,
      request: { params: IdParams, body: { content: { "application/json": { schema: RevokeBody } } } },
      errors: { 404: "No such card", 409: "Already revoked" },
      responses: { 200: json(Card, "The revoked card") },
    }),
    async (c) => c.json(await revokeCard(c.get("deps"), c.req.valid("param").id, c.req.valid("json"), principalOf(c)), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/fingerprints",
      access: "enrollment:read",
      pureRead: true,
      tab: TAB.fingerprint,
      summary: "Fingerprint enrolments, newest first (?employee_id, ?include_revoked=true)",
      tags: TAGS,
      request: { query: CredentialListQuery },
      responses: { 200: json(FingerprintPage, "One page of enrolments") },
    }),
    async (c) => c.json(await listFingerprints(c.get("deps"), c.req.valid("query")), 200),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/fingerprints",
      access: "enrollment:write",
      tab: TAB.fingerprint,
      summary: "Enrol a reader's template id (optionally the template bytes, kept only as a SHA-256) for an active employee",
      tags: TAGS,
      request: { body: { content: { "application/json": { schema: RegisterFingerprint } } } },
      errors: { 404: "No such employee", 409: "Template enrolled already, or employee inactive" },
      responses: { 201: json(Fingerprint, "The enrolment") },
    }),
    async (c) => c.json(await registerFingerprint(c.get("deps"), c.req.valid("json"), principalOf(c)), 201),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/fingerprints/{id}/revoke",
      access: "enrollment:write",
      tab: TAB.fingerprint,
      summary: "Revoke a fingerprint enrolment {reason}: it stops clocking at once",
      tags: TAGS,
      request: { params: IdParams, body: { content: { "application/json": { schema: RevokeBody } } } },
      errors: { 404: "No such enrolment", 409: "Already revoked" },
      responses: { 200: json(Fingerprint, "The revoked enrolment") },
    }),
    async (c) => c.json(await revokeFingerprint(c.get("deps"), c.req.valid("param").id, c.req.valid("json"), principalOf(c)), 200),
  );
