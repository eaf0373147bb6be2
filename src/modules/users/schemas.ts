import { z } from "zod";
import { Code, Email, LookupUsername, NewPassword, PersonName, ShortText, Username } from "../../lib/fields";
import { isTab } from "../../lib/rbac";

// Re-exported for the compat surfaces, which import them from here.
export { NewPassword, Username };
export const Tab = z.string().max(64).refine(isTab, { message: "Unknown tab" });
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
  email: Email.nullable().optional(),
  first_name: PersonName.nullable().optional(),
  last_name: PersonName.nullable().optional(),
};
const ManagedFields = {
  ...ProfileFields,
  employee_id: ShortText.max(64).nullable().optional(),
  department: ShortText.nullable().optional(),
  shift: ShortText.max(50).nullable().optional(),
  skills: z.array(ShortText).max(100).optional(),
  certifications: z.array(ShortText).max(100).optional(),
  is_active: z.boolean().optional(),
};

export const ProfileUpdate = z.object(ProfileFields).strict();
export type ProfileUpdate = z.infer<typeof ProfileUpdate>;

/** RM365 `POST /users {username,password,role,allowed_tabs}` plus MS5's profile fields. */
export const CreateUserBody = z
  .object({
    username: Username,
    password: NewPassword,
    role: Code.default("viewer"),
    /** Omit or null: the role's tabs. */
    allowed_tabs: TabList.nullable().optional(),
    ...ManagedFields,
  })
  .strict();
export type CreateUserBody = z.infer<typeof CreateUserBody>;

/** RM365 `PATCH /users {username, new_username?, new_password?, role?, allowed_tabs?}`. */
export const UpdateUserBody = z
  .object({
    username: LookupUsername,
    new_username: Username.optional(),
    /** Someone else's password (an administrator's tool); one's own needs /auth/change-password. */
    new_password: NewPassword.optional(),
    role: Code.optional(),
    allowed_tabs: TabList.nullable().optional(),
    ...ManagedFields,
  })
  .strict();
export type UpdateUserBody = z.infer<typeof UpdateUserBody>;

export const UsernameQuery = z.object({ username: LookupUsername });
export const UsernameBody = UsernameQuery;
