ALTER TABLE `downtime_events` ADD `confirmed_by` text;--> statement-breakpoint
ALTER TABLE `downtime_events` ADD `confirmed_at` text;