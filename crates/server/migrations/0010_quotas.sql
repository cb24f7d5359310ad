-- Rows a list could not read back (a year past 9999, JSON that does not parse): the lists leave
-- them out and the supervisor sees them here: the list that found it (`queue`, `fhir_export`...),
-- the row's kind and id, never its content. A row the same list reads again is forgotten.
CREATE TABLE unreadable_rows (
    list TEXT NOT NULL,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    first_seen_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    PRIMARY KEY (list, kind, id)
) WITHOUT ROWID;

-- The size of a refused push's body in bytes, kept also when the body itself is not (a device
-- over its daily quota of kept refusals).
ALTER TABLE push_attempts ADD COLUMN body_bytes INTEGER;
-- A device's refusals of today, counted at every push against its daily quotas.
CREATE INDEX push_attempts_device_received ON push_attempts(device_id, received_at);
UPDATE push_attempts SET body_bytes = LENGTH(CAST(body AS BLOB)) WHERE body IS NOT NULL;

-- Bytes of record bodies each device made the lab store (its versions and its kept refusals),
-- kept up to date by every push, so the per-device quota costs one read.
CREATE TABLE device_usage (
    device_id TEXT PRIMARY KEY REFERENCES devices(id),
    stored_bytes INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
INSERT INTO device_usage (device_id, stored_bytes)
SELECT device_id, SUM(bytes) FROM (
    SELECT device_id, LENGTH(CAST(body AS BLOB)) AS bytes FROM collection_versions
    UNION ALL
    SELECT device_id, LENGTH(CAST(body AS BLOB)) FROM push_attempts WHERE body IS NOT NULL
) GROUP BY device_id;
