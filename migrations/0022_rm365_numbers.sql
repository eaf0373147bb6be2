ALTER TABLE `attendance_employees` ADD `number` integer;--> statement-breakpoint
CREATE UNIQUE INDEX `attendance_employees_number_unique` ON `attendance_employees` (`number`);--> statement-breakpoint
ALTER TABLE `enrollment_fingerprints` ADD `number` integer;--> statement-breakpoint
CREATE UNIQUE INDEX `enrollment_fingerprints_number_unique` ON `enrollment_fingerprints` (`number`);--> statement-breakpoint
ALTER TABLE `fulfillment_sessions` ADD `number` integer;--> statement-breakpoint
CREATE UNIQUE INDEX `fulfillment_sessions_number_unique` ON `fulfillment_sessions` (`number`);--> statement-breakpoint
-- Hand-written (backfill and triggers, which drizzle-kit does not generate): RM365's client parses
-- employee, fingerprint and session ids as integers. Existing rows are numbered in creation order;
-- every new row gets the next number in the statement that inserts it, whichever route inserts it.
-- Rows are never hard-deleted (employees are deactivated, enrolments revoked, sessions cancelled),
-- so max + 1 never hands out a number twice; the unique indexes above would refuse it if it did.
UPDATE `attendance_employees` SET `number` = (SELECT count(*) FROM `attendance_employees` AS o WHERE o.`created_at` < `attendance_employees`.`created_at` OR (o.`created_at` = `attendance_employees`.`created_at` AND o.`id` <= `attendance_employees`.`id`));--> statement-breakpoint
UPDATE `enrollment_fingerprints` SET `number` = (SELECT count(*) FROM `enrollment_fingerprints` AS o WHERE o.`created_at` < `enrollment_fingerprints`.`created_at` OR (o.`created_at` = `enrollment_fingerprints`.`created_at` AND o.`id` <= `enrollment_fingerprints`.`id`));--> statement-breakpoint
UPDATE `fulfillment_sessions` SET `number` = (SELECT count(*) FROM `fulfillment_sessions` AS o WHERE o.`created_at` < `fulfillment_sessions`.`created_at` OR (o.`created_at` = `fulfillment_sessions`.`created_at` AND o.`id` <= `fulfillment_sessions`.`id`));--> statement-breakpoint
CREATE TRIGGER `attendance_employees_number` AFTER INSERT ON `attendance_employees` WHEN NEW.`number` IS NULL BEGIN UPDATE `attendance_employees` SET `number` = (SELECT coalesce(max(`number`), 0) + 1 FROM `attendance_employees`) WHERE `id` = NEW.`id`; END;--> statement-breakpoint
CREATE TRIGGER `enrollment_fingerprints_number` AFTER INSERT ON `enrollment_fingerprints` WHEN NEW.`number` IS NULL BEGIN UPDATE `enrollment_fingerprints` SET `number` = (SELECT coalesce(max(`number`), 0) + 1 FROM `enrollment_fingerprints`) WHERE `id` = NEW.`id`; END;--> statement-breakpoint
CREATE TRIGGER `fulfillment_sessions_number` AFTER INSERT ON `fulfillment_sessions` WHEN NEW.`number` IS NULL BEGIN UPDATE `fulfillment_sessions` SET `number` = (SELECT coalesce(max(`number`), 0) + 1 FROM `fulfillment_sessions`) WHERE `id` = NEW.`id`; END;
