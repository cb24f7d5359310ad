-- Re-validation: a pushed version stored but held for a supervisor, collected off round (an order
-- not on the pushing device's rounds, or not known to the lab). The lab's orders and tube label
-- bindings are left as they are until a supervisor releases it.
CREATE TABLE held_versions (
    collection_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    -- `held_off_round`.
    code TEXT NOT NULL,
    -- What the supervisor reads: off round, and what else the lab found (never patient data).
    note TEXT NOT NULL,
    held_at TEXT NOT NULL,
    -- `released`: the record's orders took its statuses and its labels were bound; `dismissed`:
    -- the record stays stored and the lab's orders untouched.
    resolution TEXT CHECK (resolution IN ('released', 'dismissed')),
    resolved_at TEXT,
    resolved_by TEXT,
    PRIMARY KEY (collection_id, version),
    FOREIGN KEY (collection_id, version) REFERENCES collection_versions(collection_id, version)
) WITHOUT ROWID;
CREATE INDEX held_versions_open ON held_versions(collection_id) WHERE resolution IS NULL;
