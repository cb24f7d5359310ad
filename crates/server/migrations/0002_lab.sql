-- The lab side: site configuration, people, devices, orders, rounds, collections, receipts, audit, heartbeats.
-- Instants are RFC 3339 UTC text so they sort and compare as strings.

-- Site configuration (catalog, order of draw) as the JSON the domain crate loads.
CREATE TABLE site_config (
    key TEXT PRIMARY KEY,
    json TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('collector', 'supervisor', 'admin')),
    -- argon2 PHC string; the PIN itself is never stored.
    pin_hash TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);

CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    -- SHA-256 of the one-time enrollment code, cleared when it is used.
    enrollment_code_hash TEXT UNIQUE,
    enrollment_expires_at TEXT,
    -- SHA-256 of the device token; the token itself is only ever shown to the device.
    token_hash TEXT UNIQUE,
    created_at TEXT NOT NULL,
    enrolled_at TEXT,
    revoked_at TEXT,
    last_seen_at TEXT
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    device_id TEXT NOT NULL REFERENCES devices(id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    ended_at TEXT
);
CREATE INDEX sessions_device ON sessions(device_id);

-- Failed sign-ins, counted per user name and device for rate limiting.
CREATE TABLE sign_in_failures (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL,
    device_id TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX sign_in_failures_key ON sign_in_failures(username, device_id, at);

-- `id` is the logical id (FHIR Patient.id) that orders and exported resources reference.
CREATE TABLE patients (
    id TEXT PRIMARY KEY,
    mrn TEXT NOT NULL UNIQUE,
    family TEXT NOT NULL,
    -- JSON array of given names, first name first.
    given TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- A round is a list of draws assigned to one device and, optionally, one collector.
CREATE TABLE rounds (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    device_id TEXT REFERENCES devices(id),
    collector_id TEXT REFERENCES users(id),
    created_at TEXT NOT NULL
);

-- `id` is the placer's logical id (FHIR ServiceRequest.id or CSV order_id): the re-import key.
CREATE TABLE orders (
    id TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patients(id),
    test_code TEXT NOT NULL,
    priority TEXT NOT NULL CHECK (priority IN ('routine', 'urgent', 'asap', 'stat')),
    placed_at TEXT NOT NULL,
    due_at TEXT,
    requisition TEXT,
    fasting INTEGER NOT NULL DEFAULT 0,
    location TEXT,
    note TEXT,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'collected', 'not-collected', 'cancelled')),
    round_id TEXT REFERENCES rounds(id),
    imported_at TEXT NOT NULL
);
CREATE INDEX orders_round ON orders(round_id);
CREATE INDEX orders_patient ON orders(patient_id);

CREATE TABLE collections (
    id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL REFERENCES devices(id),
    latest_version INTEGER NOT NULL,
    first_received_at TEXT NOT NULL,
    last_received_at TEXT NOT NULL
);
CREATE INDEX collections_device ON collections(device_id);

-- Every version ever received; never updated in place.
CREATE TABLE collection_versions (
    collection_id TEXT NOT NULL REFERENCES collections(id),
    version INTEGER NOT NULL,
    supersedes INTEGER,
    content_hash TEXT NOT NULL,
    body TEXT NOT NULL,
    device_id TEXT NOT NULL REFERENCES devices(id),
    collector_id TEXT,
    device_clock TEXT NOT NULL,
    received_at TEXT NOT NULL,
    clock_skew_seconds INTEGER NOT NULL,
    PRIMARY KEY (collection_id, version),
    UNIQUE (collection_id, content_hash)
);
CREATE INDEX collection_versions_received ON collection_versions(received_at);

CREATE TABLE receipts (
    id TEXT PRIMARY KEY,
    collection_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    device_id TEXT NOT NULL REFERENCES devices(id),
    received_at TEXT NOT NULL,
    clock_skew_flagged INTEGER NOT NULL,
    FOREIGN KEY (collection_id, version) REFERENCES collection_versions(collection_id, version),
    UNIQUE (collection_id, content_hash)
);
CREATE INDEX receipts_device ON receipts(device_id, received_at);

CREATE TABLE heartbeats (
    id INTEGER PRIMARY KEY,
    device_id TEXT NOT NULL REFERENCES devices(id),
    received_at TEXT NOT NULL,
    device_clock TEXT,
    queue_length INTEGER NOT NULL,
    oldest_unsynced_seconds INTEGER,
    last_error TEXT
);
CREATE INDEX heartbeats_device ON heartbeats(device_id, id);

-- Append-only: the triggers below refuse any change to a written entry.
CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT,
    detail TEXT
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
