CREATE TABLE `label_jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`status` text DEFAULT 'queued' NOT NULL,
	`template_id` text NOT NULL,
	`template` text NOT NULL,
	`item_ids` text NOT NULL,
	`line_date` text,
	`total` integer NOT NULL,
	`done` integer DEFAULT 0 NOT NULL,
	`skipped` integer DEFAULT 0 NOT NULL,
	`pages` integer,
	`pdf_key` text,
	`csv_key` text,
	`pdf_bytes` integer,
	`error` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`created_by` text NOT NULL,
	`username` text NOT NULL,
	`started_at` text,
	`finished_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	CONSTRAINT "label_jobs_progress" CHECK("label_jobs"."done" >= 0 AND "label_jobs"."done" <= "label_jobs"."total")
);
--> statement-breakpoint
CREATE INDEX `label_jobs_created_idx` ON `label_jobs` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `label_jobs_creator_idx` ON `label_jobs` (`created_by`,`created_at`);