import { z } from "zod";
import { Code } from "../../lib/fields";
import { isPermission } from "../../lib/rbac";
import { TabList } from "../users/schemas";

export const RoleName = z
  .string()
  .trim()
  .min(1, "role_name is required")
  .max(64)
  .regex(/^[a-z0-9_-]+$/i, "role_name may contain letters, digits, _ and -");
export const PermissionList = z
  .array(
    z
      .string()
      .max(64)
      .refine((p) => p === "*" || isPermission(p), { message: "Unknown permission" }),
  )
  .max(200);

const Description = z.string().max(500).nullable().optional();

/** RM365's role shape `{role_name, allowed_tabs}` plus Floorline's permissions. */
export const RoleResponse = z.object({
  role_name: z.string(),
  allowed_tabs: z.array(z.string()),
  permissions: z.array(z.string()),
  description: z.string().nullable(),
  is_builtin: z.boolean(),
});
export type RoleResponse = z.infer<typeof RoleResponse>;

export const CreateRoleBody = z
  .object({ role_name: RoleName, allowed_tabs: TabList.default([]), permissions: PermissionList.default([]), description: Description })
  .strict();
export type CreateRoleBody = z.infer<typeof CreateRoleBody>;

export const UpdateRoleBody = z
  .object({
    role_name: Code,
    new_role_name: RoleName.optional(),
    allowed_tabs: TabList.optional(),
    permissions: PermissionList.optional(),
    description: Description,
  })
  .strict();
export type UpdateRoleBody = z.infer<typeof UpdateRoleBody>;

export const RoleNameQuery = z.object({ role_name: Code });
