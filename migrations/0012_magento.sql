CREATE TABLE `fulfillment_items` (
	`session_id` text NOT NULL,
	`sku` text NOT NULL,
	`name` text NOT NULL,
	`position` integer NOT NULL,
	`qty_ordered` integer NOT NULL,
	`qty_invoiced` integer NOT NULL,
	`qty_expected` integer NOT NULL,
	`qty_scanned` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`session_id`, `sku`),
	FOREIGN KEY (`session_id`) REFERENCES `fulfillment_sessions`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "fulfillment_items_scanned_in_range" CHECK("fulfillment_items"."qty_scanned" >= 0 AND "fulfillment_items"."qty_scanned" <= "fulfillment_items"."qty_expected")
);
--> statement-breakpoint
CREATE TABLE `fulfillment_scans` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`session_id` text NOT NULL,
	`sku` text NOT NULL,
	`quantity` integer NOT NULL,
	`user_id` text NOT NULL,
	`username` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	FOREIGN KEY (`session_id`) REFERENCES `fulfillment_sessions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `fulfillment_scans_session_idx` ON `fulfillment_scans` (`session_id`,`seq`);--> statement-breakpoint
CREATE TABLE `fulfillment_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`order_number` text NOT NULL,
	`order_id` integer NOT NULL,
	`invoice_number` text NOT NULL,
	`session_type` text NOT NULL,
	`status` text NOT NULL,
	`customer_name` text,
	`owner_id` text NOT NULL,
	`owner_name` text NOT NULL,
	`completed_at` text,
	`cancelled_at` text,
	`cancel_reason` text,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `fulfillment_sessions_one_open` ON `fulfillment_sessions` (`order_number`,`session_type`) WHERE "fulfillment_sessions"."status" in ('draft', 'approved', 'in_progress', 'ready_to_check');--> statement-breakpoint
CREATE INDEX `fulfillment_sessions_order_idx` ON `fulfillment_sessions` (`order_number`,`created_at`);--> statement-breakpoint
CREATE INDEX `fulfillment_sessions_status_idx` ON `fulfillment_sessions` (`status`,`updated_at`);