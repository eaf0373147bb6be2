import { env } from "cloudflare:workers";
import { eq, like, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { Db } from "../../src/db/client";
import { salesImportLines, salesImports, salesRows } from "../../src/db/schema";
import { incomingUpload } from "../../src/lib/uploads";
import { csvRecordBatches, csvRecords, parseRegionDate, parseRegionNumber, validateRow } from "../../src/modules/salesdata/csv";
import { sqlLiteral } from "../../src/modules/salesdata/import";
import { importSalesFile, STALLED_IMPORT_MS, sweepStalledImports, validateFile } from "../../src/modules/salesdata/service";
import type { Principal } from "../../src/types";
import { arr, call, type Json, loginAs, socketLikeStream, str, testDeps, unique } from "../helpers";

const HEADER =
  "order_number,created_at,sku,name,qty,price,status,currency,grand_total,customer_email,customer_full_name,billing_address,shipping_address,customer_group_code";

interface Line {
  order: string;
  sku: string;
  qty?: string;
  price?: string;
  date?: string;
  status?: string;
  currency?: string;
  total?: string;
}

/** A UK-style line (comma-separated, quoted where needed). */
const ukLine = (l: Line) =>
  [
    l.order,
    l.date ?? "2026-03-04 10:11:12",
    l.sku,
    `"Widget, ${l.sku}"`,
    l.qty ?? "2",
    l.price ?? "12.50",
    l.status ?? "complete",
    l.currency ?? "GBP",
    l.total ?? "25.00",
    "jo@example.com",
    "Jo Bloggs",
    '"1 High St, Leeds"',
    '"1 High St, Leeds"',
    "General",
  ].join(",");

const csv = (lines: string[], header = HEADER) => `${header}\r\n${lines.join("\r\n")}\r\n`;

async function upload(token: string, region: string, text: string, opts: { query?: string; filename?: string; partial?: string } = {}) {
  const form = new FormData();
  form.append("file", new File([text], opts.filename ?? "export.csv", { type: "text/csv" }));
  if (opts.partial !== undefined) form.append("partial", opts.partial);
  return call(`/api/v1/salesdata/${region}/upload${opts.query ?? ""}`, { token, body: form });
}

async function listRegion(token: string, region: string, search: string) {
  const res = await call(`/api/v1/salesdata/${region}?search=${encodeURIComponent(search)}&limit=200`, { token });
  expect(res.status).toBe(200);
  return res.json;
}

describe("sales CSV import", () => {
  it("imports a good file, lists it, and records the import with its original in R2", async () => {
    const admin = await loginAs("admin");
    const tag = unique("GOOD");
    const text = csv([
      ukLine({ order: `${tag}-1`, sku: "SKU-A" }),
      ukLine({ order: `${tag}-1`, sku: "SKU-B", qty: "1", price: '"1,250.00"' }),
      ukLine({ order: `${tag}-2`, sku: "SKU-A", date: "05/03/2026 09:30" }),
    ]);
    const res = await upload(admin.token, "uk", text, { filename: "uk-march.csv" });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expect(res.json).toMatchObject({ status: "success", rows_imported: 3, errors: [], rows_failed: 0, duplicate_of: null });

    const list = await listRegion(admin.token, "uk", tag);
    expect(list).toMatchObject({ status: "success", region: "uk", total_count: 3, offset: 0 });
    const rows = arr(list.data);
    // Newest order first: the 5 March line leads.
    expect(rows[0]).toMatchObject({ order_number: `${tag}-2`, created_at: "2026-03-05T09:30:00.000Z" });
    const b = rows.find((r) => String(r.sku) === "SKU-B");
    expect(b).toMatchObject({ name: "Widget, SKU-B", qty: 1, price: 1250, currency: "GBP", billing_address: "1 High St, Leeds", region: "uk" });

    const record = await call(`/api/v1/salesdata/imports/${str(res.json.import_id)}`, { token: admin.token });
    expect(record.status).toBe(200);
    expect(record.json).toMatchObject({
      status: "completed",
      region: "uk",
      filename: "uk-march.csv",
      rows_total: 3,
      rows_done: 3,
      rows_imported: 3,
      username: admin.username,
    });
    expect(str(record.json.finished_at) >= str(record.json.started_at)).toBe(true);
    const stored = await env.FILES.get(str(record.json.r2_key));
    expect(await stored?.text()).toBe(text);
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
    expect(record.json.sha256).toBe([...digest].map((x) => x.toString(16).padStart(2, "0")).join(""));

    const history = await call("/api/v1/salesdata/imports?region=uk&limit=200", { token: admin.token });
    expect(arr(history.json.items).some((i) => i.id === res.json.import_id)).toBe(true);
  });

  it("rejects a file with bad rows, naming every one, and imports nothing", async () => {
    const admin = await loginAs("admin");
    const tag = unique("BAD");
    const text = csv([
      ukLine({ order: `${tag}-1`, sku: "A" }),
      `${tag}-2,2026-03-04,B,Short row`,
      ukLine({ order: `${tag}-3`, sku: "C", qty: "two" }),
      ukLine({ order: `${tag}-4`, sku: "D", date: "31/02/2026" }),
      ukLine({ order: `${tag}-5`, sku: "E" }),
    ]);
    const res = await upload(admin.token, "uk", text);
    expect(res.status).toBe(422);
    expect(res.json.error).toBe("VALIDATION_ERROR");
    expect(res.json.message).toBe("3 of 5 rows failed validation; nothing was imported");
    const messages = arr(res.json.details).map((d) => str(d.message));
    expect(messages).toEqual([
      "Row 3: Not enough columns (expected 14, got 4)",
      'Row 4: Invalid qty "two" (expected a number like 1,234.56)',
      'Row 5: Invalid created_at "31/02/2026" (expected DD/MM/YYYY [HH:MM[:SS]] or YYYY-MM-DD HH:MM:SS)',
    ]);
    expect((await listRegion(admin.token, "uk", tag)).total_count).toBe(0);
    const history = await call("/api/v1/salesdata/imports?region=uk&status=rejected&limit=200", { token: admin.token });
    const record = arr(history.json.items).find(
      (i) => arr(i.errors).map(str).includes("Row 3: Not enough columns (expected 14, got 4)") && Number(i.rows_total) === 5,
    );
    expect(record).toMatchObject({ status: "rejected", rows_failed: 3, rows_imported: 0, rows_done: 0 });
  });

  it("lists the first 100 bad rows and counts the rest", async () => {
    const admin = await loginAs("admin");
    const tag = unique("MANY");
    const lines = Array.from({ length: 130 }, (_, i) => `${tag}-${i},2026-03-04,SKU`);
    const res = await upload(admin.token, "uk", csv(lines));
    expect(res.status).toBe(422);
    const details = arr(res.json.details);
    expect(details).toHaveLength(101);
    expect(details[0]?.message).toBe("Row 2: Not enough columns (expected 14, got 3)");
    expect(details[99]?.message).toBe("Row 101: Not enough columns (expected 14, got 3)");
    expect(details[100]?.message).toBe("…and 30 more rows");
    expect(res.json.message).toBe("130 of 130 rows failed validation (the first 100 are listed); nothing was imported");
  });

  it("imports the good rows of a bad file when asked for a partial import, and reports the rest", async () => {
    const admin = await loginAs("admin");
    const tag = unique("PART");
    const text = csv([
      ukLine({ order: `${tag}-1`, sku: "A" }),
      ukLine({ order: `${tag}-2`, sku: "B", currency: "pounds" }),
      ukLine({ order: `${tag}-3`, sku: "C" }),
    ]);
    const res = await upload(admin.token, "uk", text, { query: "?partial=true" });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expect(res.json).toMatchObject({
      status: "success",
      rows_imported: 2,
      rows_failed: 1,
      errors: ['Row 3: Invalid currency "pounds" (expected a 3-letter code like GBP or EUR)'],
      message: "Imported 2 rows into UK sales data; 1 rows with errors were skipped",
    });
    const rows = arr((await listRegion(admin.token, "uk", tag)).data);
    expect(rows.map((r) => r.order_number).sort()).toEqual([`${tag}-1`, `${tag}-3`]);

    // The form field says the same as the query parameter.
    const tag2 = unique("PARTF");
    const viaForm = await upload(admin.token, "uk", csv([ukLine({ order: `${tag2}-1`, sku: "A" }), `${tag2}-2,x`]), { partial: "true" });
    expect(viaForm.status).toBe(200);
    expect(viaForm.json).toMatchObject({ rows_imported: 1, rows_failed: 1 });
  });

  it("rejects a file that repeats an order number + SKU, naming both rows, instead of letting the second overwrite the first", async () => {
    const admin = await loginAs("admin");
    const tag = unique("DUP");
    const text = csv([
      ukLine({ order: `${tag}-1`, sku: "A", qty: "1" }),
      ukLine({ order: `${tag}-1`, sku: "B" }),
      ukLine({ order: ` ${tag}-1 `, sku: "A", qty: "5" }),
      ukLine({ order: `${tag}-2`, sku: "A" }),
      ukLine({ order: `${tag}-1`, sku: "A", qty: "7" }),
    ]);
    const res = await upload(admin.token, "uk", text);
    expect(res.status).toBe(422);
    expect(res.json.message).toBe("2 of 5 rows failed validation; nothing was imported");
    expect(arr(res.json.details).map((d) => str(d.message))).toEqual([
      "Row 4: duplicate order_number + sku (first at row 2)",
      "Row 6: duplicate order_number + sku (first at row 2)",
    ]);
    expect((await listRegion(admin.token, "uk", tag)).total_count).toBe(0);

    // Pairs whose order number + SKU spell the same text are different lines, not repeats.
    const spelled = unique("SPELL");
    const apart = await upload(admin.token, "uk", csv([ukLine({ order: `${spelled}-1`, sku: "AB" }), ukLine({ order: `${spelled}-1A`, sku: "B" })]));
    expect(apart.status, JSON.stringify(apart.json)).toBe(200);
    expect(apart.json).toMatchObject({ rows_imported: 2, rows_failed: 0 });

    // Partial: the first line stands, each repeat is skipped and counted as failed.
    const partial = await upload(admin.token, "uk", text, { query: "?partial=true" });
    expect(partial.status, JSON.stringify(partial.json)).toBe(200);
    expect(partial.json).toMatchObject({ rows_imported: 3, rows_failed: 2, message: "Imported 3 rows into UK sales data; 2 rows with errors were skipped" });
    const rows = arr((await listRegion(admin.token, "uk", tag)).data);
    expect(rows).toHaveLength(3);
    expect(rows.find((r) => String(r.order_number) === `${tag}-1` && String(r.sku) === "A")).toMatchObject({ qty: 1 });
    const record = await call(`/api/v1/salesdata/imports/${str(partial.json.import_id)}`, { token: admin.token });
    expect(record.json).toMatchObject({ status: "completed", rows_total: 5, rows_imported: 3, rows_done: 3, rows_failed: 2 });
  });

  it("refuses a file with more lines than the duplicate check holds, whole", async () => {
    const key = `salesdata/${unique("lines")}.csv`;
    await env.FILES.put(key, csv([1, 2, 3].map((i) => ukLine({ order: `L-${i}`, sku: "A" }))));
    const deps = testDeps();
    expect(await validateFile(deps, key, "uk", 3)).toMatchObject({ rowsTotal: 3, rowsFailed: 0 });
    await expect(validateFile(deps, key, "uk", 2)).rejects.toThrow("The file has more than 2 order lines; split it into smaller files; nothing was imported");
  });

  it("never doubles: the same file twice, and the same orders from another file", async () => {
    const admin = await loginAs("admin");
    const tag = unique("TWICE");
    const text = csv([ukLine({ order: `${tag}-1`, sku: "A" }), ukLine({ order: `${tag}-1`, sku: "B" })]);
    const first = await upload(admin.token, "uk", text);
    expect(first.status).toBe(200);
    const second = await upload(admin.token, "uk", text, { filename: "again.csv" });
    expect(second.status).toBe(200);
    expect(second.json).toMatchObject({ status: "success", rows_imported: 0, duplicate_of: first.json.import_id });
    expect((await listRegion(admin.token, "uk", tag)).total_count).toBe(2);
    const record = await call(`/api/v1/salesdata/imports/${str(second.json.import_id)}`, { token: admin.token });
    expect(record.json).toMatchObject({ status: "duplicate", duplicate_of: first.json.import_id, filename: "again.csv" });

    // Another file (other bytes) with the same order lines, one moved on to "closed", plus a new line.
    const later = csv([
      ukLine({ order: `${tag}-1`, sku: "A", status: "closed" }),
      ukLine({ order: `${tag}-1`, sku: "B" }),
      ukLine({ order: `${tag}-2`, sku: "A" }),
    ]);
    const third = await upload(admin.token, "uk", later);
    expect(third.status).toBe(200);
    expect(third.json.rows_imported).toBe(3);
    const rows = arr((await listRegion(admin.token, "uk", tag)).data);
    expect(rows).toHaveLength(3);
    expect(rows.find((r) => String(r.order_number) === `${tag}-1` && String(r.sku) === "A")).toMatchObject({
      status: "closed",
      import_id: third.json.import_id,
    });

    // The same order number in another region is another order.
    const fr = await upload(admin.token, "fr", csv([ukLine({ order: `${tag}-1`, sku: "A", currency: "EUR" })]));
    expect(fr.status).toBe(200);
    expect((await listRegion(admin.token, "uk", tag)).total_count).toBe(3);
    expect((await listRegion(admin.token, "fr", tag)).total_count).toBe(1);
  });

  it("reads a French file: semicolons, decimal commas, spaced thousands, DD/MM/YYYY", async () => {
    const admin = await loginAs("admin");
    const tag = unique("FR");
    const header = HEADER.replaceAll(",", ";");
    const line = (order: string, sku: string, qty: string, price: string, date: string, total: string) =>
      [
        order,
        date,
        sku,
        "Écrou M8",
        qty,
        price,
        "complete",
        "EUR",
        total,
        "marie@example.fr",
        "Marie Dupont",
        "12 rue de la Paix, Paris",
        "12 rue de la Paix, Paris",
        "Général",
      ].join(";");
    const text = `\ufeff${header}\n${line(`${tag}-1`, "FR-1", "3", "12,50", "04/03/2026 14:05", "37,50")}\n${line(`${tag}-2`, "FR-2", "1,5", "1 234,56", "05/03/2026", "1 851,84")}\n`;
    const res = await upload(admin.token, "fr", text, { filename: "ventes.csv" });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expect(res.json.rows_imported).toBe(2);
    const rows = arr((await listRegion(admin.token, "fr", tag)).data);
    expect(rows.find((r) => String(r.sku) === "FR-1")).toMatchObject({
      price: 12.5,
      qty: 3,
      grand_total: 37.5,
      created_at: "2026-03-04T14:05:00.000Z",
      billing_address: "12 rue de la Paix, Paris",
      customer_group_code: "Général",
    });
    expect(rows.find((r) => String(r.sku) === "FR-2")).toMatchObject({
      price: 1234.56,
      qty: 1.5,
      grand_total: 1851.84,
      created_at: "2026-03-05T00:00:00.000Z",
    });
    // The same decimal comma is not a number in a UK file.
    const uk = await upload(admin.token, "uk", csv([ukLine({ order: `${tag}-3`, sku: "X", price: '"12,5"' })]));
    expect(uk.status).toBe(422);
    expect(arr(uk.json.details)[0]?.message).toBe('Row 2: Invalid price "12,5" (expected a number like 1,234.56)');
  });

  it("writes a file longer than one batch in several, all counted", async () => {
    const admin = await loginAs("admin");
    const tag = unique("BIG");
    const lines = Array.from({ length: 5_600 }, (_, i) => ukLine({ order: `${tag}-${Math.floor(i / 2)}`, sku: `S${i % 2}` }));
    const res = await upload(admin.token, "uk", csv(lines));
    expect(res.status, JSON.stringify(res.json).slice(0, 500)).toBe(200);
    expect(res.json.rows_imported).toBe(5_600);
    expect((await listRegion(admin.token, "uk", tag)).total_count).toBe(5_600);
    const record = await call(`/api/v1/salesdata/imports/${str(res.json.import_id)}`, { token: admin.token });
    expect(record.json).toMatchObject({ status: "completed", rows_total: 5_600, rows_done: 5_600 });
  });

  it("shows rows_done moving, batch by batch, while a long import runs, and no line is visible before the commit", async () => {
    const deps = testDeps();
    const filename = `${unique("progress")}.csv`;
    const tag = unique("PROG");
    const seen: { status: string; done: number; total: number; visible: number }[] = [];
    const realBatch = deps.db.batch.bind(deps.db);
    // After each D1 batch, read the import's record (and the region's lines) as another client polling would.
    const spy = (async (statements: Parameters<Db["batch"]>[0]) => {
      const out = await realBatch(statements);
      const [row] = await deps.db
        .select({ status: salesImports.status, done: salesImports.rowsDone, total: salesImports.rowsTotal })
        .from(salesImports)
        .where(eq(salesImports.filename, filename));
      const [lines] = await deps.db
        .select({ n: sql<number>`count(*)` })
        .from(salesRows)
        .where(like(salesRows.orderNumber, `${tag}-%`));
      if (row) seen.push({ ...row, visible: lines?.n ?? -1 });
      return out;
    }) as unknown as Db["batch"];
    const db = new Proxy(deps.db, { get: (target, prop, receiver) => (prop === "batch" ? spy : Reflect.get(target, prop, receiver)) });
    const form = new FormData();
    form.append("file", new File([csv(Array.from({ length: 36_000 }, (_, i) => ukLine({ order: `${tag}-${i}`, sku: "S" })))], filename));
    const actor: Principal = { kind: "user", userId: "u-progress", username: "progress", role: "admin", permissions: new Set(["*"]), tabs: [], sessionId: "" };
    // Without an import queue bound, even a file over the background threshold is imported within the request.
    const result = await importSalesFile(
      { ...deps, db, queues: { ...deps.queues, imports: undefined } },
      { upload: incomingUpload(new Request("http://localhost/", { method: "POST", body: form }), actor), region: "uk" },
      actor,
    );
    expect(result).toMatchObject({ queued: false, result: { rows_imported: 36_000 } });
    // Staged 16,000 lines a batch (ROWS_PER_BATCH) while reading; all 36,000 appear at once.
    expect(seen.filter((s) => s.done > 0)).toEqual([
      { status: "validating", done: 16_000, total: 0, visible: 0 },
      { status: "validating", done: 32_000, total: 0, visible: 0 },
      { status: "validating", done: 36_000, total: 0, visible: 0 },
      { status: "completed", done: 36_000, total: 36_000, visible: 36_000 },
    ]);
  });

  it("an import cut off part-way is recorded as failed, writes no line and leaves nothing staged; uploading the file again finishes it", async () => {
    const deps = testDeps();
    const realBatch = deps.db.batch.bind(deps.db);
    let batches = 0;
    // Batch 1 records the import, batch 2 stages the 6,000 lines, batch 3 (the commit) fails.
    const failing = (async (statements: Parameters<Db["batch"]>[0]) => {
      if (++batches === 3) throw new Error("D1 went away");
      return realBatch(statements);
    }) as unknown as Db["batch"];
    const db = new Proxy(deps.db, { get: (target, prop, receiver) => (prop === "batch" ? failing : Reflect.get(target, prop, receiver)) });
    const tag = unique("CUT");
    const text = csv(Array.from({ length: 6_000 }, (_, i) => ukLine({ order: `${tag}-${i}`, sku: "S" })));
    const form = () => {
      const f = new FormData();
      f.append("file", new File([text], "cut.csv"));
      return new Request("http://localhost/", { method: "POST", body: f });
    };
    const actor: Principal = { kind: "user", userId: "u-cut", username: "cut", role: "admin", permissions: new Set(["*"]), tabs: [], sessionId: "" };
    await expect(importSalesFile({ ...deps, db }, { upload: incomingUpload(form(), actor), region: "uk" }, actor)).rejects.toThrow("D1 went away");
    const [cut] = await deps.db.select().from(salesImports).where(eq(salesImports.filename, "cut.csv")).orderBy(salesImports.startedAt);
    expect(cut).toMatchObject({ status: "failed", rowsDone: 6_000, rowsTotal: 6_000 });
    expect(cut?.finishedAt).not.toBeNull();
    const admin = await loginAs("admin");
    expect((await listRegion(admin.token, "uk", tag)).total_count).toBe(0);
    expect(
      await deps.db
        .select()
        .from(salesImportLines)
        .where(eq(salesImportLines.importId, cut?.id ?? "")),
    ).toEqual([]);

    const again = await importSalesFile(testDeps(), { upload: incomingUpload(form(), actor), region: "uk" }, actor);
    expect(again).toMatchObject({ queued: false, result: { rows_imported: 6_000, duplicate_of: null } });
    expect((await listRegion(admin.token, "uk", tag)).total_count).toBe(6_000);
  });

  it("stages text exactly as written: quotes, backslashes, SQL and non-Latin text round-trip into sales_rows", async () => {
    const admin = await loginAs("admin");
    const tag = unique("LIT");
    const q = (v: string) => `"${v.replaceAll('"', '""')}"`;
    const awkward = [
      "O'Brien'); DROP TABLE sales_rows; --",
      "back\\slash \\' and ''double''",
      "中文 ✓ émoji 🚚",
      "' || (SELECT group_concat(password_hash) FROM users) || '",
    ];
    const lines = awkward.map((text, i) =>
      [
        `${tag}-${i}`,
        "2026-03-04 10:11:12",
        q(`SKU'${i}`),
        q(text),
        "1.5",
        q("1,000.00"),
        "complete",
        "GBP",
        "0.1",
        "jo@example.com",
        q(text),
        q(text),
        "x",
        "General",
      ].join(","),
    );
    const form = new FormData();
    form.append("file", new File([csv(lines)], `${unique("lit")}.csv`));
    const res = await call("/api/v1/salesdata/uk/upload", { token: admin.token, body: form });
    expect(res.json).toMatchObject({ rows_imported: awkward.length });
    expect(res.status).toBe(200);
    const rows = await testDeps()
      .db.select()
      .from(salesRows)
      .where(like(salesRows.orderNumber, `${tag}-%`))
      .orderBy(salesRows.orderNumber);
    expect(rows.map((r) => [r.sku, r.name, r.customerFullName, r.billingAddress, r.qty, r.price, r.grandTotal])).toEqual(
      awkward.map((text, i) => [`SKU'${i}`, text, text, text, 1.5, 1000, 0.1]),
    );
  });

  it("stages a shipping address equal to the billing address once and restores it: equal, different, empty and quoted addresses read back as written", async () => {
    const admin = await loginAs("admin");
    const tag = unique("ADDR");
    const q = (v: string) => `"${v.replaceAll('"', '""')}"`;
    const pairs: [string, string][] = [
      ["1 High St, Leeds", "1 High St, Leeds"],
      ["1 High St, Leeds", "2 Low Rd, York"],
      ["", ""],
      ["", "2 Low Rd, York"],
      ["3 Mill Lane, Hull", ""],
      ["O'Neill's Yard, Cork", "O'Neill's Yard, Cork"],
      ["NULL", "NULL"],
    ];
    const lines = pairs.map(([billing, shipping], i) =>
      [`${tag}-${i}`, "2026-03-04 10:11:12", "S", "N", "1", "2", "complete", "GBP", "2", "", "", q(billing), q(shipping), "General"].join(","),
    );
    const form = new FormData();
    form.append("file", new File([csv(lines)], `${unique("addr")}.csv`));
    const res = await call("/api/v1/salesdata/uk/upload", { token: admin.token, body: form });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ rows_imported: pairs.length });
    const rows = await testDeps()
      .db.select()
      .from(salesRows)
      .where(like(salesRows.orderNumber, `${tag}-%`))
      .orderBy(salesRows.orderNumber);
    expect(rows.map((r) => [r.billingAddress, r.shippingAddress])).toEqual(pairs);
  });

  it("writes staged values as SQLite literals that read back as the same value (a NUL too, which uploads never carry)", async () => {
    const values = ["", "'", "''", "a'b", "\\'", "nul\u0000inside", "中文 🚚", "x'); DELETE FROM users; --", 0, -0.5, 1e21, 123456.789, 0.1 + 0.2];
    for (const value of values) {
      const back = await env.DB.prepare(`SELECT ${sqlLiteral(value)} AS v`).first("v");
      expect(back).toBe(value === 0 ? 0 : value);
    }
    expect(() => sqlLiteral(Number.NaN)).toThrow();
    expect(() => sqlLiteral(Number.POSITIVE_INFINITY)).toThrow();
  });

  it("a bad row after lines already staged: 422, the staged lines deleted, nothing visible", async () => {
    const admin = await loginAs("admin");
    const tag = unique("LATE");
    const filename = `${unique("late")}.csv`;
    const lines = Array.from({ length: 17_000 }, (_, i) => ukLine({ order: `${tag}-${i}`, sku: "S" }));
    const form = new FormData();
    form.append("file", new File([csv([...lines, ukLine({ order: `${tag}-bad`, sku: "S", qty: "many" })])], filename));
    const res = await call("/api/v1/salesdata/uk/upload", { token: admin.token, body: form });
    expect(res.status).toBe(422);
    expect(res.json.message).toBe("1 of 17001 rows failed validation; nothing was imported");
    const [record] = await testDeps().db.select().from(salesImports).where(eq(salesImports.filename, filename));
    expect(record).toMatchObject({ status: "rejected", rowsTotal: 17_001, rowsFailed: 1 });
    expect(
      await testDeps()
        .db.select()
        .from(salesImportLines)
        .where(eq(salesImportLines.importId, record?.id ?? "")),
    ).toEqual([]);
    expect((await listRegion(admin.token, "uk", tag)).total_count).toBe(0);
  });

  it("the hourly sweep marks an import whose isolate died mid-run as failed, and leaves live and finished ones alone", async () => {
    const now = Date.now();
    const deps = testDeps({ now: () => new Date(now) });
    const ago = (ms: number) => new Date(now - ms).toISOString();
    const minute = 60_000;
    const record = (status: "validating" | "importing" | "completed", started: number, lastWrite: number) => ({
      id: crypto.randomUUID(),
      region: "uk" as const,
      filename: `${unique("stalled")}.csv`,
      sha256: "0".repeat(64),
      r2Key: "salesdata/stalled.csv",
      sizeBytes: 1,
      status,
      errors: [],
      username: "sweep",
      rowsTotal: 6_000,
      rowsDone: status === "validating" ? 0 : 5_000,
      message: status === "completed" ? "done" : "",
      startedAt: ago(started),
      updatedAt: ago(lastWrite),
    });
    const dead = record("importing", 20 * minute, 11 * minute);
    const deadValidating = record("validating", 30 * minute, 30 * minute);
    const live = record("importing", 20 * minute, STALLED_IMPORT_MS - minute);
    const finished = record("completed", 3 * 60 * minute, 2 * 60 * minute);
    await deps.db.insert(salesImports).values([dead, deadValidating, live, finished]);

    expect(await sweepStalledImports(deps)).toBeGreaterThanOrEqual(2);
    const admin = await loginAs("admin");
    const get = async (id: string) => (await call(`/api/v1/salesdata/imports/${id}`, { token: admin.token })).json;
    expect(await get(dead.id)).toMatchObject({
      status: "failed",
      rows_done: 5_000,
      message: "The import stopped without finishing (no progress for 10 minutes); upload the file again to finish it",
      finished_at: new Date(now).toISOString(),
      duration_ms: 20 * minute,
    });
    expect(await get(deadValidating.id)).toMatchObject({ status: "failed", duration_ms: 30 * minute });
    expect(await get(live.id)).toMatchObject({ status: "importing", finished_at: null });
    expect(await get(finished.id)).toMatchObject({ status: "completed", message: "done" });
  });

  it("refuses what is not a sales CSV: a wrong header, no rows, broken quoting, binary, another region", async () => {
    const admin = await loginAs("admin");
    const header = await upload(admin.token, "nl", "a,b,c\r\n1,2,3\r\n");
    expect(header.status).toBe(422);
    expect(header.json.message).toBe("Row 1: Not enough columns in the header (expected 14, got 3); nothing was imported");
    const rejected = await call("/api/v1/salesdata/imports?region=nl&status=rejected&limit=200", { token: admin.token });
    expect(arr(rejected.json.items).some((i) => i.message === header.json.message && i.finished_at !== null)).toBe(true);
    expect((await call("/api/v1/salesdata/imports?region=nl&status=validating", { token: admin.token })).json.total).toBe(0);
    const empty = await upload(admin.token, "nl", `${HEADER}\r\n`);
    expect(empty.status).toBe(422);
    expect(empty.json.message).toMatch(/no order lines/);
    const quotes = await upload(admin.token, "nl", csv([`"${unique("Q")}"x,${"1,".repeat(12)}1`]));
    expect(quotes.status).toBe(422);
    expect(quotes.json.message).toMatch(/^Row 2: The file is not valid CSV/);
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]);
    const form = new FormData();
    form.append("file", new File([png], "sales.csv"));
    const binary = await call("/api/v1/salesdata/nl/upload", { token: admin.token, body: form });
    expect(binary.status).toBe(415);
    const region = await upload(admin.token, "es", csv([ukLine({ order: "X", sku: "Y" })]));
    expect(region.status).toBe(422);
    const noFile = new FormData();
    noFile.append("partial", "true");
    const missing = await call("/api/v1/salesdata/nl/upload", { token: admin.token, body: noFile });
    expect(missing.status).toBe(422);
    expect(missing.json.message).toBe("A CSV file is required in the 'file' field");
  });
});

