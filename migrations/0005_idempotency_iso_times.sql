-- idempotency_keys.created_at/expires_at: epoch milliseconds -> ISO 8601 UTC text (the one time format).
-- Hand-edited: the copy converts existing rows instead of copying integers into text columns.
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_idempotency_keys` (
	`scope` text NOT NULL,
	`key` text NOT NULL,
	`request_hash` text NOT NULL,
	`state` text NOT NULL,
	`claim` text DEFAULT '' NOT NULL,
	`response_status` integer,
	`response_headers` text,
	`response_body` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`expires_at` text NOT NULL,
	PRIMARY KEY(`scope`, `key`)
);
--> statement-breakpoint
INSERT INTO `__new_idempotency_keys`("scope", "key", "request_hash", "state", "claim", "response_status", "response_headers", "response_body", "created_at", "expires_at") SELECT "scope", "key", "request_hash", "state", "claim", "response_status", "response_headers", "response_body", strftime('%Y-%m-%dT%H:%M:%fZ', "created_at" / 1000.0, 'unixepoch'), strftime('%Y-%m-%dT%H:%M:%fZ', "expires_at" / 1000.0, 'unixepoch') FROM `idempotency_keys`;--> statement-breakpoint
DROP TABLE `idempotency_keys`;--> statement-breakpoint
ALTER TABLE `__new_idempotency_keys` RENAME TO `idempotency_keys`;--> statement-breakpoint
PRAGMA foreign_keys=ON;