CREATE TABLE `part_drawing_exports` (
	`part_id` integer NOT NULL,
	`user_id` text NOT NULL,
	`document_id` text NOT NULL,
	`workspace_id` text NOT NULL,
	`element_id` text NOT NULL,
	`translation_id` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	PRIMARY KEY(`part_id`, `user_id`),
	FOREIGN KEY (`part_id`) REFERENCES `parts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
-- Hand-edited: drizzle-kit's ADD COLUMN dropped the column's ON DELETE SET NULL (the snapshot has it).
ALTER TABLE `part_drawings` ADD `onshape_user_id` text REFERENCES users(id) ON DELETE SET NULL;