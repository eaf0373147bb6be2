ALTER TABLE `equipment_maintenance` ADD `assigned_to` text;--> statement-breakpoint
ALTER TABLE `equipment_maintenance` ADD `notes` text;--> statement-breakpoint
ALTER TABLE `equipment_maintenance` ADD `completed_at` text;--> statement-breakpoint
ALTER TABLE `equipment_maintenance` ADD `completed_by` text;--> statement-breakpoint
ALTER TABLE `equipment_maintenance` ADD `actual_duration_minutes` integer;--> statement-breakpoint
ALTER TABLE `equipment_maintenance` ADD `updated_at` text;--> statement-breakpoint
ALTER TABLE `equipment_maintenance` ADD `version` integer DEFAULT 1 NOT NULL;