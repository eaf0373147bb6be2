/**
 * Every endpoint RM365's backend served that its client calls (../shared/clients/rm365-endpoints.md,
 * "seed route: yes"), with the request the client sends (helenrm365/rm365-tools-testing @011aebb,
 * frontend/js/**) and the fields it reads from the answer. endpoints.test.ts turns each row into
 * one test, named after the row, so a missing route fails by name.
 *
 * Placeholders in paths and bodies come from the fixture each test builds (fixture.ts):
 * {employee} and {employee2} (integer ids), {fingerprint}, {from} and {to} (plant dates around
 * today), {order} (an order in the fake shop), {session} (a session started on it), {job},
 * {assignee} (the username of another operator).
 *
 * `reads`: dotted paths the client reads; `[]` is "a bare array", `[].x` "its first element's x".
 */

export type Method = "GET" | "POST" | "PATCH" | "DELETE";

export interface Rm365Endpoint {
  method: Method;
  /** The URL as the client builds it, after `?api=` (which ends in `/api`). */
  path: string;
  /** The role of the RM365 user who sees the screen. */
  role: string;
  body?: unknown;
  /** What the fixture needs: a started session, a label job. */
  needs?: ("session" | "picked" | "released" | "assignee" | "job")[];
  reads: string[];
  status?: number;
}

export const SEED_SERVED_IN_CATALOGUE = 86;

