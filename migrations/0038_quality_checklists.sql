CREATE TABLE `checklist_instances` (
	`id` text PRIMARY KEY NOT NULL,
	`template_id` text NOT NULL,
	`job_id` text,
	`line_id` text,
	`equipment_code` text,
	`assigned_to` text,
	`status` text DEFAULT 'pending' NOT NULL,
	`responses` text,
	`notes` text,
	`signature` text,
	`completed_by` text,
	`completed_at` text,
	`created_by` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	FOREIGN KEY (`template_id`) REFERENCES `checklist_templates`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`assigned_to`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "checklist_instances_completed" CHECK("checklist_instances"."status" = 'pending' OR ("checklist_instances"."completed_at" IS NOT NULL AND "checklist_instances"."responses" IS NOT NULL))
);
--> statement-breakpoint
CREATE INDEX `checklist_instances_template_idx` ON `checklist_instances` (`template_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `checklist_instances_created_idx` ON `checklist_instances` (`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `checklist_templates` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`line_id` text,
	`equipment_codes` text DEFAULT '[]' NOT NULL,
	`items` text NOT NULL,
	`required_signature` integer DEFAULT false NOT NULL,
	`is_active` integer DEFAULT true NOT NULL,
	`created_by` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	FOREIGN KEY (`line_id`) REFERENCES `production_lines`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `checklist_templates_line_idx` ON `checklist_templates` (`line_id`,`is_active`);--> statement-breakpoint
CREATE TABLE `quality_inspections` (
	`id` text PRIMARY KEY NOT NULL,
	`line_id` text NOT NULL,
	`product_type_id` text,
	`inspection_type` text DEFAULT 'routine' NOT NULL,
	`status` text DEFAULT 'scheduled' NOT NULL,
	`scheduled_date` text NOT NULL,
	`completed_date` text,
	`inspector` text NOT NULL,
	`results` text DEFAULT '[]' NOT NULL,
	`overall_result` text,
	`score` real,
	`notes` text,
	`completed_by` text,
	`reviewed_by` text,
	`reviewed_at` text,
	`rejection_reason` text,
	`created_by` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	FOREIGN KEY (`line_id`) REFERENCES `production_lines`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `quality_inspections_line_idx` ON `quality_inspections` (`line_id`,`scheduled_date`);--> statement-breakpoint
CREATE INDEX `quality_inspections_scheduled_idx` ON `quality_inspections` (`scheduled_date`,`id`);
--> statement-breakpoint
CREATE TABLE `quality_defects` (
	`id` text PRIMARY KEY NOT NULL,
	`line_id` text NOT NULL,
	`inspection_id` text,
	`defect_code` text NOT NULL,
	`description` text NOT NULL,
	`severity` text DEFAULT 'medium' NOT NULL,
	`category` text DEFAULT 'functional' NOT NULL,
	`quantity` integer DEFAULT 1 NOT NULL,
	`location` text,
	`root_cause` text,
	`corrective_action` text,
	`status` text DEFAULT 'open' NOT NULL,
	`reported_by` text NOT NULL,
	`resolved_by` text,
	`resolved_at` text,
	`resolution_notes` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	FOREIGN KEY (`line_id`) REFERENCES `production_lines`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`inspection_id`) REFERENCES `quality_inspections`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `quality_defects_line_idx` ON `quality_defects` (`line_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `quality_defects_created_idx` ON `quality_defects` (`created_at`,`id`);