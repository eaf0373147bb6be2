/**
 * Every endpoint CCbackend's client calls (XinLeiYo/CCfrontend @6762ccd, `src/**`), with the
 * request it sends and the fields it reads from the answer. ccfrontend.test.ts turns each row into
 * one test, named after the row, so a missing route or a changed shape fails by name.
 *
 * The client hard-codes `http://192.168.2.65:5172` and sends `Authorization: Bearer <token>` from
 * localStorage on every request (an axios interceptor, src/App.jsx). Placeholders come from the
 * fixture each test builds (ccfrontend.test.ts): {ccm} (an item added through POST /equipment),
 * {listedId} (that item's `ID` as GET /api/equipment lists it: the force-delete button sends
 * `equipment.ID`), {reportId} (a report's `ID` as GET /api/reports lists it), {username} (a user).
 *
 * `reads`: dotted paths the client reads; `[]` is "a bare array", `[].x` "its first element's x",
 * `*` "an object of counts" (StatusCards sums `Object.values`).
 */

export type Method = "GET" | "POST" | "PUT" | "DELETE";

export interface CcEndpoint {
  method: Method;
  /** The URL after the client's hard-coded origin. */
  path: string;
  /** Where in the client (file: what the user does). */
  from: string;
  /** The signed-in user's role (none: the login page). */
  role?: string;
  body?: unknown;
  /** A multipart form (ReportModal): text fields and `images` files. */
  form?: { fields: Record<string, string>; images: number };
  reads: string[];
  status?: number;
}

/** The item form's fields (EquipmentModalForm.jsx), CC_STARTTIME formatted `YYYY-MM-DD HH:mm:ss`. */
const itemForm = (ccm: string) => ({
  CCM_ID: ccm,
  CC_SIZE: "L",
  BOX_ID: "B-01",
  USER_NAME: "王小明",
  CC_STARTTIME: "2026-02-12 10:00:00",
  CC_STATUS: "正常",
  CC_SUBSTATUS: "使用中",
  COMMENT: "",
});

