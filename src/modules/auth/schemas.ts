import { z } from "zod";
import { LoginPassword, LookupUsername, NewPassword, Token } from "../../lib/fields";
import { UserResponse } from "../users/schemas";

export const LoginBody = z.object({
  username: LookupUsername,
  password: LoginPassword,
  remember_me: z.boolean().optional(),
});

/** One response for both seeds' clients: MS5's token fields and user, RM365's role and tabs. */
export const LoginResponse = z.object({
  access_token: z.string(),
  refresh_token: z.string(),
  token_type: z.literal("bearer"),
  expires_in: z.number().int(),
  user: UserResponse,
  role: z.string(),
  allowed_tabs: z.array(z.string()),
  /** Send it back as `X-Device-Token` on later logins: failed logins from strangers cannot lock this device out. */
  device_token: z.string(),
});

export const RefreshBody = z.object({ refresh_token: Token });
export const TokenResponse = z.object({
  access_token: z.string(),
  refresh_token: z.string(),
  token_type: z.literal("bearer"),
  expires_in: z.number().int(),
});

export const ChangePasswordBody = z
  .object({
    current_password: LoginPassword,
    new_password: NewPassword,
    /** Optional: MS5's tablet client sends only the two passwords; when sent, it must match. */
    confirm_password: z.string().max(1024).optional(),
  })
  .refine((b) => b.confirm_password === undefined || b.new_password === b.confirm_password, { message: "Passwords do not match", path: ["confirm_password"] })
  .refine((b) => b.new_password !== b.current_password, { message: "New password must differ from the current one", path: ["new_password"] });

export const MessageResponse = z.object({ message: z.string() });
