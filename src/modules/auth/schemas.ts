import { z } from "zod";
import { NewPassword, UserResponse } from "../users/schemas";

export const LoginBody = z.object({
  username: z.string().trim().min(1, "Username is required").max(256),
  password: z.string().min(1, "Password is required").max(1024),
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
});

export const RefreshBody = z.object({ refresh_token: z.string().min(1, "refresh_token is required").max(512) });
export const TokenResponse = z.object({
  access_token: z.string(),
  refresh_token: z.string(),
  token_type: z.literal("bearer"),
  expires_in: z.number().int(),
});

export const ChangePasswordBody = z
  .object({
    current_password: z.string().min(1).max(1024),
    new_password: NewPassword,
    confirm_password: z.string(),
  })
  .refine((b) => b.new_password === b.confirm_password, { message: "Passwords do not match", path: ["confirm_password"] })
  .refine((b) => b.new_password !== b.current_password, { message: "New password must differ from the current one", path: ["new_password"] });

export const MessageResponse = z.object({ message: z.string() });