export const CCFRONTEND: CcEndpoint[] = [
  // ---- src/pages/LoginPage.jsx ----
  {
    method: "POST",
    path: "/api/auth/login",
    from: "LoginPage: sign in",
    body: { username: "{username}", password: "{password}" },
    reads: ["success", "access_token", "username"],
  },
  {
    method: "POST",
    path: "/api/register",
    from: "LoginPage: register (the form's values)",
    body: { username: "{newUser}", password: "new-password-123", confirmPassword: "new-password-123" },
    reads: ["success"],
    status: 201,
  },
  {
    method: "POST",
    path: "/api/auth/verify_username",
    from: "LoginPage: forgot password, step 1",
    body: { username: "{username}" },
    reads: ["success"],
  },
  {
    // The register form's uniqueness check calls it without /api; the seed never served that
    // path either, and the validator takes a 404 as "the name is free" (see README, Clients).
    method: "POST",
    path: "/auth/verify_username",
    from: "LoginPage: register form's username validator",
    body: { username: "{newUser}" },
    reads: [],
    status: 404,
  },
  {
    // Step 2 sends no reset token: refused (a deliberate fix of the seed's hole) in CCbackend's
    // shape; the client shows `error.response.data.error`, which says what to do.
    method: "POST",
    path: "/api/auth/reset_password_no_auth",
    from: "LoginPage: forgot password, step 2",
    body: { username: "{username}", new_password: "another-password-1" },
    reads: ["success", "error"],
    status: 400,
  },

  // ---- src/pages/EquipmentPage.jsx and its components ----
  {
    method: "GET",
    path: "/api/equipment",
    from: "EquipmentPage: the table",
    role: "operator",
    reads: [
      "[]",
      "[].CCM_ID",
      "[].CC_SIZE",
      "[].BOX_ID",
      "[].USER_NAME",
      "[].CC_STARTTIME",
      "[].CC_STATUS",
      "[].CC_SUBSTATUS",
      "[].UPDATE_BY",
      "[].UPDATE_TIME",
      "[].COMMENT",
      "[].UPD_CNT",
      "[].ID",
    ],
  },
  {
    method: "GET",
    path: "/api/equipment?status=正常",
    from: "EquipmentPage: a status card as filter",
    role: "operator",
    reads: ["[]", "[].CCM_ID", "[].CC_STATUS"],
  },
  { method: "GET", path: "/api/equipment/status_counts", from: "StatusCards", role: "operator", reads: ["*"] },
  {
    method: "POST",
    path: "/equipment",
    from: "EquipmentPage: add an item (posted without /api)",
    role: "operator",
    body: itemForm("{newCcm}"),
    reads: ["success"],
    status: 201,
  },
  {
    // Edit: the form starts from the listed row and sends its eight fields (EquipmentModalForm's
    // formattedValues; no UPD_CNT, so the write is unconditional, as the seed's was).
    method: "PUT",
    path: "/api/equipment/{ccm}",
    from: "EquipmentPage: edit an item",
    role: "operator",
    body: { ...itemForm("{ccm}"), CC_STATUS: "維修中", CC_SUBSTATUS: "送修" },
    reads: ["success"],
  },
  {
    method: "PUT",
    path: "/api/equipment/batch",
    from: "BatchEditModal: change the selected items",
    role: "operator",
    body: [{ CCM_ID: "{ccm}", CC_STATUS: "報廢", COMMENT: "batch" }],
    reads: ["success"],
  },
  {
    method: "GET",
    path: "/api/equipment/logs/{ccm}",
    from: "LogHistoryModal",
    role: "operator",
    reads: [
      "success",
      "data.[].CCL_ID",
      "data.[].CC_ID_FK",
      "data.[].INPUT_DATE",
      "data.[].CC_STATUS",
      "data.[].CC_SUBSTATUS",
      "data.[].UPDATE_BY",
      "data.[].UPDATE_TIME",
      "data.[].COMMENT",
    ],
  },
  {
    // Force delete sends the listed row's `ID`, with a body.
    method: "DELETE",
    path: "/api/equipment/{listedId}",
    from: "EquipmentTable: force delete",
    role: "admin",
    body: { updateBy: "Admin" },
    reads: ["success"],
  },

  // ---- src/components/ReportModal.jsx, src/pages/ReportListPage.jsx ----
  {
    method: "POST",
    path: "/api/report/upload",
    from: "ReportModal: report an issue with photos",
    role: "operator",
    form: { fields: { reporter_name: "王小明", ccm_id: "{ccm}", issue_type: "破損", issue_description: "袖口破洞" }, images: 2 },
    reads: ["success"],
    status: 201,
  },
  {
    method: "GET",
    path: "/api/reports",
    from: "ReportListPage: the list",
    role: "operator",
    reads: [
      "success",
      "reports.[].ID",
      "reports.[].CCM_ID_FK",
      "reports.[].REPORTER",
      "reports.[].REPORT_TIME",
      "reports.[].ISSUE_TYPE",
      "reports.[].ISSUE_INFO",
      "reports.[].IMAGE_PATH",
      "reports.[].STATUS",
      "reports.[].PROCESSER",
      "reports.[].PROCESS_TIME",
      "reports.[].PROCESS_NOTES",
    ],
  },
  {
    method: "GET",
    path: "{imagePath}",
    from: "ReportListPage: a report's photos (the API base + each IMAGE_PATH entry)",
    role: "operator",
    reads: [],
  },
  {
    method: "PUT",
    path: "/api/report/{reportId}",
    from: "ReportListPage: process a report",
    role: "maintenance",
    body: { status: "已處理", processer: "李師傅", process_notes: "換新", process_time: "2026-02-12 11:00:00" },
    reads: ["success"],
  },
  { method: "DELETE", path: "/api/report/{reportId}", from: "ReportListPage: delete a report", role: "admin", reads: ["success"] },
];
