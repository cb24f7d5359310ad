-- Supervisor review: pushes the lab did not store (and resends it already held), what each
-- received record says (for filtering without parsing bodies), and review actions.

-- Every pushed record that was not stored as a new version: `duplicate` resends (no body),
-- `conflict`s and `rejected` records. A conflict keeps its body so a supervisor can let it
-- stand; a rejection keeps it when the record itself could be read.
CREATE TABLE push_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id TEXT NOT NULL REFERENCES devices(id),
    -- As sent; the nil UUID when the record had no readable id.
    collection_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('duplicate', 'conflict', 'rejected')),
    code TEXT,
    reason TEXT,
    content_hash TEXT,
    supersedes INTEGER,
    body TEXT,
    device_clock TEXT NOT NULL,
    clock_skew_seconds INTEGER NOT NULL,
    received_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    -- Set once, when a supervisor resolves a conflict: `lab` (the lab's version stands, this one
    -- is superseded) or `device` (this one was stored as the lab's newest version).
    resolution TEXT CHECK (resolution IN ('lab', 'device')),
    resolved_at TEXT,
    resolved_by TEXT
);
CREATE INDEX push_attempts_collection ON push_attempts(collection_id, id);
CREATE INDEX push_attempts_received ON push_attempts(received_at);
CREATE INDEX push_attempts_device ON push_attempts(device_id, outcome);

-- What a finalized record says, keyed like the record itself (collection id and content hash),
-- for stored versions and for attempts with a body alike. Filled at receipt and, for versions
-- received before this migration, when the store opens.
CREATE TABLE record_facts (
    collection_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    patient_mrn TEXT NOT NULL,
    -- `FAMILY, Given Middle`.
    patient_name TEXT NOT NULL,
    -- As the record carries it (a user id for people of this lab).
    collector_id TEXT NOT NULL,
    -- JSON array of ordered test codes.
    tests TEXT NOT NULL,
    -- Earliest tube draw, or the finalization when nothing was drawn.
    collected_at TEXT,
    outside_window INTEGER NOT NULL,
    -- JSON array of not-collected reason codes; NULL when none.
    exceptions TEXT,
    manual_identification INTEGER NOT NULL,
    PRIMARY KEY (collection_id, content_hash)
) WITHOUT ROWID;
CREATE INDEX record_facts_patient ON record_facts(patient_id);
CREATE INDEX record_facts_collector ON record_facts(collector_id);

-- A version stored because a supervisor let a conflicting push stand.
ALTER TABLE collection_versions ADD COLUMN resolved_from_attempt INTEGER REFERENCES push_attempts(id);

-- Review actions on a collection (by its id, stored or not); append-only like the audit log,
-- where each one is also written.
CREATE TABLE review_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    collection_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('reviewed', 'note', 'conflict_resolved', 'recollection_requested')),
    user_id TEXT NOT NULL REFERENCES users(id),
    actor TEXT NOT NULL,
    at TEXT NOT NULL,
    note TEXT,
    detail TEXT
);
CREATE INDEX review_events_collection ON review_events(collection_id, kind, at);
CREATE TRIGGER review_events_no_update BEFORE UPDATE ON review_events
BEGIN SELECT RAISE(ABORT, 'review events are append-only'); END;
CREATE TRIGGER review_events_no_delete BEFORE DELETE ON review_events
BEGIN SELECT RAISE(ABORT, 'review events are append-only'); END;

CREATE INDEX audit_log_subject ON audit_log(subject, seq);
CREATE INDEX sessions_device_created ON sessions(device_id, created_at);
