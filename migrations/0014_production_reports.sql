CREATE TABLE `production_reports` (
	`id` text PRIMARY KEY NOT NULL,
	`title` text NOT NULL,
	`state` text DEFAULT 'queued' NOT NULL,
	`line_ids` text NOT NULL,
	`start_date` text NOT NULL,
	`end_date` text NOT NULL,
	`group_by` text NOT NULL,
	`utc_offset_minutes` integer DEFAULT 0 NOT NULL,
	`shift_start_hour` integer DEFAULT 6 NOT NULL,
	`requested_by` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`error` text,
	`pdf_key` text,
	`pdf_bytes` integer,
	`page_count` integer,
	`started_at` text,
	`finished_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `production_reports_created_idx` ON `production_reports` (`created_at`,`id`);