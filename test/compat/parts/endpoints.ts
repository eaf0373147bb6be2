/**
 * Every endpoint the Part Management and Aerie clients call, one checked-in table per client:
 * - PART_MANAGEMENT: frc3322/part-management-system @e71ab91 (src/core/api/partsApi.js, apiClient.js,
 *   src/core/auth/auth.js, src/features/**)
 * - AERIE_MAIN: frc3322/Aerie-Part-Management main @450b403 (src/core/api/endpoints.js, partsApi.js,
 *   src/features/**: no `partId` on create, the statistics panel, wipe)
 * - AERIE_ONSHAPE_OAUTH: the same repository's `Onshape-Oauth` branch @4879280 (seed 002's version:
 *   `partId` on create, Onshape status/connect/disconnect)
 * Each row is the request the client sends (always `X-API-Key`, JSON or multipart) and the fields
 * it reads. endpoints.test.ts makes one test per row per client, named after it.
 *
 * Placeholders come from the fixture (endpoints.test.ts): {part} (a part the client created, then
 * brought to the state the row `needs`), {key} (the API key the client holds).
 * `reads`: dotted paths (`[]` a bare array, `x.[].y` the first element's y); `blob`: the client
 * only checks `response.ok` and reads the body as a blob.
 */

export type Method = "GET" | "POST" | "PUT" | "DELETE";
/** What the part must have gone through before the call (in this order). */
export type Need = "hand" | "approved" | "assigned" | "completed" | "file" | "converted" | "views";

export interface PartsEndpoint {
  method: Method;
  path: string;
  /** Where in the client (what the user does). */
  from: string;
  body?: unknown;
  /** Multipart: `file` (a STEP) or `views` (eight PNGs view_0…view_7, as threeDViewer renders them). */
  multipart?: "file" | "views";
  needs?: Need[];
  reads: string[];
  blob?: boolean;
  status?: number;
}

/** What the clients read of a part (state.js normalizePart, the cards, the info modal). */
const PART = ["id", "category", "type", "name", "partId", "status", "amount", "material", "subsystem", "notes", "onshapeUrl", "miscInfo"];
const partReads = (prefix = "") => PART.map((f) => `${prefix}${f}`);

/** The add form as Part Management (and Aerie's Onshape-Oauth branch) send it: with `partId`. */
const createWithPartId = (from: string): PartsEndpoint => ({
  method: "POST",
  path: "/api/parts/",
  from,
  body: {
    type: "cnc",
    partId: "{newPartId}",
    material: "6061 aluminium",
    subsystem: "Drive",
    amount: 2,
    status: "Pending",
    notes: "deburr",
    onshapeUrl: "https://cad.onshape.com/documents/a/w/b/e/c",
    category: "review",
    name: "{newName}",
    file: "bracket.step",
  },
  reads: partReads(),
  status: 201,
});

