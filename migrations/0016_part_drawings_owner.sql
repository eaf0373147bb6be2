-- Hand-edited: drizzle-kit's ADD COLUMN dropped the column's ON DELETE SET NULL (the snapshot has it).
ALTER TABLE `part_drawings` ADD `onshape_user_id` text REFERENCES users(id) ON DELETE SET NULL;
