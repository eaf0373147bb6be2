ALTER TABLE `pending_file_deletions` ADD `heartbeat_at` text;--> statement-breakpoint
CREATE INDEX `pending_file_deletions_due_idx` ON `pending_file_deletions` (`heartbeat_at`,`requested_at`);--> statement-breakpoint
ALTER TABLE `label_jobs` ADD `heartbeat_at` text;--> statement-breakpoint
CREATE INDEX `label_jobs_lease_idx` ON `label_jobs` (`status`,`heartbeat_at`);--> statement-breakpoint
ALTER TABLE `conversion_jobs` ADD `heartbeat_at` text;--> statement-breakpoint
CREATE INDEX `conversion_jobs_lease_idx` ON `conversion_jobs` (`state`,`heartbeat_at`);--> statement-breakpoint
ALTER TABLE `production_reports` ADD `heartbeat_at` text;--> statement-breakpoint
CREATE INDEX `production_reports_lease_idx` ON `production_reports` (`state`,`heartbeat_at`);--> statement-breakpoint
-- Backfill (hand-written): a job's last sign of life so far is its last write, so jobs in flight
-- at deploy are judged by it rather than reaped at once.
UPDATE `label_jobs` SET `heartbeat_at` = `updated_at`;--> statement-breakpoint
UPDATE `production_reports` SET `heartbeat_at` = `updated_at`;--> statement-breakpoint
UPDATE `conversion_jobs` SET `heartbeat_at` = coalesce(`started_at`, `created_at`);
