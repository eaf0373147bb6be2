import { z } from "zod";

/**
 * Queue message schemas, shared by the API worker (producer) and the consumers under
 * `workers/`. Messages carry R2 keys and ids, never file bytes (128 KB message limit).
 */
export const ProbeMessage = z.object({
  type: z.literal("probe"),
  requestId: z.string(),
  sentAt: z.iso.datetime(),
});
export type ProbeMessage = z.infer<typeof ProbeMessage>;

/** Messages of the conversion queue (STEP → GLB); conversion jobs join in their issue. */
export const ConvertMessage = z.discriminatedUnion("type", [ProbeMessage]);
export type ConvertMessage = z.infer<typeof ConvertMessage>;

/** Messages of the documents queue (label PDFs, production reports). */
export const DocumentsMessage = z.discriminatedUnion("type", [ProbeMessage]);
export type DocumentsMessage = z.infer<typeof DocumentsMessage>;