describe("sales data access", () => {
  it("gates each region by its tab, uploads by the upload tab and history by the history tab", async () => {
    const fr = await loginAs("production_manager", { allowed_tabs: ["salesdata.fr-sales"] });
    expect((await call("/api/v1/salesdata/fr", { token: fr.token })).status).toBe(200);
    const uk = await call("/api/v1/salesdata/uk", { token: fr.token });
    expect(uk.status).toBe(403);
    expect(uk.json.message).toBe("Your account does not have the 'salesdata.uk-sales' tab");
    expect((await call("/api/v1/salesdata/imports", { token: fr.token })).status).toBe(403);
    const denied = await upload(fr.token, "fr", csv([ukLine({ order: unique("DENY"), sku: "A" })]));
    expect(denied.status).toBe(403);
    expect(denied.json.message).toBe("Your account does not have the 'salesdata.upload' tab");

    const uploader = await loginAs("production_manager", { allowed_tabs: ["salesdata.upload", "salesdata.uk-sales"] });
    expect((await upload(uploader.token, "uk", csv([ukLine({ order: unique("UP"), sku: "A" })]))).status).toBe(200);
    expect((await call("/api/v1/salesdata/fr", { token: uploader.token })).status).toBe(403);

    // The permission matters as much as the tab: a viewer with every sales tab may read, not import.
    const viewer = await loginAs("viewer", { allowed_tabs: ["salesdata"] });
    expect((await call("/api/v1/salesdata/uk", { token: viewer.token })).status).toBe(200);
    const refused = await upload(viewer.token, "uk", csv([ukLine({ order: unique("V"), sku: "A" })]));
    expect(refused.status).toBe(403);
    expect(refused.json.message).toBe("Permission 'salesdata:import' is required");
    expect((await call("/api/v1/salesdata/uk")).status).toBe(401);
  });

  it("opens German rows only to the DE sub-tab (or the whole module), never to another sub-tab", async () => {
    const admin = await loginAs("admin");
    const tag = unique("DEGATE");
    const de = `${HEADER.replaceAll(",", ";")}\n${[`${tag}-1`, "15.01.2026 12:00", "DE-1", "Mutter", "4", "2,25", "complete", "EUR", "9,00", "", "", "", "", ""].join(";")}\n`;
    expect((await upload(admin.token, "de", de)).status).toBe(200);
    for (const tabs of [["salesdata.uk-sales"], ["salesdata.upload"], ["salesdata.history"]]) {
      const other = await loginAs("production_manager", { allowed_tabs: tabs });
      const res = await call(`/api/v1/salesdata/de?search=${tag}`, { token: other.token });
      expect(res.status, tabs.join()).toBe(403);
      expect(res.json.message).toBe("Your account does not have the 'salesdata.de-sales' tab");
    }
    for (const tabs of [["salesdata.de-sales"], ["salesdata"]]) {
      const reader = await loginAs("viewer", { allowed_tabs: tabs });
      const res = await call(`/api/v1/salesdata/de?search=${tag}`, { token: reader.token });
      expect(res.status, tabs.join()).toBe(200);
      expect(res.json.total_count).toBe(1);
    }
  });

  it("imports a region only for a caller who may read it: refused before anything is stored", async () => {
    const ukUploader = await loginAs("production_manager", { allowed_tabs: ["salesdata.upload", "salesdata.uk-sales"] });
    const admin = await loginAs("admin");
    const filename = `${unique("foreign")}.csv`;
    const before = (await env.FILES.list({ prefix: "salesdata/" })).objects.length;
    for (const region of ["fr", "de", "nl"]) {
      const res = await upload(ukUploader.token, region, csv([ukLine({ order: unique("FOREIGN"), sku: "A", currency: "EUR" })]), { filename });
      expect(res.status, region).toBe(403);
      expect(res.json.message).toBe(`Your account does not have the 'salesdata.${region}-sales' tab`);
    }
    expect((await env.FILES.list({ prefix: "salesdata/" })).objects.length).toBe(before);
    const history = await call("/api/v1/salesdata/imports?limit=200", { token: admin.token });
    expect(arr(history.json.items).filter((i) => String(i.filename) === filename)).toEqual([]);
  });

  it("shows import history only for the caller's regions, and hides another region's import", async () => {
    const admin = await loginAs("admin");
    const ukImport = await upload(admin.token, "uk", csv([ukLine({ order: unique("HUK"), sku: "A" })]));
    const frImport = await upload(admin.token, "fr", csv([ukLine({ order: unique("HFR"), sku: "A", currency: "EUR" })]));
    const deImport = await upload(admin.token, "de", csv([ukLine({ order: unique("HDE"), sku: "A", currency: "EUR" })]));
    expect([ukImport.status, frImport.status, deImport.status]).toEqual([200, 200, 200]);

    const ukHistorian = await loginAs("viewer", { allowed_tabs: ["salesdata.history", "salesdata.uk-sales"] });
    const list = await call("/api/v1/salesdata/imports?limit=200", { token: ukHistorian.token });
    expect(list.status).toBe(200);
    const items = arr(list.json.items);
    expect(items.some((i) => i.id === ukImport.json.import_id)).toBe(true);
    expect(items.filter((i) => String(i.region) !== "uk")).toEqual([]);
    expect(Number(list.json.total)).toBe(items.length);
    const asked = await call("/api/v1/salesdata/imports?region=fr", { token: ukHistorian.token });
    expect(asked.status).toBe(403);
    expect(asked.json.message).toBe("Your account does not have the 'salesdata.fr-sales' tab");
    expect((await call(`/api/v1/salesdata/imports/${str(ukImport.json.import_id)}`, { token: ukHistorian.token })).status).toBe(200);
    for (const other of [frImport, deImport]) {
      const one = await call(`/api/v1/salesdata/imports/${str(other.json.import_id)}`, { token: ukHistorian.token });
      expect(one.status).toBe(404);
    }
    // History alone opens no region.
    const historyOnly = await loginAs("viewer", { allowed_tabs: ["salesdata.history"] });
    expect((await call("/api/v1/salesdata/imports", { token: historyOnly.token })).json.total).toBe(0);
  });
});