const list: PartsEndpoint = { method: "GET", path: "/api/parts/", from: "state.js: load every part", reads: ["parts", ...partReads("parts.[].")] };
const byCategory: PartsEndpoint = {
  method: "GET",
  path: "/api/parts/categories/review",
  from: "state.js: reload one tab",
  reads: ["parts", ...partReads("parts.[].")],
};
const getOne: PartsEndpoint = { method: "GET", path: "/api/parts/{part}", from: "after an upload: the part again", reads: partReads() };
const edit: PartsEndpoint = {
  method: "PUT",
  path: "/api/parts/{part}",
  from: "edit modal: save",
  body: {
    type: "cnc",
    material: "steel",
    subsystem: "Intake",
    amount: 3,
    status: "Pending",
    notes: "edited",
    onshapeUrl: "",
    name: "{newName}",
    file: "bracket.step",
  },
  reads: partReads(),
};
const start: PartsEndpoint = {
  method: "PUT",
  path: "/api/parts/{part}",
  from: "CNC card: Start (markInProgress)",
  body: { status: "In Progress" },
  needs: ["approved"],
  reads: ["id", "status", "category", "type"],
};
const markIncorrect: PartsEndpoint = {
  method: "PUT",
  path: "/api/parts/{part}",
  from: "completed card: mark completed incorrectly",
  body: { miscInfo: { completedIncorrectly: true } },
  needs: ["approved", "completed"],
  reads: ["id", "miscInfo", "category", "type"],
};
const storeBeforeUnclaim: PartsEndpoint = {
  method: "PUT",
  path: "/api/parts/{part}",
  from: "hand card: unclaim (storage location first)",
  body: { miscInfo: { storageLocation: "Shelf B" } },
  needs: ["hand", "approved", "assigned"],
  reads: ["id", "miscInfo", "type"],
};
const remove: PartsEndpoint = { method: "DELETE", path: "/api/parts/{part}", from: "review card: delete", reads: [] };
const approve: PartsEndpoint = {
  method: "POST",
  path: "/api/parts/{part}/approve",
  from: "review modal: approve (reviewer and misc fields)",
  body: { miscInfo: { reviewer: "Coach" } },
  reads: ["category", "id", "status"],
};
const assign: PartsEndpoint = {
  method: "POST",
  path: "/api/parts/{part}/assign",
  from: "hand card: claim",
  body: { assigned: "Sam" },
  needs: ["hand", "approved"],
  reads: ["id", "assigned", "status"],
};
const unclaim: PartsEndpoint = {
  method: "POST",
  path: "/api/parts/{part}/unclaim",
  from: "hand card: unclaim",
  needs: ["hand", "approved", "assigned"],
  reads: ["id", "assigned", "status"],
};
const complete: PartsEndpoint = {
  method: "POST",
  path: "/api/parts/{part}/complete",
  from: "card: done (storage location)",
  body: { miscInfo: { storageLocation: "Bin 4" } },
  needs: ["approved"],
  reads: ["id", "category", "status"],
};
const revert: PartsEndpoint = {
  method: "POST",
  path: "/api/parts/{part}/revert",
  from: "completed card: revert",
  needs: ["approved", "completed"],
  reads: ["id", "category", "status"],
};
const leaderboard: PartsEndpoint = {
  method: "GET",
  path: "/api/parts/leaderboard",
  from: "leaderboard tab",
  needs: ["hand", "approved", "assigned", "completed"],
  reads: ["leaderboard.[].name", "leaderboard.[].score"],
};
const stats: PartsEndpoint = { method: "GET", path: "/api/parts/stats", from: "state.js: loadStats (kept as is in state)", reads: [] };
const upload: PartsEndpoint = {
  method: "POST",
  path: "/api/parts/{part}/upload",
  from: "add/edit modal: the CNC file",
  multipart: "file",
  // The client reads nothing (it GETs the part again); any 2xx is success to its handleResponse.
  reads: [],
  status: 201,
};
const download: PartsEndpoint = { method: "GET", path: "/api/parts/{part}/download", from: "card: download the file", needs: ["file"], reads: [], blob: true };
const file: PartsEndpoint = { method: "GET", path: "/api/parts/{part}/file", from: "card: the file as a blob", needs: ["file"], reads: [], blob: true };
const model: PartsEndpoint = {
  method: "GET",
  path: "/api/parts/{part}/model",
  from: "threeDViewer: the GLB",
  needs: ["file", "converted"],
  reads: [],
  blob: true,
};
const uploadViews: PartsEndpoint = {
  method: "POST",
  path: "/api/parts/{part}/views",
  from: "threeDViewer: upload the eight rendered views",
  multipart: "views",
  needs: ["file", "converted"],
  reads: [],
  status: 201,
};
const viewsManifest: PartsEndpoint = {
  method: "GET",
  path: "/api/parts/{part}/views",
  from: "threeDViewer: reuse stored views (`manifest.views.files`)",
  needs: ["file", "converted", "views"],
  reads: ["views.files"],
};
const viewImage: PartsEndpoint = {
  method: "GET",
  path: "/api/parts/{part}/views/0",
  from: "threeDViewer: the front view",
  needs: ["file", "converted", "views"],
  reads: [],
  blob: true,
};
const authCheck: PartsEndpoint = { method: "GET", path: "/api/parts/auth/check", from: "auth.js: is the key good", reads: [] };

export const PART_MANAGEMENT: PartsEndpoint[] = [
  authCheck,
  list,
  byCategory,
  getOne,
  createWithPartId("add modal: create (partId given)"),
  edit,
  start,
  markIncorrect,
  storeBeforeUnclaim,
  remove,
  approve,
  assign,
  unclaim,
  complete,
  revert,
  stats,
  leaderboard,
  upload,
  download,
  file,
  model,
  uploadViews,
  viewsManifest,
  viewImage,
];

export const AERIE_MAIN: PartsEndpoint[] = [
  ...PART_MANAGEMENT.filter((e) => e.method !== "POST" || e.path !== "/api/parts/"),
  {
    // Main no longer sends partId (its backend generates one), and sends materialThickness.
    method: "POST",
    path: "/api/parts/",
    from: "add modal: create (no partId)",
    body: {
      type: "cnc",
      material: "6061 aluminium",
      materialThickness: "0.25in",
      subsystem: "Drive",
      amount: 2,
      status: "Pending",
      notes: "deburr",
      onshapeUrl: "https://cad.onshape.com/documents/a/w/b/e/c",
      category: "review",
      name: "{newName}",
      file: "bracket.step",
    },
    reads: partReads(),
    status: 201,
  },
  {
    method: "GET",
    path: "/api/parts/stats/detailed",
    from: "info modal: the statistics panel",
    reads: ["total_parts", "completed_parts", "in_progress_parts", "average_completion_time", "by_category", "completion_time_distribution"],
  },
  { method: "POST", path: "/api/parts/wipe", from: "settings: wipe all parts (confirmed with the key)", body: { password: "{key}" }, reads: ["message"] },
];

export const AERIE_ONSHAPE_OAUTH: PartsEndpoint[] = [
  ...PART_MANAGEMENT,
  { method: "POST", path: "/api/parts/wipe", from: "settings: wipe all parts (confirmed with the key)", body: { password: "{key}" }, reads: ["message"] },
  { method: "GET", path: "/api/auth/onshape/status", from: "onshapeAuth.js: connected?", reads: ["connected"] },
  {
    // A key-only client cannot run the OAuth dance in a browser: refused, saying what is needed.
    method: "GET",
    path: "/api/auth/onshape/connect",
    from: "onshapeAuth.js: connect",
    reads: ["error"],
    status: 403,
  },
  { method: "POST", path: "/api/auth/onshape/disconnect", from: "onshapeAuth.js: disconnect", body: {}, reads: ["error"], status: 403 },
];
