import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "./index";

// Runs in the test runtime beside the API worker; typechecked by this worker's own tsconfig.
describe("documents queue consumer: production reports", () => {
  it("renders a queued report through the worker's own dispatch, font and subsetter, and stores the PDF", async () => {
    const lineId = crypto.randomUUID();
    const reportId = crypto.randomUUID();
    await env.DB.batch([
      env.DB.prepare("insert into production_lines (id, line_code, name) values (?, ?, ?)").bind(lineId, `L-${lineId.slice(0, 8)}`, "灌装线 Filling"),
      env.DB.prepare(
        "insert into production_reports (id, title, line_ids, start_date, end_date, group_by, requested_by) values (?, '日報 Daily', ?, '2026-11-10', '2026-11-10', 'day', 'test')",
      ).bind(reportId, JSON.stringify([lineId])),
    ]);
    const batch = createMessageBatch("floorline-documents", [
      { id: "r1", timestamp: new Date(), attempts: 1, body: { type: "production_report", reportId, requestId: "test" } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["r1"]);
    const row = await env.DB.prepare("select state, pdf_key, page_count from production_reports where id = ?")
      .bind(reportId)
      .first<{ state: string; pdf_key: string; page_count: number }>();
    expect(row).toMatchObject({ state: "ready", page_count: 1 });
    const pdf = await env.FILES.get(row?.pdf_key ?? "");
    expect(pdf?.httpMetadata?.contentType).toBe("application/pdf");
    expect(new TextDecoder().decode((await pdf?.arrayBuffer())?.slice(0, 5))).toBe("%PDF-");
  });
});