export const ENDPOINTS: Rm365Endpoint[] = [
  // ---- roles (frontend/js/services/api/rolesApi.js getRole) ----
  { method: "GET", path: "/api/v1/roles/operator", role: "admin", reads: ["role_name", "allowed_tabs"] },
  // ---- enrollment (frontend/js/services/api/enrollmentApi.js, modules/enrollment/*) ----
  {
    method: "GET",
    path: "/api/v1/enrollment/employees",
    role: "admin",
    reads: ["[]", "[].id", "[].name", "[].employee_code", "[].location", "[].status", "[].nfc_uid", "[].has_fingerprint", "[].fingerprints"],
  },
  {
    method: "POST",
    path: "/api/v1/enrollment/employees",
    role: "admin",
    body: { name: "Ada Lovelace", location: "UK", status: "active", nfc_uid: null },
    reads: ["status", "employee.id", "employee.name", "employee.employee_code"],
  },
  {
    method: "PATCH",
    path: "/api/v1/enrollment/employees/{employee}",
    role: "admin",
    body: { name: "Renamed", location: "FR", status: "active" },
    reads: ["status", "employee.id", "employee.name", "employee.location"],
  },
  { method: "DELETE", path: "/api/v1/enrollment/employees/{employee}", role: "admin", reads: ["status", "deleted"] },
  {
    method: "POST",
    path: "/api/v1/enrollment/employees/bulk-delete",
    role: "admin",
    body: { ids: ["{employee}", "{employee2}"] },
    reads: ["status", "deleted"],
  },
  { method: "POST", path: "/api/v1/enrollment/scan/nfc", role: "admin", reads: ["status", "uid", "detail"] },
  { method: "POST", path: "/api/v1/enrollment/save/nfc", role: "admin", body: { employee_id: "{employee2}", uid: "04:A1:B2:C3" }, reads: ["status"] },
  { method: "POST", path: "/api/v1/enrollment/delete/nfc", role: "admin", body: { employee_id: "{employee}" }, reads: ["status"] },
  { method: "POST", path: "/api/v1/enrollment/scan/fingerprint", role: "admin", reads: ["status", "template_b64", "detail"] },
  {
    method: "POST",
    path: "/api/v1/enrollment/save/fingerprint",
    role: "admin",
    body: { employee_id: "{employee2}", template_b64: "{template}", name: "Default" },
    reads: ["status"],
  },
  { method: "POST", path: "/api/v1/enrollment/delete/fingerprint", role: "admin", body: { fingerprint_id: "{fingerprint}" }, reads: ["status"] },

  // ---- attendance (frontend/js/services/api/attendanceApi.js, modules/attendance/*) ----
  { method: "GET", path: "/api/v1/attendance/employees", role: "admin", reads: ["[]", "[].id", "[].name", "[].nfc_uid", "[].location", "[].status"] },
  {
    method: "GET",
    path: "/api/v1/attendance/employees/status?location=UK",
    role: "admin",
    reads: ["[]", "[].id", "[].name", "[].location", "[].status", "[].last_activity", "[].duration"],
  },
  { method: "GET", path: "/api/v1/attendance/locations", role: "admin", reads: ["[]"] },
  { method: "GET", path: "/api/v1/attendance/employees/templates", role: "admin", reads: ["[]"] },
  { method: "POST", path: "/api/v1/attendance/clock", role: "admin", body: { employee_id: "{employee}" }, reads: ["status", "direction"] },
  {
    method: "GET",
    path: "/api/v1/attendance/logs?from_date={from}&to_date={to}",
    role: "admin",
    reads: ["[]", "[].employee", "[].date", "[].time", "[].direction"],
  },
  { method: "GET", path: "/api/v1/attendance/summary?from_date={from}&to_date={to}", role: "admin", reads: ["[]", "[].name", "[].count"] },
  { method: "GET", path: "/api/v1/attendance/daily-stats", role: "admin", reads: ["total_employees", "checked_in", "checked_out", "absent"] },
  {
    method: "GET",
    path: "/api/v1/attendance/weekly-chart?from_date={from}&to_date={to}",
    role: "admin",
    reads: ["[]", "[].employee", "[].date", "[].daily_logs"],
  },
  {
    method: "GET",
    path: "/api/v1/attendance/work-hours?from_date={from}&to_date={to}",
    role: "admin",
    reads: ["[]", "[].employee", "[].date", "[].hours_worked", "[].lunch_hours"],
  },

  // ---- pick & pack (frontend/js/modules/orders/*, modules/orders/order_fulfillment/api.py) ----
  {
    method: "GET",
    path: "/api/v1/magento/session/check/{order}",
    role: "operator",
    reads: ["status", "message", "order_number", "invoice_id"],
  },
  {
    method: "GET",
    path: "/api/v1/magento/session/check/{order}",
    role: "operator",
    needs: ["session"],
    reads: ["status", "session_id", "can_claim", "user"],
  },
  {
    method: "POST",
    path: "/api/v1/magento/session/start",
    role: "operator",
    body: { order_number: "{order}", session_type: "pick" },
    reads: ["session_id", "order_number", "invoice_number", "items"],
    status: 201,
  },
  {
    method: "POST",
    path: "/api/v1/magento/session/scan",
    role: "operator",
    needs: ["session"],
    body: { session_id: "{session}", sku: "RM-BOLT", quantity: 1, field: "auto" },
    reads: ["success", "message", "sku", "qty_scanned", "qty_expected", "is_complete", "all_items_complete"],
  },
  {
    method: "GET",
    path: "/api/v1/magento/session/status/{session}",
    role: "operator",
    needs: ["session"],
    reads: [
      "session_id",
      "order_number",
      "invoice_number",
      "status",
      "items",
      "items.[].sku",
      "items.[].qty_scanned",
      "total_items",
      "completed_items",
      "progress_percentage",
    ],
  },
  {
    method: "POST",
    path: "/api/v1/magento/session/complete",
    role: "operator",
    needs: ["session", "picked"],
    body: { session_id: "{session}", force_complete: false },
    reads: ["success", "message", "session_id"],
  },
  { method: "DELETE", path: "/api/v1/magento/session/{session}", role: "operator", needs: ["session"], reads: ["success", "message", "session_id"] },
  {
    method: "GET",
    path: "/api/v1/magento/sessions/active",
    role: "operator",
    needs: ["session"],
    reads: ["[]", "[].session_id", "[].order_number", "[].invoice_number"],
  },
  { method: "GET", path: "/api/v1/magento/tracking/board", role: "operator", needs: ["session"], reads: ["ready_to_pick", "ready_to_check", "completed"] },
  {
    method: "GET",
    path: "/api/v1/magento/invoice/lookup/{order}",
    role: "operator",
    reads: ["invoice_number", "order_number", "items", "items.[].sku", "items.[].qty_invoiced"],
  },
  {
    method: "GET",
    path: "/api/v1/magento/dashboard/sessions?include_completed=false",
    role: "admin",
    needs: ["session"],
    reads: [
      "sessions",
      "sessions.[].session_id",
      "sessions.[].status",
      "sessions.[].items_scanned",
      "sessions.[].items_expected",
      "sessions.[].progress_percentage",
    ],
  },

  // ---- labels (frontend/js/services/api/labelsApi.js, modules/labels/*) ----
  {
    method: "GET",
    path: "/api/v1/labels/to-print?region=uk",
    role: "admin",
    reads: ["[]", "[].item_id", "[].sku", "[].product_name", "[].price", "[].uk_6m_data", "[].fr_6m_data"],
  },
  {
    method: "POST",
    path: "/api/v1/labels/start-job",
    role: "admin",
    body: { created_by: "user@example.com", item_ids: ["{item}"] },
    reads: ["status", "job_id", "item_count"],
    status: 202,
  },
  { method: "GET", path: "/api/v1/labels/job/{job}", role: "admin", needs: ["job"], reads: ["id", "status", "item_count"] },
  {
    method: "GET",
    path: "/api/v1/labels/jobs?limit=10",
    role: "production_manager",
    needs: ["job"],
    reads: ["jobs", "jobs.[].id", "jobs.[].created_at", "jobs.[].created_by", "jobs.[].line_date", "jobs.[].item_count"],
  },
  { method: "DELETE", path: "/api/v1/labels/job/{job}", role: "admin", needs: ["job"], reads: ["message"] },

  // ---- sales data (frontend/js/services/api/salesDataApi.js, modules/salesdata/*) ----
  { method: "GET", path: "/api/v1/salesdata/init", role: "admin", reads: ["status", "message", "tables"] },
  { method: "GET", path: "/api/v1/salesdata/status", role: "admin", reads: ["status", "tables_status", "all_tables_exist"] },
  { method: "GET", path: "/api/v1/salesdata/uk?limit=100&offset=0&search=", role: "admin", reads: ["status", "data", "total_count"] },
  { method: "GET", path: "/api/v1/salesdata/fr?limit=100&offset=0&search=", role: "admin", reads: ["status", "data", "total_count"] },
  { method: "GET", path: "/api/v1/salesdata/nl?limit=1000&offset=0&search=", role: "admin", reads: ["status", "data", "total_count"] },

  // ---- sales data: condensed views, refresh, history (salesDataApi.js, modules/salesdata/{uk,fr,nl}-sales.js, history.js, condensed-filters.js) ----
  { method: "GET", path: "/api/v1/salesdata/uk/condensed?limit=100&offset=0&search=", role: "admin", reads: ["status", "data", "total_count"] },
  { method: "GET", path: "/api/v1/salesdata/fr/condensed?limit=100&offset=0&search=", role: "admin", reads: ["status", "data", "total_count"] },
  { method: "GET", path: "/api/v1/salesdata/nl/condensed?limit=100&offset=0&search=", role: "admin", reads: ["status", "data", "total_count"] },
  {
    method: "GET",
    path: "/api/v1/salesdata/uk/condensed/custom-range?range_type=days&range_value=30&use_exclusions=true&limit=1000&offset=0&search=",
    role: "admin",
    reads: ["status", "data", "total_count"],
  },
  { method: "GET", path: "/api/v1/salesdata/history?limit=50&offset=0", role: "admin", reads: ["status", "data", "total_count"] },
  { method: "POST", path: "/api/v1/salesdata/refresh-condensed", role: "admin", body: {}, reads: ["status", "message", "results", "total_rows_aggregated"] },
  { method: "POST", path: "/api/v1/salesdata/refresh-condensed/uk", role: "admin", body: {}, reads: ["status", "message", "rows_aggregated"] },

  // ---- magentodata (frontend/js/services/api/magentoDataApi.js, modules/magentodata/*): synced from the fake shop ----
  { method: "GET", path: "/api/v1/magentodata/init", role: "admin", reads: ["status", "message", "tables"] },
  { method: "GET", path: "/api/v1/magentodata/status", role: "admin", reads: ["status", "tables_status", "all_tables_exist"] },
  {
    method: "POST",
    path: "/api/v1/magentodata/test-sync",
    role: "admin",
    body: {},
    reads: ["status", "message", "rows_synced", "orders_processed"],
  },
  { method: "GET", path: "/api/v1/magentodata/test?limit=100&offset=0&search=", role: "admin", reads: ["status", "data", "total"] },
  { method: "POST", path: "/api/v1/magentodata/uk/sync", role: "admin", body: {}, reads: ["status", "message", "rows_synced", "orders_processed"] },
  { method: "POST", path: "/api/v1/magentodata/fr/sync", role: "admin", body: {}, reads: ["status", "message", "rows_synced", "orders_processed"] },
  { method: "POST", path: "/api/v1/magentodata/nl/sync", role: "admin", body: {}, reads: ["status", "message", "rows_synced", "orders_processed"] },
  { method: "GET", path: "/api/v1/magentodata/uk?limit=100&offset=0&search=", role: "admin", reads: ["status", "data", "total_count"] },
  { method: "GET", path: "/api/v1/magentodata/fr?limit=100&offset=0&search=", role: "admin", reads: ["status", "data", "total_count"] },
  { method: "GET", path: "/api/v1/magentodata/nl?limit=100&offset=0&search=", role: "admin", reads: ["status", "data", "total_count"] },
  { method: "GET", path: "/api/v1/magentodata/uk/condensed?limit=100&offset=0&search=", role: "admin", reads: ["status", "data", "total_count"] },
  { method: "GET", path: "/api/v1/magentodata/fr/condensed?limit=100&offset=0&search=", role: "admin", reads: ["status", "data", "total_count"] },
  { method: "GET", path: "/api/v1/magentodata/nl/condensed?limit=100&offset=0&search=", role: "admin", reads: ["status", "data", "total_count"] },
  {
    method: "GET",
    path: "/api/v1/magentodata/uk/condensed/custom-range?range_type=months&range_value=3&use_exclusions=true&limit=1000&offset=0&search=",
    role: "admin",
    reads: ["status", "data", "total_count"],
  },
  { method: "GET", path: "/api/v1/magentodata/history?limit=50&offset=0", role: "admin", reads: ["status", "data", "total_count"] },
  { method: "POST", path: "/api/v1/magentodata/refresh-condensed", role: "admin", body: {}, reads: ["status", "message", "results", "total_rows_aggregated"] },
  { method: "POST", path: "/api/v1/magentodata/refresh-condensed/uk", role: "admin", body: {}, reads: ["status", "message", "rows_aggregated"] },
  // rm365p ---- pick & pack hand-offs, approval, progress dashboard (order-fulfillment.js, router.js,
  // order-approval.js, order-progress.js; modules/orders/order_fulfillment/api.py) ----
  {
    method: "POST",
    path: "/api/v1/magento/sessions/{session}/release",
    role: "operator",
    needs: ["session"],
    body: {},
    reads: ["success", "message", "session_id"],
  },
  {
    method: "POST",
    path: "/api/v1/magento/sessions/{session}/claim",
    role: "operator",
    needs: ["session", "released"],
    reads: ["success", "message", "session_id"],
  },
  {
    method: "POST",
    path: "/api/v1/magento/tracking/mark-ready-to-check",
    role: "operator",
    needs: ["session"],
    body: { session_id: "{session}" },
    reads: ["success", "message", "session_id"],
  },
  {
    method: "GET",
    path: "/api/v1/magento/tracking/pending-orders",
    role: "admin",
    reads: [
      "orders",
      "orders.[].order_id",
      "orders.[].order_number",
      "orders.[].created_at",
      "orders.[].grand_total",
      "orders.[].status",
      "orders.[].customer_name",
      "orders.[].customer_email",
      "orders.[].total_qty_ordered",
      "orders.[].shipping_method",
    ],
  },
  {
    method: "POST",
    path: "/api/v1/magento/tracking/approve-order",
    role: "admin",
    body: { order_number: "{order}" },
    reads: ["success", "message", "session_id", "order_number"],
  },
  {
    method: "POST",
    path: "/api/v1/magento/dashboard/sessions/{session}/force-cancel",
    role: "admin",
    needs: ["session"],
    body: { reason: "Customer called" },
    reads: ["success", "message", "cancelled_by"],
  },
  {
    method: "POST",
    path: "/api/v1/magento/dashboard/sessions/{session}/force-assign",
    role: "admin",
    needs: ["session", "assignee"],
    body: { target_user_id: "{assignee}" },
    reads: ["success", "message", "assigned_by", "assigned_to"],
  },
  {
    method: "POST",
    path: "/api/v1/magento/dashboard/sessions/{session}/takeover",
    role: "admin",
    needs: ["session"],
    reads: ["success", "message", "session_id", "order_number", "invoice_number"],
  },
  // ---- inventory management (frontend/js/modules/inventory/management.js): "cbug" in the catalogue, the
  // client slips `/api/api/v1/…` and RM365's backend never answered; served for the first time ----
  {
    method: "GET",
    path: "/api/api/v1/inventory/management/items?page=1&per_page=100&discontinued_status=Active%2CTemporarily%20OOS%2CPre%20Order%2CSamples",
    role: "admin",
    reads: ["items", "items.[].item_id", "items.[].product_name", "items.[].sku", "items.[].stock_on_hand", "items.[].custom_fields", "total"],
  },
  {
    method: "GET",
    path: "/api/api/v1/inventory/management/metadata",
    role: "admin",
    reads: ["[]", "[].sku", "[].location", "[].shelf_lt1_qty", "[].shelf_gt1_qty", "[].top_floor_total", "[].status"],
  },
  { method: "GET", path: "/api/api/v1/inventory/management/magento-products", role: "admin", reads: ["[]", "[].sku", "[].discontinued_status"] },
  // rm365p end
];
