/**
 * CCbackend's error format (seed 000): `{success:false, error}` with the seed's Chinese messages,
 * validation failures as 400, and authentication failures as flask-jwt-extended's `{msg}`
 * (401 missing/expired/invalid, 422 malformed). Errors carry a stable `reason`; this table says
 * what the seed answered for each.
 */
import type { ResponseConfig } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";
import type { AuthFailure } from "../../lib/errors";
import { byReason, firstIssue, jsonResponse, type ReasonEntry, type Surface } from "../../lib/surface";
import { Equipment } from "../../modules/equipment/schemas";
import { CcEquipment, toCc } from "./records";

/** A stale write's 409 carries the item as it is now, so the client can show it and retry. */
function currentItem(details: unknown): Record<string, unknown> {
  const parsed = Equipment.safeParse((details as { current?: unknown } | null)?.current);
  return parsed.success ? { current: toCc(parsed.data) } : {};
}

export const CC_REASONS: Readonly<Record<string, ReasonEntry>> = {
  invalid_credentials: { status: 401, message: "帳號或密碼錯誤" },
  username_taken: { status: 409, message: "使用者名稱已存在" },
  user_not_found: { status: 404, message: "使用者不存在" },
  reset_token_invalid: { status: 400, message: "重設碼無效或已過期" },
  reset_token_required: {
    status: 400,
    message: "重設密碼需要重設碼：請先使用「忘記密碼」申請重設碼（由管理員或通知管道提供），再連同重設碼 (reset_token) 提交新密碼",
  },
  may_not_manage: { status: 403, message: "無權限重設權限高於自己的使用者密碼" },
  own_password: { status: 403, message: "請至 /api/v1/auth/change-password 以目前密碼變更自己的密碼" },
  registration_closed: { status: 403, message: "此系統未開放註冊" },
  rate_limited: { status: 429, message: "請求過於頻繁，請稍後再試" },
  equipment_not_found: { status: 404, message: "未找到該器材" },
  equipment_exists: { status: 409, message: "CCM ID 已存在，請使用不同的 ID" },
  equipment_stale: { status: 409, message: "器材資料已被他人更新 (UPD_CNT 已變更)，請重新整理後再試", extra: currentItem },
  report_not_found: { status: 404, message: "未找到該回報或沒有資料更新" },
  report_not_found_for_delete: { status: 404, message: "未找到該回報或沒有資料刪除" },
  report_stale: { status: 409, message: "回報資料已被他人更新，請重新整理後再試" },
  image_not_found: { status: 404, message: "圖片檔案不存在" },
};

const CC_AUTH_MESSAGES: Record<AuthFailure, string> = {
  missing: "Missing Authorization Header",
  expired: "Token has expired",
  malformed: "Invalid token",
  invalid: "Signature verification failed",
  revoked: "Token has been revoked",
  api_key_missing: "Missing Authorization Header",
  api_key_invalid: "Signature verification failed",
};

export const CcErrorSchema = z
  .object({
    success: z.literal(false),
    error: z.string(),
    requestId: z.string(),
    current: CcEquipment.optional().describe("With a stale write (409): the item as it is now"),
  })
  .meta({ id: "CcbackendError", description: "CCbackend's error envelope" });
export const FlaskJwtErrorSchema = z.object({ msg: z.string() }).meta({ id: "FlaskJwtError", description: "flask-jwt-extended's authentication error" });

const ccError = (description: string): ResponseConfig => jsonResponse(CcErrorSchema, description);

export const ccbackendSurface: Surface = {
  name: "ccbackend",
  render(err, requestId) {
    if (err.code === "AUTHENTICATION_ERROR" && err.authFailure) {
      return { status: err.authFailure === "malformed" ? 422 : 401, body: { msg: CC_AUTH_MESSAGES[err.authFailure] } };
    }
    const reason = err.reason ?? (err.code === "RATE_LIMITED" ? "rate_limited" : undefined);
    if (reason !== undefined && CC_REASONS[reason]) {
      const { status, message, extra } = byReason(CC_REASONS, err, reason);
      return { status, body: { success: false, error: message, requestId, ...extra?.(err.details) } };
    }
    // A missing permission, in the seed's language and naming what is missing.
    if (err.code === "AUTHORIZATION_ERROR") {
      const permission = /Permission '([^']+)'/.exec(err.message)?.[1];
      const error = permission ? `權限不足：此操作需要 ${permission} 權限，請聯絡管理員` : "權限不足，請聯絡管理員";
      return { status: 403, body: { success: false, error, requestId } };
    }
    // The compat schemas carry the seed's own messages ("請提供帳號"); the seed answered 400.
    const message = err.code === "VALIDATION_ERROR" ? (firstIssue(err.details)?.message ?? err.message) : err.message;
    return { status: err.code === "VALIDATION_ERROR" ? 400 : err.status, body: { success: false, error: message, requestId } };
  },
  errorDocs({ authenticated, validates, throttled }) {
    const docs: Record<number, ResponseConfig> = {};
    if (validates) docs[400] = ccError("Invalid request (the first problem, in the seed's words)");
    if (authenticated) {
      docs[401] = jsonResponse(FlaskJwtErrorSchema, "Missing, expired or invalid token (flask-jwt-extended)");
      docs[422] = jsonResponse(FlaskJwtErrorSchema, "Malformed token (flask-jwt-extended)");
      docs[403] = ccError("Not allowed");
    }
    if (throttled) docs[429] = ccError("Too many requests; see Retry-After");
    return docs;
  },
  errorDoc: (_status, description) => ccError(description),
};
