/**
 * Issue 14, holes 7 and 13: a progress stream the client abandons gives its slot back at once
 * (workerd never fires Hono's onAbort; the stream's cancel() does), and the STEP conversion cap
 * is enforced while the body streams, not after 50 MB has been stored.
 */
import { env, exports } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { MAX_JOB_STREAMS } from "../../src/modules/labels/service";
import { call, freshIp, loginAs, str, unique } from "../helpers";
import { makeItems } from "../labels/fixtures";

const PRINTER = { allowed_tabs: ["labels", "inventory"] };

function openStream(jobId: string, token: string) {
  return exports.default.fetch(
    new Request(`http://localhost/api/v1/labels/job/${jobId}/events`, { headers: { authorization: `Bearer ${token}`, "cf-connecting-ip": freshIp() } }),
  );
}

describe("label job progress streams", () => {
  it("a stream the client cancels frees its slot at once, so the next one opens", async () => {
    const printer = await loginAs("production_manager", PRINTER);
    const items = await makeItems(1);
    const started = await call("/api/v1/labels/start-job", { token: printer.token, body: { item_ids: items.map((i) => i.id) } });
    const jobId = str(started.json.job_id);
    for (let i = 0; i < MAX_JOB_STREAMS; i++) {
      const res = await openStream(jobId, printer.token);
      expect(res.status).toBe(200);
      const reader = res.body?.getReader();
      const first = await reader?.read();
      expect(new TextDecoder().decode(first?.value)).toMatch(/^event: progress\ndata: \{"job_id"/);
      await reader?.cancel();
    }
    // Without the release on cancel, all five slots stay taken for 5 minutes: every try is 429.
    await vi.waitUntil(
      async () => {
        const res = await openStream(jobId, printer.token);
        if (res.status !== 200) return false;
        await res.body?.cancel();
        return true;
      },
      { timeout: 5000, interval: 100 },
    );
  });
});

describe("the STEP conversion cap", () => {
  it("is checked while the body streams: a 9 MB STEP is refused before the rest of the body is read", async () => {
    const { token } = await loginAs("engineer");
    const part = await call("/api/v1/parts", { token, body: { type: "cnc", name: unique("Model"), part_id: unique("M"), material: "al", subsystem: "CAD" } });
    const id = Number(part.json.id);
    const boundary = "stepcapboundary";
    const enc = new TextEncoder();
    const head = enc.encode(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.stp"\r\n\r\nISO-10303-21;\nHEADER;\n`);
    const tail = enc.encode(`\r\n--${boundary}--\r\n`);
    const chunk = enc.encode(`#1=CARTESIAN_POINT('',(0.,0.,0.));\n`.repeat(2000));
    const total = 9 * 1024 * 1024;
    let sent = 0;
    let step = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (step === 0) controller.enqueue(head);
        else if (sent < total) {
          controller.enqueue(chunk);
          sent += chunk.length;
        } else {
          controller.enqueue(tail);
          controller.close();
        }
        step++;
      },
    });
    const res = await exports.default.fetch(
      new Request(`http://localhost/api/v1/parts/${id}/file`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": `multipart/form-data; boundary=${boundary}`, "cf-connecting-ip": freshIp() },
        body,
        duplex: "half",
      } as RequestInit),
    );
    expect(res.status).toBe(413);
    expect(((await res.json()) as { reason?: string; error?: string; message: string }).message).toMatch(/too large to convert/);
    // The cap is 8 MiB: the upload stopped there, not at the end of the 9 MB body.
    expect(sent).toBeLessThan(total);
    expect(sent).toBeLessThanOrEqual(8 * 1024 * 1024 + 2 * 1024 * 1024);
    expect((await env.FILES.list({ prefix: "parts/files/" })).objects.filter((o) => o.size > 8 * 1024 * 1024)).toEqual([]);
  });
});