describe("sales summary", () => {
  it("aggregates per SKU, country and month within a period", async () => {
    const admin = await loginAs("admin");
    const tag = unique("SUM");
    // 2031 belongs to this test alone.
    const uk = csv([
      ukLine({ order: `${tag}-1`, sku: `${tag}-A`, qty: "2", price: "10.00", date: "2031-01-10 10:00:00" }),
      ukLine({ order: `${tag}-1`, sku: `${tag}-B`, qty: "1", price: "5.50", date: "2031-01-10 10:00:00" }),
      ukLine({ order: `${tag}-2`, sku: `${tag}-A`, qty: "3", price: "10.00", date: "2031-02-01 08:00:00" }),
    ]);
    expect((await upload(admin.token, "uk", uk)).status).toBe(200);
    const de = `${HEADER.replaceAll(",", ";")}\n${[`${tag}-9`, "15.01.2031 12:00", `${tag}-A`, "Mutter", "4", "2,25", "complete", "EUR", "9,00", "", "", "", "", ""].join(";")}\n`;
    expect((await upload(admin.token, "de", de)).status).toBe(200);

    const period = "from=2031-01-01&to=2031-01-31";
    const bySku = await call(`/api/v1/salesdata/summary?group_by=sku&${period}`, { token: admin.token });
    expect(bySku.status, JSON.stringify(bySku.json)).toBe(200);
    expect(bySku.json.groups).toEqual([
      { key: `${tag}-A`, currency: "GBP", orders: 1, lines: 1, quantity: 2, revenue: 20 },
      { key: `${tag}-A`, currency: "EUR", orders: 1, lines: 1, quantity: 4, revenue: 9 },
      { key: `${tag}-B`, currency: "GBP", orders: 1, lines: 1, quantity: 1, revenue: 5.5 },
    ]);
    const byCountry = await call("/api/v1/salesdata/summary?group_by=country&from=2031-01-01&to=2031-12-31", { token: admin.token });
    expect(byCountry.json.groups).toEqual([
      { key: "uk", currency: "GBP", orders: 2, lines: 3, quantity: 6, revenue: 55.5 },
      { key: "de", currency: "EUR", orders: 1, lines: 1, quantity: 4, revenue: 9 },
    ]);
    const byMonth = await call("/api/v1/salesdata/summary?group_by=month&from=2031-01-01&to=2031-12-31&region=uk", { token: admin.token });
    expect(byMonth.json).toMatchObject({ total_groups: 2, region: "uk" });
    expect((byMonth.json.groups as Json[] | undefined)?.map((g) => [g.key, g.revenue])).toEqual([
      ["2031-01", 25.5],
      ["2031-02", 30],
    ]);
    // Totals are sales data: a caller with only the FR tab sees FR's, never UK's or DE's.
    const frOnly = await loginAs("viewer", { allowed_tabs: ["salesdata.fr-sales"] });
    const theirs = await call("/api/v1/salesdata/summary?group_by=country&from=2031-01-01&to=2031-12-31", { token: frOnly.token });
    expect(theirs.status).toBe(200);
    expect(theirs.json.groups).toEqual([]);
    const deReader = await loginAs("viewer", { allowed_tabs: ["salesdata.de-sales"] });
    const german = await call("/api/v1/salesdata/summary?group_by=country&from=2031-01-01&to=2031-12-31", { token: deReader.token });
    expect(german.json.groups).toEqual([{ key: "de", currency: "EUR", orders: 1, lines: 1, quantity: 4, revenue: 9 }]);
    const ukAsked = await call("/api/v1/salesdata/summary?group_by=sku&region=uk", { token: frOnly.token });
    expect(ukAsked.status).toBe(403);
    expect(ukAsked.json.message).toBe("Your account does not have the 'salesdata.uk-sales' tab");
    expect((await call("/api/v1/salesdata/summary?group_by=week", { token: admin.token })).status).toBe(422);
    expect((await call("/api/v1/salesdata/summary?group_by=sku&from=2031-02-01&to=2031-01-01", { token: admin.token })).status).toBe(422);
  });
});

