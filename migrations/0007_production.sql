CREATE TABLE `andon_escalations` (
	`id` text PRIMARY KEY NOT NULL,
	`event_id` text NOT NULL,
	`level` integer NOT NULL,
	`escalated_to` text NOT NULL,
	`reason` text NOT NULL,
	`escalated_at` text NOT NULL,
	FOREIGN KEY (`event_id`) REFERENCES `andon_events`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `andon_escalations_event_level_unique` ON `andon_escalations` (`event_id`,`level`);--> statement-breakpoint
CREATE TABLE `andon_events` (
	`id` text PRIMARY KEY NOT NULL,
	`line_id` text NOT NULL,
	`equipment_code` text,
	`event_type` text NOT NULL,
	`priority` text NOT NULL,
	`description` text NOT NULL,
	`status` text DEFAULT 'open' NOT NULL,
	`escalation_level` integer DEFAULT 0 NOT NULL,
	`reported_by` text NOT NULL,
	`reported_at` text NOT NULL,
	`acknowledged_by` text,
	`acknowledged_at` text,
	`resolved_by` text,
	`resolved_at` text,
	`resolution_notes` text
);
--> statement-breakpoint
CREATE INDEX `andon_events_line_idx` ON `andon_events` (`line_id`,`reported_at`);--> statement-breakpoint
CREATE INDEX `andon_events_status_idx` ON `andon_events` (`status`,`reported_at`);--> statement-breakpoint
CREATE TABLE `downtime_events` (
	`id` text PRIMARY KEY NOT NULL,
	`line_id` text NOT NULL,
	`equipment_code` text,
	`reason` text NOT NULL,
	`category` text NOT NULL,
	`start_time` text NOT NULL,
	`end_time` text,
	`notes` text,
	`reported_by` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `downtime_events_line_idx` ON `downtime_events` (`line_id`,`start_time`);--> statement-breakpoint
CREATE TABLE `job_assignments` (
	`id` text PRIMARY KEY NOT NULL,
	`schedule_id` text NOT NULL,
	`line_id` text NOT NULL,
	`user_id` text NOT NULL,
	`status` text DEFAULT 'assigned' NOT NULL,
	`assigned_at` text NOT NULL,
	`accepted_at` text,
	`started_at` text,
	`paused_at` text,
	`completed_at` text,
	`cancelled_at` text,
	`notes` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	FOREIGN KEY (`schedule_id`) REFERENCES `production_schedules`(`id`) ON UPDATE no action ON DELETE restrict
);
--> statement-breakpoint
CREATE INDEX `job_assignments_user_idx` ON `job_assignments` (`user_id`,`assigned_at`);--> statement-breakpoint
CREATE INDEX `job_assignments_schedule_idx` ON `job_assignments` (`schedule_id`);--> statement-breakpoint
CREATE TABLE `oee_calculations` (
	`id` text PRIMARY KEY NOT NULL,
	`line_id` text NOT NULL,
	`equipment_code` text,
	`calculation_time` text NOT NULL,
	`period_start` text NOT NULL,
	`period_end` text NOT NULL,
	`availability` real NOT NULL,
	`performance` real NOT NULL,
	`quality` real NOT NULL,
	`oee` real NOT NULL,
	`planned_production_time` real NOT NULL,
	`actual_production_time` real NOT NULL,
	`unplanned_downtime` real NOT NULL,
	`planned_downtime` real NOT NULL,
	`ideal_cycle_time` real,
	`actual_cycle_time` real,
	`good_parts` integer NOT NULL,
	`total_parts` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `oee_calculations_line_idx` ON `oee_calculations` (`line_id`,`calculation_time`);--> statement-breakpoint
CREATE TABLE `production_counts` (
	`id` text PRIMARY KEY NOT NULL,
	`line_id` text NOT NULL,
	`product_id` text,
	`period_start` text NOT NULL,
	`period_end` text NOT NULL,
	`total_count` integer NOT NULL,
	`good_count` integer NOT NULL,
	`recorded_by` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `production_counts_line_idx` ON `production_counts` (`line_id`,`period_start`);--> statement-breakpoint
CREATE TABLE `production_lines` (
	`id` text PRIMARY KEY NOT NULL,
	`line_code` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`equipment_codes` text DEFAULT '[]' NOT NULL,
	`target_speed` real,
	`ideal_cycle_time` real,
	`enabled` integer DEFAULT true NOT NULL,
	`status` text DEFAULT 'idle' NOT NULL,
	`escalation_policy` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`version` integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `production_lines_code_unique` ON `production_lines` (`line_code`);--> statement-breakpoint
CREATE TABLE `production_schedules` (
	`id` text PRIMARY KEY NOT NULL,
	`line_id` text NOT NULL,
	`product_id` text NOT NULL,
	`scheduled_start` text NOT NULL,
	`scheduled_end` text NOT NULL,
	`target_quantity` integer NOT NULL,
	`status` text DEFAULT 'scheduled' NOT NULL,
	`notes` text,
	`created_by` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	FOREIGN KEY (`line_id`) REFERENCES `production_lines`(`id`) ON UPDATE no action ON DELETE restrict,
	FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON UPDATE no action ON DELETE restrict
);
--> statement-breakpoint
CREATE INDEX `production_schedules_line_idx` ON `production_schedules` (`line_id`,`scheduled_start`);--> statement-breakpoint
CREATE TABLE `products` (
	`id` text PRIMARY KEY NOT NULL,
	`product_code` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`ideal_cycle_time` real,
	`enabled` integer DEFAULT true NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `products_code_unique` ON `products` (`product_code`);