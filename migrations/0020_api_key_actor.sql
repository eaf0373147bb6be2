-- Data only (no schema change): one spelling for an API key in audit columns.
-- Equipment, parts and sales imports wrote `api_key:<key name>`; attendance, enrollment,
-- labels, pick & pack and inventory wrote `api-key:<key name>`. Since actorOf()
-- (src/lib/principal.ts) every module writes `api_key:`; this rewrites the older rows so a
-- stored value means the same whatever module wrote it. New usernames cannot contain ':'
-- (src/lib/fields.ts), so no user's own name starts with `api-key:`.
UPDATE `attendance_events` SET `actor_name` = 'api_key:' || substr(`actor_name`, 9) WHERE substr(`actor_name`, 1, 8) = 'api-key:';--> statement-breakpoint
UPDATE `attendance_corrections` SET `actor_name` = 'api_key:' || substr(`actor_name`, 9) WHERE substr(`actor_name`, 1, 8) = 'api-key:';--> statement-breakpoint
-- Deactivation revokes an employee's credentials with the reason "Employee deactivated by <actor>".
UPDATE `enrollment_cards` SET `revoke_reason` = 'Employee deactivated by api_key:' || substr(`revoke_reason`, 33) WHERE substr(`revoke_reason`, 1, 32) = 'Employee deactivated by api-key:';--> statement-breakpoint
UPDATE `enrollment_fingerprints` SET `revoke_reason` = 'Employee deactivated by api_key:' || substr(`revoke_reason`, 33) WHERE substr(`revoke_reason`, 1, 32) = 'Employee deactivated by api-key:';--> statement-breakpoint
UPDATE `label_jobs` SET `username` = 'api_key:' || substr(`username`, 9) WHERE substr(`username`, 1, 8) = 'api-key:';--> statement-breakpoint
UPDATE `fulfillment_sessions` SET `owner_name` = 'api_key:' || substr(`owner_name`, 9) WHERE substr(`owner_name`, 1, 8) = 'api-key:';--> statement-breakpoint
UPDATE `fulfillment_scans` SET `username` = 'api_key:' || substr(`username`, 9) WHERE substr(`username`, 1, 8) = 'api-key:';--> statement-breakpoint
UPDATE `inventory_adjustments` SET `username` = 'api_key:' || substr(`username`, 9) WHERE substr(`username`, 1, 8) = 'api-key:';
