-- Issue 20: large sales imports run as queue jobs (202): their lease (attempts, heartbeat) and the
-- last committed chunk (chunks_done, cursor_row) a retry resumes from. sales_rows_sku_idx was read by no
-- query (they compare upper(sku)), so it was only write cost on every import: dropped for good.
DROP INDEX `sales_rows_sku_idx`;--> statement-breakpoint
ALTER TABLE `sales_imports` ADD `background` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `sales_imports` ADD `attempts` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `sales_imports` ADD `heartbeat_at` text;--> statement-breakpoint
ALTER TABLE `sales_imports` ADD `chunks_done` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `sales_imports` ADD `cursor_row` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `sales_imports_lease_idx` ON `sales_imports` (`status`,`heartbeat_at`);