-- Import jobs (issue 19): the uploaded file a job reads, and the verification the import worker
-- stores before the job completes (GET /imports/{id}/verify reads it; the file is gone by then).
ALTER TABLE `import_jobs` ADD `file_key` text;--> statement-breakpoint
ALTER TABLE `import_jobs` ADD `verification` text;--> statement-breakpoint
-- One job per uploaded file (the file is deleted when that job ends). Earlier jobs that shared a
-- key keep it on the oldest only.
UPDATE `import_jobs` SET `file_key` = json_extract(`input`, '$.file_key')
WHERE json_extract(`input`, '$.file_key') IS NOT NULL
  AND `id` = (SELECT j.`id` FROM `import_jobs` j WHERE json_extract(j.`input`, '$.file_key') = json_extract(`import_jobs`.`input`, '$.file_key') ORDER BY j.`created_at`, j.`id` LIMIT 1);--> statement-breakpoint
CREATE UNIQUE INDEX `import_jobs_file_key_idx` ON `import_jobs` (`file_key`);--> statement-breakpoint
-- Uploads of jobs that already ended were never deleted (review finding): due now, for the sweep.
INSERT INTO `pending_file_deletions` (`key`, `heartbeat_at`)
SELECT DISTINCT json_extract(`input`, '$.file_key'), NULL FROM `import_jobs`
WHERE `state` IN ('completed', 'failed') AND json_extract(`input`, '$.file_key') LIKE 'imports/%'
  AND NOT EXISTS (SELECT 1 FROM `import_jobs` a WHERE a.`state` IN ('queued', 'running') AND json_extract(a.`input`, '$.file_key') = json_extract(`import_jobs`.`input`, '$.file_key'))
ON CONFLICT (`key`) DO UPDATE SET `heartbeat_at` = NULL;
