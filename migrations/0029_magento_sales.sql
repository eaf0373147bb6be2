CREATE TABLE `magento_sales_rows` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`region` text NOT NULL,
	`order_number` text NOT NULL,
	`ordered_at` text NOT NULL,
	`sku` text NOT NULL,
	`name` text NOT NULL,
	`qty` real NOT NULL,
	`original_price` real,
	`special_price` real,
	`status` text NOT NULL,
	`currency` text,
	`grand_total` real,
	`customer_email` text,
	`customer_full_name` text,
	`billing_address` text,
	`shipping_address` text,
	`customer_group_code` text,
	`sync_id` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `magento_sales_rows_natural_key` ON `magento_sales_rows` (`region`,`order_number`,`sku`);--> statement-breakpoint
CREATE INDEX `magento_sales_rows_region_ordered_idx` ON `magento_sales_rows` (`region`,`ordered_at`);--> statement-breakpoint
CREATE TABLE `magento_syncs` (
	`id` text PRIMARY KEY NOT NULL,
	`region` text NOT NULL,
	`status` text NOT NULL,
	`orders_processed` integer DEFAULT 0 NOT NULL,
	`rows_synced` integer DEFAULT 0 NOT NULL,
	`first_order_at` text,
	`last_order_at` text,
	`message` text DEFAULT '' NOT NULL,
	`errors` text NOT NULL,
	`user_id` text,
	`username` text NOT NULL,
	`finished_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `magento_syncs_region_created_idx` ON `magento_syncs` (`region`,`created_at`);--> statement-breakpoint
CREATE INDEX `magento_syncs_created_idx` ON `magento_syncs` (`created_at`,`id`);