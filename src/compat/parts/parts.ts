/**
 * Part Management / Aerie's `/api/parts/…` (seeds 001/002), on the same services as
 * `/api/v1/parts`. The routes live in collection.ts (list, create, stats), workflow.ts (one part
 * and its lifecycle) and files.ts (uploads, model, views, drawing); shapes.ts holds the wire shapes.
 */
import { createRouter } from "../../lib/route";
import { partsCollectionRoutes } from "./collection";
import { partFileRoutes } from "./files";
import { partWorkflowRoutes } from "./workflow";

export { partsCompatRootRoutes } from "./collection";
export { CompatPart, toCompatPart } from "./shapes";

/** Everything else under `/api/parts` (mount at `/api/parts`); the collection reads come before `/{id}`. */
export const partsCompatRoutes = createRouter().route("/", partsCollectionRoutes).route("/", partWorkflowRoutes).route("/", partFileRoutes);
