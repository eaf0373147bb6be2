CREATE TABLE `attendance_corrections` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`employee_id` text NOT NULL,
	`event_id` text NOT NULL,
	`action` text NOT NULL,
	`before` text NOT NULL,
	`after` text NOT NULL,
	`reason` text NOT NULL,
	`actor_id` text,
	`actor_name` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `attendance_corrections_id_unique` ON `attendance_corrections` (`id`);--> statement-breakpoint
CREATE INDEX `attendance_corrections_employee_idx` ON `attendance_corrections` (`employee_id`,`seq`);--> statement-breakpoint
CREATE INDEX `attendance_corrections_event_idx` ON `attendance_corrections` (`event_id`);--> statement-breakpoint
CREATE TABLE `attendance_employees` (
	`id` text PRIMARY KEY NOT NULL,
	`code` text NOT NULL,
	`name` text NOT NULL,
	`department` text,
	`active` integer DEFAULT true NOT NULL,
	`clock_state` text DEFAULT 'out' NOT NULL,
	`clock_since` text,
	`last_event_id` text,
	`created_by` text,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	CONSTRAINT "attendance_employees_clock_state" CHECK("attendance_employees"."clock_state" in ('in', 'out'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `attendance_employees_code_unique` ON `attendance_employees` (`code`);--> statement-breakpoint
CREATE INDEX `attendance_employees_name_idx` ON `attendance_employees` (`name`);--> statement-breakpoint
CREATE TABLE `attendance_events` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`employee_id` text NOT NULL,
	`direction` text NOT NULL,
	`at` text NOT NULL,
	`source` text NOT NULL,
	`credential_id` text,
	`closed_by` text,
	`actor_id` text,
	`actor_name` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	FOREIGN KEY (`employee_id`) REFERENCES `attendance_employees`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "attendance_events_direction" CHECK("attendance_events"."direction" in ('in', 'out'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `attendance_events_id_unique` ON `attendance_events` (`id`);--> statement-breakpoint
CREATE INDEX `attendance_events_at_idx` ON `attendance_events` (`at`,`seq`);--> statement-breakpoint
CREATE INDEX `attendance_events_employee_idx` ON `attendance_events` (`employee_id`,`at`);--> statement-breakpoint
CREATE TABLE `enrollment_cards` (
	`id` text PRIMARY KEY NOT NULL,
	`employee_id` text NOT NULL,
	`uid` text NOT NULL,
	`label` text,
	`created_by` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`revoked_at` text,
	`revoked_by` text,
	`revoke_reason` text,
	FOREIGN KEY (`employee_id`) REFERENCES `attendance_employees`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `enrollment_cards_active_uid` ON `enrollment_cards` (`uid`) WHERE "enrollment_cards"."revoked_at" is null;--> statement-breakpoint
CREATE INDEX `enrollment_cards_employee_idx` ON `enrollment_cards` (`employee_id`);--> statement-breakpoint
CREATE INDEX `enrollment_cards_uid_idx` ON `enrollment_cards` (`uid`);--> statement-breakpoint
CREATE TABLE `enrollment_fingerprints` (
	`id` text PRIMARY KEY NOT NULL,
	`employee_id` text NOT NULL,
	`template_id` text NOT NULL,
	`template_hash` text,
	`finger` integer,
	`created_by` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`revoked_at` text,
	`revoked_by` text,
	`revoke_reason` text,
	FOREIGN KEY (`employee_id`) REFERENCES `attendance_employees`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `enrollment_fingerprints_active_template` ON `enrollment_fingerprints` (`template_id`) WHERE "enrollment_fingerprints"."revoked_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX `enrollment_fingerprints_active_hash` ON `enrollment_fingerprints` (`template_hash`) WHERE "enrollment_fingerprints"."revoked_at" is null and "enrollment_fingerprints"."template_hash" is not null;--> statement-breakpoint
CREATE INDEX `enrollment_fingerprints_employee_idx` ON `enrollment_fingerprints` (`employee_id`);