CREATE TABLE `sales_imports` (
	`id` text PRIMARY KEY NOT NULL,
	`region` text NOT NULL,
	`filename` text NOT NULL,
	`sha256` text NOT NULL,
	`r2_key` text NOT NULL,
	`size_bytes` integer NOT NULL,
	`status` text NOT NULL,
	`partial` integer DEFAULT false NOT NULL,
	`rows_total` integer DEFAULT 0 NOT NULL,
	`rows_done` integer DEFAULT 0 NOT NULL,
	`rows_imported` integer DEFAULT 0 NOT NULL,
	`rows_failed` integer DEFAULT 0 NOT NULL,
	`errors` text NOT NULL,
	`errors_more` integer DEFAULT 0 NOT NULL,
	`message` text DEFAULT '' NOT NULL,
	`duplicate_of` text,
	`user_id` text,
	`username` text NOT NULL,
	`started_at` text NOT NULL,
	`finished_at` text,
	`duration_ms` integer,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `sales_imports_created_idx` ON `sales_imports` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `sales_imports_sha_idx` ON `sales_imports` (`region`,`sha256`,`status`);--> statement-breakpoint
CREATE TABLE `sales_rows` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`region` text NOT NULL,
	`order_number` text NOT NULL,
	`ordered_at` text NOT NULL,
	`sku` text NOT NULL,
	`name` text NOT NULL,
	`qty` real NOT NULL,
	`price` real NOT NULL,
	`status` text NOT NULL,
	`currency` text NOT NULL,
	`grand_total` real NOT NULL,
	`customer_email` text NOT NULL,
	`customer_full_name` text NOT NULL,
	`billing_address` text NOT NULL,
	`shipping_address` text NOT NULL,
	`customer_group_code` text NOT NULL,
	`import_id` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sales_rows_natural_key` ON `sales_rows` (`region`,`order_number`,`sku`);--> statement-breakpoint
CREATE INDEX `sales_rows_region_ordered_idx` ON `sales_rows` (`region`,`ordered_at`);--> statement-breakpoint
CREATE INDEX `sales_rows_sku_idx` ON `sales_rows` (`sku`,`ordered_at`);--> statement-breakpoint
CREATE INDEX `sales_rows_ordered_idx` ON `sales_rows` (`ordered_at`);