-- Issue 20: sales imports stage typed lines (the commit copies plain columns instead of unpacking
-- JSON chunks). WITHOUT ROWID: the (import_id, row) key is the table, no second index to maintain.
CREATE TABLE `sales_import_lines` (
	`import_id` text NOT NULL,
	`row` integer NOT NULL,
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
	PRIMARY KEY(`import_id`, `row`),
	FOREIGN KEY (`import_id`) REFERENCES `sales_imports`(`id`) ON UPDATE no action ON DELETE cascade
) WITHOUT ROWID;
--> statement-breakpoint
DROP TABLE `sales_import_chunks`;
