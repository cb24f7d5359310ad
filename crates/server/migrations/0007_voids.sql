-- Voids: a collection version that declares the collection entered in error. The queue filters
-- and flags on it; versions stored before voids existed were never voids.
ALTER TABLE record_facts ADD COLUMN voided INTEGER NOT NULL DEFAULT 0;
