-- Seed 004's built-in roles. Their permissions live in src/lib/rbac.ts (BUILTIN_ROLES); the
-- tabs stored here are RM365's defaults and admins may change them through /api/v1/roles.
INSERT INTO roles (name, description, permissions, allowed_tabs, is_builtin) VALUES
  ('admin', 'Full system access', '[]', '["attendance","enrollment","labels","salesdata","magentodata","inventory","orders","usermanagement"]', 1),
  ('production_manager', 'Production management and oversight', '[]', '["attendance","labels","salesdata","magentodata","inventory","orders"]', 1),
  ('shift_manager', 'Shift-level management', '[]', '["attendance","labels","inventory","orders"]', 1),
  ('engineer', 'Technical and maintenance operations', '[]', '["inventory","labels"]', 1),
  ('operator', 'Production line operations', '[]', '["inventory.management","labels.generator","orders.order-fulfillment"]', 1),
  ('maintenance', 'Equipment maintenance', '[]', '["inventory.management"]', 1),
  ('quality', 'Quality control', '[]', '["inventory.management","labels.history"]', 1),
  ('viewer', 'Read-only access', '[]', '["attendance.overview","inventory.management","orders.order-tracking"]', 1);
