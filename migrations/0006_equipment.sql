CREATE TABLE `equipment` (
	`id` text PRIMARY KEY NOT NULL,
	`code` text NOT NULL,
	`name` text,
	`production_line` text,
	`size` text,
	`box_id` text,
	`user_name` text,
	`start_time` text,
	`created_by` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`deleted_at` text,
	`version` integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `equipment_code_live_unique` ON `equipment` (`code`) WHERE deleted_at is null;--> statement-breakpoint
CREATE INDEX `equipment_line_idx` ON `equipment` (`production_line`);--> statement-breakpoint
CREATE TABLE `equipment_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`equipment_id` text NOT NULL,
	`version` integer NOT NULL,
	`action` text NOT NULL,
	`input_date` text NOT NULL,
	`status` text,
	`sub_status` text,
	`previous_status` text,
	`previous_sub_status` text,
	`changes` text DEFAULT '{}' NOT NULL,
	`comment` text,
	`updated_by` text NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	FOREIGN KEY (`equipment_id`) REFERENCES `equipment`(`id`) ON UPDATE no action ON DELETE restrict
);
--> statement-breakpoint
CREATE UNIQUE INDEX `equipment_log_version_unique` ON `equipment_log` (`equipment_id`,`version`);--> statement-breakpoint
CREATE INDEX `equipment_log_status_idx` ON `equipment_log` (`status`);--> statement-breakpoint
CREATE TABLE `equipment_maintenance` (
	`id` text PRIMARY KEY NOT NULL,
	`equipment_id` text NOT NULL,
	`maintenance_type` text NOT NULL,
	`priority` text DEFAULT 'medium' NOT NULL,
	`scheduled_at` text NOT NULL,
	`estimated_duration_minutes` integer,
	`description` text,
	`status` text DEFAULT 'scheduled' NOT NULL,
	`created_by` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	FOREIGN KEY (`equipment_id`) REFERENCES `equipment`(`id`) ON UPDATE no action ON DELETE restrict
);
--> statement-breakpoint
CREATE INDEX `equipment_maintenance_equipment_idx` ON `equipment_maintenance` (`equipment_id`,`scheduled_at`);--> statement-breakpoint
CREATE TABLE `issue_reports` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`equipment_id` text NOT NULL,
	`reporter` text NOT NULL,
	`reported_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`issue_type` text NOT NULL,
	`description` text,
	`images` text DEFAULT '[]' NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`status_label` text DEFAULT '待處理' NOT NULL,
	`processor` text,
	`processed_at` text,
	`process_notes` text,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	FOREIGN KEY (`equipment_id`) REFERENCES `equipment`(`id`) ON UPDATE no action ON DELETE restrict
);
--> statement-breakpoint
CREATE INDEX `issue_reports_equipment_idx` ON `issue_reports` (`equipment_id`,`status`);--> statement-breakpoint
CREATE INDEX `issue_reports_time_idx` ON `issue_reports` (`reported_at`);--> statement-breakpoint
CREATE TABLE `pending_file_deletions` (
	`key` text PRIMARY KEY NOT NULL,
	`requested_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL
);
