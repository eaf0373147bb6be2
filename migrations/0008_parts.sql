CREATE TABLE `conversion_jobs` (
	`part_id` integer PRIMARY KEY NOT NULL,
	`job_id` text NOT NULL,
	`state` text DEFAULT 'queued' NOT NULL,
	`step_key` text NOT NULL,
	`glb_key` text,
	`glb_size` integer,
	`meshes` integer,
	`triangles` integer,
	`attempts` integer DEFAULT 0 NOT NULL,
	`error` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`started_at` text,
	`finished_at` text,
	FOREIGN KEY (`part_id`) REFERENCES `parts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `part_transitions` (
	`id` text PRIMARY KEY NOT NULL,
	`part_id` integer NOT NULL,
	`action` text NOT NULL,
	`from_category` text NOT NULL,
	`from_status` text NOT NULL,
	`to_category` text NOT NULL,
	`to_status` text NOT NULL,
	`assigned` text,
	`actor` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	FOREIGN KEY (`part_id`) REFERENCES `parts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `part_transitions_part_idx` ON `part_transitions` (`part_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `parts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`type` text NOT NULL,
	`name` text NOT NULL,
	`part_id` text NOT NULL,
	`material` text NOT NULL,
	`material_thickness` text,
	`subsystem` text NOT NULL,
	`assigned` text,
	`status` text DEFAULT 'Pending' NOT NULL,
	`category` text DEFAULT 'review' NOT NULL,
	`notes` text,
	`onshape_url` text,
	`claimed_date` text,
	`misc_info` text,
	`amount` integer DEFAULT 1 NOT NULL,
	`file` text,
	`file_key` text,
	`file_kind` text,
	`file_content_type` text,
	`file_size` integer,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`version` integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE INDEX `parts_category_idx` ON `parts` (`category`);--> statement-breakpoint
CREATE INDEX `parts_created_idx` ON `parts` (`created_at`);