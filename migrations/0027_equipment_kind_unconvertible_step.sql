ALTER TABLE `equipment` ADD `kind` text DEFAULT 'ccbackend' NOT NULL;--> statement-breakpoint
UPDATE `equipment` SET `kind` = 'ms5' WHERE `production_line` IS NOT NULL;
--> statement-breakpoint
ALTER TABLE `conversion_jobs` ADD `unconvertible` integer DEFAULT false NOT NULL;
