CREATE TABLE `sales_import_chunks` (
	`import_id` text NOT NULL,
	`seq` integer NOT NULL,
	`rows` integer NOT NULL,
	`payload` text NOT NULL,
	PRIMARY KEY(`import_id`, `seq`),
	FOREIGN KEY (`import_id`) REFERENCES `sales_imports`(`id`) ON UPDATE no action ON DELETE cascade
);
