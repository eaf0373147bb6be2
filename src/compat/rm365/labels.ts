/**
 * RM365's label screens (`/api/v1/labels/…` as its backend served them): the products to print
 * and the job history as `{jobs: […]}`. `start-job`, `job/{id}` and its files are the module's
 * own routes (they already answer RM365's shapes).
 *
 * Differences from the seed, on purpose:
 * - `item_id` is the item's barcode (its SKU when it has none), as RM365's was; start-job takes it.
 * - `discontinued_statuses` is accepted and not applied: Floorline's inventory has no
 *   discontinued status.
 * - The sales figures of the products to print (units per region, the region's last name and
 *   price) are what `GET /salesdata/{region}` guards: each is shown only to a caller holding
 *   salesdata:read and that region's tab (FR+NL units need both); others get the items with
 *   their inventory names, `price: null` and 0 units.
 * - The history lists every job to holders of the `labels.history` tab and a caller's own jobs to
 *   anyone else with a labels tab (RM365 listed every job to anyone signed in).
 */
import { z } from "zod";
import { isAllowed } from "../../lib/rbac";
import { createRouter, json, principalOf } from "../../lib/route";
import { JobListQuery, LabelJob, StartJobBody, StartJobResult } from "../../modules/labels/schemas";
import { listJobs, startJob } from "../../modules/labels/service";
import { itemsToPrint, MAX_TO_PRINT } from "../../modules/labels/to-print";
import { regionsOf } from "../../modules/salesdata/service";
import type { Principal } from "../../types";
import { defineRoute, jsonBody, setTotal } from "./common";

const TAGS = ["rm365"];

const ToPrint = z
  .object({
    item_id: z.string(),
    sku: z.string(),
    product_name: z.string(),
    price: z.number().nullable(),
    uk_6m_data: z.number(),
    fr_6m_data: z.number(),
  })
  .meta({ id: "Rm365LabelProduct" });

const JobRow = LabelJob.extend({ created_by_id: z.string() });

/** The regions whose sales figures `actor` may read, as GET /salesdata/{region} allows: salesdata:read and the region's tab. */
const salesVisibility = (actor: Principal): ReadonlySet<string> => new Set(isAllowed(actor, { access: "salesdata:read" }) ? regionsOf(actor) : []);

export const rm365LabelRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "post",
      path: "/start-job",
      // Labels show item data: the inventory read and tab too, as the module's own routes declare.
      access: ["labels:generate", "inventory:read"],
      tab: ["labels.generator", "inventory"],
      userLimit: "labels",
      summary:
        "Queue a label job: {item_ids (ids, SKUs or barcodes, in print order, at most 10,000), line_date?, template? (id or spec)}; RM365's `created_by` is accepted (the job's creator is the caller); needs inventory:read too",
      tags: TAGS,
      // Strict as Floorline's bodies are, but for the one key RM365's client adds.
      request: jsonBody(z.object({ ...StartJobBody.shape, created_by: z.string().max(254).optional() }).strict()),
      errors: {
        403: "No inventory:read or inventory tab (labels show items)",
        409: "Five jobs of yours are already queued or running",
        422: "Unknown items, values the symbology cannot encode, or a template that does not fit its page; nothing queued",
        503: "The queue refused the job; nothing saved",
      },
      responses: { 202: json(StartJobResult, "Queued: follow GET /labels/job/{id} or /labels/job/{id}/events") },
    }),
    async (c) => {
      const { created_by: _ignored, ...body } = c.req.valid("json");
      return c.json(await startJob(c.get("deps"), body, principalOf(c)), 202);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/to-print",
      access: ["labels:read", "inventory:read"],
      tab: ["labels.generator", "inventory"],
      summary: `RM365: the products to print, with name and price from the region's sales and six months of units sold (bare array, at most ${MAX_TO_PRINT})`,
      tags: TAGS,
      request: {
        query: z.object({
          region: z.enum(["uk", "fr", "nl"], { error: "region must be uk, fr or nl" }).default("uk"),
          discontinued_statuses: z.string().max(500).optional().describe("Accepted; Floorline's inventory has no discontinued status"),
        }),
      },
      errors: { 403: "No inventory:read or inventory tab (labels show items)" },
      responses: { 200: json(z.array(ToPrint), "Items by SKU (total in X-Total-Count)") },
    }),
    async (c) => {
      const { region } = c.req.valid("query");
      const sees = salesVisibility(principalOf(c));
      const { rows, total } = await itemsToPrint(c.get("deps"), region);
      setTotal(c, total);
      return c.json(
        rows.map((r) => ({
          item_id: r.barcode ?? r.sku,
          sku: r.sku,
          product_name: (sees.has(region) ? r.regionName : null) ?? r.name,
          price: sees.has(region) ? r.price : null,
          uk_6m_data: sees.has("uk") ? r.uk6m : 0,
          fr_6m_data: sees.has("fr") && sees.has("nl") ? r.frNl6m : 0,
        })),
        200,
      );
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/jobs",
      access: "labels:read",
      tab: "labels",
      summary: "Label jobs, newest first, as RM365's `{jobs}` and Floorline's page (?status=, ?mine=true): every job with the history tab, one's own otherwise",
      tags: TAGS,
      request: { query: JobListQuery.extend({ limit: z.coerce.number().int().min(1).max(200).default(10) }) },
      responses: {
        200: json(
          z.object({ jobs: z.array(JobRow), items: z.array(LabelJob), total: z.number().int(), limit: z.number().int(), offset: z.number().int() }),
          "Newest first",
        ),
      },
    }),
    async (c) => {
      const actor = principalOf(c);
      const everyone = isAllowed(actor, { access: "labels:read", tab: "labels.history" });
      const query = c.req.valid("query");
      const page = await listJobs(c.get("deps"), { ...query, mine: everyone ? query.mine : "true" }, actor);
      setTotal(c, page.total);
      // RM365's history shows `created_by` as a name.
      return c.json({ ...page, jobs: page.items.map((job) => ({ ...job, created_by: job.username, created_by_id: job.created_by })) }, 200);
    },
  );