describe("sales CSV rules", () => {
  it("reads each region's numbers", () => {
    expect(parseRegionNumber("1,234.56", "uk")).toBe(1234.56);
    expect(parseRegionNumber("12.5000", "uk")).toBe(12.5);
    expect(parseRegionNumber("12,5", "uk")).toBeUndefined();
    expect(parseRegionNumber("1 234,56", "fr")).toBe(1234.56);
    expect(parseRegionNumber("1\u202f234,56", "fr")).toBe(1234.56);
    expect(parseRegionNumber("12.5000", "fr")).toBe(12.5);
    expect(parseRegionNumber("1.234,56", "de")).toBe(1234.56);
    expect(parseRegionNumber("1.234", "nl")).toBe(1234);
    expect(parseRegionNumber("-3,5", "nl")).toBe(-3.5);
    expect(parseRegionNumber("1,2,3", "de")).toBeUndefined();
    expect(parseRegionNumber("", "de")).toBeUndefined();
    expect(parseRegionNumber("1e5", "uk")).toBeUndefined();
  });

  it("reads each region's dates as UTC and refuses impossible ones", () => {
    expect(parseRegionDate("04/03/2026", "uk")).toBe("2026-03-04T00:00:00.000Z");
    expect(parseRegionDate("04-03-2026 07:08", "nl")).toBe("2026-03-04T07:08:00.000Z");
    expect(parseRegionDate("04.03.2026 07:08:09", "de")).toBe("2026-03-04T07:08:09.000Z");
    expect(parseRegionDate("2026-03-04T07:08:09.5Z", "fr")).toBe("2026-03-04T07:08:09.500Z");
    expect(parseRegionDate("04.03.2026", "uk")).toBeUndefined();
    expect(parseRegionDate("29/02/2025", "uk")).toBeUndefined();
    expect(parseRegionDate("29/02/2024", "uk")).toBe("2024-02-29T00:00:00.000Z");
    expect(parseRegionDate("2026-03-04 24:00:00", "uk")).toBeUndefined();
  });

  it("reads Magento's own YYYY-MM-DD HH:MM:SS digit by digit, with the same rules as every other shape", () => {
    expect(parseRegionDate("2026-03-04 07:08:09", "uk")).toBe("2026-03-04T07:08:09.000Z");
    expect(parseRegionDate("2026-03-04T07:08:09", "nl")).toBe("2026-03-04T07:08:09.000Z");
    expect(parseRegionDate("2026-03-04T07:08:09Z", "de")).toBe("2026-03-04T07:08:09.000Z");
    expect(parseRegionDate(" 2026-03-04 07:08:09 ", "uk")).toBe("2026-03-04T07:08:09.000Z");
    expect(parseRegionDate("2024-02-29 23:59:59", "fr")).toBe("2024-02-29T23:59:59.000Z");
    for (const bad of [
      "2026-02-29 10:00:00",
      "2100-02-29 10:00:00",
      "1969-12-31 23:59:59",
      "3000-01-01 00:00:00",
      "2026-13-01 00:00:00",
      "2026-00-10 00:00:00",
      "2026-04-31 00:00:00",
      "2026-03-00 00:00:00",
      "2026-03-04 24:00:00",
      "2026-03-04 07:60:00",
      "2026-03-04 07:08:60",
      "2026-03-04 07:08:0a",
      "2026-03-04x07:08:09",
      "2026-03-04 07:08:09X",
      "２０２６-03-04 07:08:09",
    ])
      expect(parseRegionDate(bad, "uk"), bad).toBeUndefined();
  });

  it("answers a repeated date (an order's lines) from the line before only for the same text and region", () => {
    // UK dates use `/` only; NL takes `-`: the same text twice in a row, one answer per region.
    expect(parseRegionDate("04-03-2026", "uk")).toBeUndefined();
    expect(parseRegionDate("04-03-2026", "nl")).toBe("2026-03-04T00:00:00.000Z");
    expect(parseRegionDate("04-03-2026", "uk")).toBeUndefined();
    expect(parseRegionDate("04/03/2026", "uk")).toBe("2026-03-04T00:00:00.000Z");
    expect(parseRegionDate("04/03/2026", "uk")).toBe("2026-03-04T00:00:00.000Z");
    expect(parseRegionDate("05/03/2026", "uk")).toBe("2026-03-05T00:00:00.000Z");
  });

  it("names a row's first problem in RM365's words", () => {
    const good = ["O1", "2026-01-01", "S", "N", "1", "2", "complete", "gbp", "2", "", "", "", "", ""];
    const checked = validateRow(good, 7, "uk");
    expect(checked).toMatchObject({ ok: true, line: { currency: "GBP", qty: 1 } });
    expect(validateRow(good.slice(0, 9), 7, "uk")).toEqual({ ok: false, error: "Row 7: Not enough columns (expected 14, got 9)" });
    expect(validateRow([...good, "x"], 7, "uk")).toEqual({ ok: false, error: "Row 7: Too many columns (expected 14, got 15)" });
    expect(validateRow(["", ...good.slice(1)], 7, "uk")).toEqual({ ok: false, error: "Row 7: Missing order_number" });
    expect(validateRow([...good.slice(0, 4), "-1", ...good.slice(5)], 7, "uk")).toEqual({ ok: false, error: 'Row 7: Invalid qty "-1" (must not be negative)' });
    expect(validateRow([...good.slice(0, 2), "S".repeat(65), ...good.slice(3)], 7, "uk")).toEqual({
      ok: false,
      error: "Row 7: sku is longer than 64 characters",
    });
  });

  it("knows each month's length and leap years without a Date round trip", () => {
    expect(parseRegionDate("29/02/2028", "uk")).toBe("2028-02-29T00:00:00.000Z");
    expect(parseRegionDate("2000-02-29 10:00", "uk")).toBe("2000-02-29T10:00:00.000Z");
    expect(parseRegionDate("29/02/2026", "uk")).toBeUndefined();
    expect(parseRegionDate("2100-02-29", "uk")).toBeUndefined();
    expect(parseRegionDate("31-04-2026", "nl")).toBeUndefined();
    expect(parseRegionDate("30.04.2026", "de")).toBe("2026-04-30T00:00:00.000Z");
    expect(parseRegionDate("31/12/2026 23:59:59", "fr")).toBe("2026-12-31T23:59:59.000Z");
  });

  it("reads a byte-stream body (an R2 object's) in 64 KiB pieces, every record whole and numbered", async () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `O${i},"a ""quoted"", name ${i}",${i}`);
    const text = `${HEADER}\r\n${lines.join("\r\n")}\r\n`;
    const bytes = new TextEncoder().encode(text);
    let batches = 0;
    const rows: { row: number; fields: string[] }[] = [];
    for await (const { first, records } of csvRecordBatches(socketLikeStream(bytes))) {
      batches++;
      for (const [k, fields] of records.entries()) rows.push({ row: first + k, fields });
    }
    expect(rows).toHaveLength(5001);
    expect(rows[4321]).toEqual({ row: 4322, fields: ["O4320", 'a "quoted", name 4320', "4320"] });
    expect(rows.every((r, i) => r.row === i + 1)).toBe(true);
    // 4 KiB chunks would be ~40 batches for these ~160 KB.
    expect(batches).toBeLessThanOrEqual(Math.ceil(bytes.length / (64 * 1024)) + 1);
  });

  it("numbers records as spreadsheet rows, a quoted line break staying in its row", async () => {
    const text = `${HEADER}\n"a\nb",2\n\nc,3\n`;
    const rows: { row: number; fields: string[] }[] = [];
    for await (const r of csvRecords(new Blob([text]).stream())) rows.push(r);
    expect(rows.map((r) => r.row)).toEqual([1, 2, 3]);
    expect(rows[1]?.fields).toEqual(["a\nb", "2"]);
    expect(rows[2]?.fields).toEqual(["c", "3"]);
  });
});
