ALTER TABLE `andon_escalations` ADD `acknowledged_by` text;--> statement-breakpoint
ALTER TABLE `andon_escalations` ADD `acknowledged_at` text;--> statement-breakpoint
ALTER TABLE `equipment_maintenance` ADD `assigned_to` text;--> statement-breakpoint
ALTER TABLE `equipment_maintenance` ADD `notes` text;--> statement-breakpoint
ALTER TABLE `equipment_maintenance` ADD `completed_at` text;--> statement-breakpoint
ALTER TABLE `equipment_maintenance` ADD `completed_by` text;--> statement-breakpoint
ALTER TABLE `equipment_maintenance` ADD `actual_duration_minutes` integer;--> statement-breakpoint
ALTER TABLE `equipment_maintenance` ADD `updated_at` text;--> statement-breakpoint
ALTER TABLE `equipment_maintenance` ADD `version` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `production_reports` ADD `schedule_id` text;--> statement-breakpoint
ALTER TABLE `production_reports` ADD `schedule_slot` text;--> statement-breakpoint
CREATE UNIQUE INDEX `production_reports_schedule_run_unique` ON `production_reports` (`schedule_id`,`schedule_slot`);--> statement-breakpoint
ALTER TABLE `scheduled_reports` ADD `last_run_at` text;