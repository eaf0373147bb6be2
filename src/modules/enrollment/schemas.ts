/** Wire shapes of enrollment (`/api/v1/enrollment`): cards and fingerprint templates per employee. */
import { z } from "zod";
import { Code, ShortText } from "../../lib/fields";
import { PageQuery, pageOf } from "../../lib/pagination";

/**
 * A card UID as readers print it: hex bytes, optionally separated by `:`, `-` or spaces
 * (`04:A2:3B:1C`, `04a23b1c`), or a decimal card number (digits are hex digits too). Stored as
 * upper-case hex without separators, 4 to 32 digits: the same card always normalises the same.
 */
export function normaliseUid(raw: string): string {
  return raw
    .trim()
    .replace(/[\s:-]/g, "")
    .toUpperCase();
}

export const CardUid = z
  .string()
  .trim()
  .min(1, "Card UID is required")
  .max(64, "Card UID is at most 64 characters")
  .transform(normaliseUid)
  .pipe(z.string().regex(/^[0-9A-F]{4,32}$/, "Card UID must be 4-32 hex digits (separators : - and spaces are ignored)"));

const Reason = z.string().trim().min(1, "Reason is required").max(500, "Reason is at most 500 characters");

export const Card = z
  .object({
    id: z.string(),
    employee_id: z.string(),
    uid: z.string(),
    label: z.string().nullable(),
    active: z.boolean(),
    created_at: z.string(),
    created_by: z.string().nullable(),
    revoked_at: z.string().nullable(),
    revoked_by: z.string().nullable(),
    revoke_reason: z.string().nullable(),
  })
  .meta({ id: "EnrollmentCard" });
export type Card = z.infer<typeof Card>;

export const Fingerprint = z
  .object({
    id: z.string(),
    employee_id: z.string(),
    template_id: z.string(),
    /** Whether template bytes were enrolled (their SHA-256 is kept, never the bytes). */
    has_template: z.boolean(),
    finger: z.number().int().nullable(),
    active: z.boolean(),
    created_at: z.string(),
    created_by: z.string().nullable(),
    revoked_at: z.string().nullable(),
    revoked_by: z.string().nullable(),
    revoke_reason: z.string().nullable(),
  })
  .meta({ id: "EnrollmentFingerprint" });
export type Fingerprint = z.infer<typeof Fingerprint>;

export const RegisterCard = z.object({ employee_id: Code, uid: CardUid, label: ShortText.nullable().optional() }).strict();
export type RegisterCard = z.infer<typeof RegisterCard>;

export const ReplaceCard = z.object({ uid: CardUid, label: ShortText.nullable().optional(), reason: Reason.default("Replaced") }).strict();
export type ReplaceCard = z.infer<typeof ReplaceCard>;

export const RevokeBody = z.object({ reason: Reason }).strict();
export type RevokeBody = z.infer<typeof RevokeBody>;

export const RegisterFingerprint = z
  .object({
    employee_id: Code,
    template_id: Code,
    template_b64: z.base64().max(16_384).optional(),
    /** 0 right thumb … 9 left little finger (ISO/IEC 19794-2 positions minus one). */
    finger: z.number().int().min(0).max(9).nullable().optional(),
  })
  .strict();
export type RegisterFingerprint = z.infer<typeof RegisterFingerprint>;

export const IdParams = z.object({ id: Code });

export const CredentialListQuery = PageQuery.extend({
  employee_id: Code.optional(),
  include_revoked: z
    .enum(["true", "false"])
    .default("false")
    .transform((v) => v === "true"),
});
export type CredentialListQuery = z.infer<typeof CredentialListQuery>;

export const CardPage = pageOf(Card).meta({ id: "EnrollmentCardPage" });
export const FingerprintPage = pageOf(Fingerprint).meta({ id: "EnrollmentFingerprintPage" });
export const ReplacedCard = z.object({ revoked: Card, card: Card }).meta({ id: "EnrollmentReplacedCard" });

export const EmployeeEnrollment = z
  .object({
    employee_id: z.string(),
    employee_code: z.string(),
    employee_name: z.string(),
    active: z.boolean(),
    cards: z.array(Card),
    fingerprints: z.array(Fingerprint),
  })
  .meta({ id: "EmployeeEnrollment" });
export type EmployeeEnrollment = z.infer<typeof EmployeeEnrollment>;
