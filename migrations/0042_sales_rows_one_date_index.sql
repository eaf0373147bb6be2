-- Issue 20: sales_rows_ordered_idx (ordered_at alone) was ~40 % of every import's upsert: its
-- inserts land at random places in a large index. Every date window now names its regions
-- (`region IN (…)`) and seeks sales_rows_region_ordered_idx once per region instead.
DROP INDEX `sales_rows_ordered_idx`;
