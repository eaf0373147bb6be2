CREATE TABLE `import_jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`source` text NOT NULL,
	`state` text DEFAULT 'queued' NOT NULL,
	`mode` text DEFAULT 'incremental' NOT NULL,
	`input` text NOT NULL,
	`report` text NOT NULL,
	`failures` text NOT NULL,
	`failure_count` integer DEFAULT 0 NOT NULL,
	`cursor` text,
	`error` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`heartbeat_at` text,
	`created_by` text NOT NULL,
	`username` text NOT NULL,
	`started_at` text,
	`finished_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `import_jobs_created_idx` ON `import_jobs` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `import_jobs_lease_idx` ON `import_jobs` (`state`,`heartbeat_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `import_jobs_one_active_idx` ON `import_jobs` (`source`) WHERE state IN ('queued', 'running');--> statement-breakpoint
CREATE TABLE `legacy_keys` (
	`legacy_source` text NOT NULL,
	`legacy_table` text NOT NULL,
	`legacy_id` text NOT NULL,
	`floorline_table` text NOT NULL,
	`floorline_id` text NOT NULL,
	`row_hash` text NOT NULL,
	`job_id` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	PRIMARY KEY(`legacy_source`, `legacy_table`, `legacy_id`)
);
--> statement-breakpoint
CREATE INDEX `legacy_keys_floorline_idx` ON `legacy_keys` (`floorline_table`,`floorline_id`);--> statement-breakpoint
CREATE TABLE `legacy_watermarks` (
	`legacy_source` text NOT NULL,
	`legacy_table` text NOT NULL,
	`watermark` text NOT NULL,
	`job_id` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	PRIMARY KEY(`legacy_source`, `legacy_table`)
);
