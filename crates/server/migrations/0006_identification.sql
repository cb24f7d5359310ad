-- Identification mismatches: how many wrong-patient hard stops each received record raised (and
-- how many of them before its first draw), for the review queue's "identification mismatch
-- before draw" flag. NULL until read from the record: rows stored before this migration are
-- filled when the store opens (`backfill_facts`).
ALTER TABLE record_facts ADD COLUMN wrong_patient_stops INTEGER;
ALTER TABLE record_facts ADD COLUMN wrong_patient_before_draw INTEGER;
