CREATE TABLE `inventory_adjustments` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`item_id` text NOT NULL,
	`sku` text NOT NULL,
	`location` text NOT NULL,
	`delta` integer NOT NULL,
	`reason` text NOT NULL,
	`quantity_after` integer NOT NULL,
	`user_id` text,
	`username` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `inventory_adjustments_id_unique` ON `inventory_adjustments` (`id`);--> statement-breakpoint
CREATE INDEX `inventory_adjustments_item_idx` ON `inventory_adjustments` (`item_id`,`seq`);--> statement-breakpoint
CREATE INDEX `inventory_adjustments_location_idx` ON `inventory_adjustments` (`location`,`seq`);--> statement-breakpoint
CREATE TABLE `inventory_items` (
	`id` text PRIMARY KEY NOT NULL,
	`sku` text NOT NULL,
	`name` text NOT NULL,
	`barcode` text,
	`location` text NOT NULL,
	`quantity` integer DEFAULT 0 NOT NULL,
	`reorder_level` integer DEFAULT 0 NOT NULL,
	`allow_negative` integer DEFAULT false NOT NULL,
	`created_by` text,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	CONSTRAINT "inventory_items_not_negative" CHECK("inventory_items"."allow_negative" = 1 OR "inventory_items"."quantity" >= 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `inventory_items_sku_unique` ON `inventory_items` (`sku`);--> statement-breakpoint
CREATE UNIQUE INDEX `inventory_items_barcode_unique` ON `inventory_items` (`barcode`);--> statement-breakpoint
CREATE INDEX `inventory_items_location_idx` ON `inventory_items` (`location`,`sku`);--> statement-breakpoint
CREATE INDEX `inventory_items_name_idx` ON `inventory_items` (`name`);