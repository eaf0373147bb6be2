/**
 * Single labels on request: the RPC entrypoint behind the API's `DOCUMENTS` service binding
 * (wrangler.toml `[[services]] entrypoint = "LabelRenderer"`). The API has already checked the
 * caller's access, the query and the item (src/modules/labels/service.ts `singleLabel`); this only
 * draws. A named entrypoint is reachable through a service binding only: the documents worker has
 * no fetch handler and no route, so nothing here is callable from outside the API.
 *
 * The request is checked again against its bounded schema (src/modules/labels/renderer.ts): a
 * refusal or a rendering failure comes back as an answer (`ok: false`), not as a thrown error, so
 * the API can tell either from an unreachable worker.
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import { describeError, log } from "../../src/lib/logging";
import { LabelDocument } from "../../src/modules/labels/pdf";
import { type LabelRendererRpc, RenderLabelRequest, type RenderLabelResult } from "../../src/modules/labels/renderer";

/** Renders one request: the label `copies` times on its template, as a PDF. */
export async function renderSingleLabel(input: unknown): Promise<RenderLabelResult> {
  const parsed = RenderLabelRequest.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, error: "invalid", message: issue ? `${issue.path.join(".") || "request"}: ${issue.message}` : "Invalid request" };
  }
  const { template, label, copies, title } = parsed.data;
  try {
    const doc = await LabelDocument.create(template, title);
    for (let i = 0; i < copies; i++) doc.add(label);
    return { ok: true, pdf: await doc.save() };
  } catch (err) {
    log("error", "single label failed", { symbology: template.symbology, ...describeError(err) });
    return { ok: false, error: "failed", message: err instanceof Error ? err.message.slice(0, 300) : "Rendering failed" };
  }
}

/** `env.DOCUMENTS.renderLabel(…)` in the API. */
export class LabelRenderer extends WorkerEntrypoint<DocumentsEnv> implements LabelRendererRpc {
  async renderLabel(request: RenderLabelRequest): Promise<RenderLabelResult> {
    return renderSingleLabel(request);
  }
}
