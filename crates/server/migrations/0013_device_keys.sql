-- Patient data on the tablet (issue 18): each device's data key (32 random bytes, handed only to
-- a person signed in on that device; devices registered before this migration get theirs at
-- their first sign-in), the marker of the database its browser keeps, and when another
-- enrollment named that marker as lost (the browser evicted the tablet's storage).
ALTER TABLE devices ADD COLUMN data_key BLOB;
ALTER TABLE devices ADD COLUMN db_marker TEXT;
ALTER TABLE devices ADD COLUMN storage_lost_at TEXT;
CREATE INDEX devices_db_marker ON devices(db_marker);
