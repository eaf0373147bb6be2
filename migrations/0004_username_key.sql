-- Usernames become unique case-insensitively, under `username_key` = NFKC + case fold of the
-- name (usernameKey() in src/lib/fields.ts). The app computes the key for every new or renamed
-- user. SQLite cannot compute it for existing rows (no NFKC; lower() folds ASCII only), so:
--   1. a name of printable ASCII only is keyed lower(username): for ASCII, NFKC changes nothing
--      and lower() is the case fold, so the key is exactly what the app computes;
--   2. of ASCII names that now share a key (`Bob` and `bob`), the oldest keeps it and the others
--      get a placeholder;
--   3. names with any other character get a placeholder.
-- A placeholder is `#` + the user's id: unique, and never a real key (`#` is not allowed in
-- usernames). Lookups also match the exact stored name, so placeholder users still log in;
-- rekeyUsernames() (src/modules/users/repo.ts) later gives each the computed key where it
-- collides with no one. The column's DEFAULT '' exists only because SQLite cannot add a NOT NULL
-- column without one; every insert sets the key.
ALTER TABLE `users` ADD `username_key` text NOT NULL DEFAULT '';--> statement-breakpoint
UPDATE `users` SET `username_key` = lower(`username`) WHERE `username` NOT GLOB '*[^ -~]*';--> statement-breakpoint
UPDATE `users` SET `username_key` = '#' || `id`
WHERE `username_key` <> '' AND EXISTS (
  SELECT 1 FROM `users` AS `older`
  WHERE `older`.`username_key` = `users`.`username_key` AND `older`.`id` <> `users`.`id`
    AND (`older`.`created_at` < `users`.`created_at` OR (`older`.`created_at` = `users`.`created_at` AND `older`.`id` < `users`.`id`))
);--> statement-breakpoint
UPDATE `users` SET `username_key` = '#' || `id` WHERE `username_key` = '';--> statement-breakpoint
CREATE UNIQUE INDEX `users_username_key_unique` ON `users` (`username_key`);
