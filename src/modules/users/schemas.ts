import { z } from "zod";
import { isTab } from "../../lib/rbac";

export const Username = z
  .string()
  .trim()
  .min(1, "Username is required")
  .max(64, "Username is at most 64 characters")
  .regex(/^[\p{L}\p{N}_.@-]+$/u, "Username may contain letters, digits and _ . @ -");
/** Policy for new passwords (logins accept whatever was stored before). */
export const NewPassword = z.string().min(8, "Password must be at least 8 characters").max(256, "Password is at most 256 characters");
export const Tab = z.string().refine(isTab, { message: "Unknown tab" });
export const TabList = z.array(Tab).max(100);

/** A user as both seeds' clients read it: MS5's profile fields plus RM365's `allowed_tabs`. */
export const UserResponse = z.object({
  id: z.string(),
  username: z.string(),
  email: z.string().nullable(),
  first_name: z.string().nullable(),
  last_name: z.string().nullable(),
  employee_id: z.string().nullable(),
  role: z.string(),
  department: z.string().nullable(),
  shift: z.string().nullable(),
  skills: z.array(z.string()),
  certifications: z.array(z.string()),
  is_active: z.boolean(),
  allowed_tabs: z.array(z.string()),
  permissions: z.array(z.string()),
  created_at: z.string(),
  updated_at: z.string(),
  last_login: z.string().nullable(),
  version: z.number().int(),
});
export type UserResponse = z.infer<typeof UserResponse>;

const ProfileFields = {
  email: z.email().max(254).nullable().optional(),
  first_name: z.string().trim().max(100).nullable().optional(),
  last_name: z.string().trim().max(100).nullable().optional(),
};
const ManagedFields = {
  ...ProfileFields,
  employee_id: z.string().trim().max(64).nullable().optional(),
  department: z.string().trim().max(100).nullable().optional(),
  shift: z.string().trim().max(50).nullable().optional(),
  skills: z.array(z.string().max(100)).max(100).optional(),
  certifications: z.array(z.string().max(100)).max(100).optional(),
  is_active: z.boolean().optional(),
};

export const ProfileUpdate = z.object(ProfileFields).strict();
export type ProfileUpdate = z.infer<typeof ProfileUpdate>;

/** RM365 `POST /users {username,password,role,allowed_tabs}` plus MS5's profile fields. */
export const CreateUserBody = z
  .object({
    username: Username,
    password: NewPassword,
    role: z.string().min(1).default("viewer"),
    /** Omit or null: the role's tabs. */
    allowed_tabs: TabList.nullable().optional(),
    ...ManagedFields,
  })
  .strict();
export type CreateUserBody = z.infer<typeof CreateUserBody>;

/** RM365 `PATCH /users {username, new_username?, new_password?, role?, allowed_tabs?}`. */
export const UpdateUserBody = z
  .object({
    username: z.string().min(1),
    new_username: Username.optional(),
    new_password: NewPassword.optional(),
    role: z.string().min(1).optional(),
    allowed_tabs: TabList.nullable().optional(),
    ...ManagedFields,
  })
  .strict();
export type UpdateUserBody = z.infer<typeof UpdateUserBody>;

export const UsernameQuery = z.object({ username: z.string().min(1).max(256) });
export const UsernameBody = UsernameQuery;
