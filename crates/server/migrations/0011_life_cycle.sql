-- Life cycle of devices and people: when a device token was issued, a rotated token waiting for
-- its first use (the old one works until then, so a lost answer never locks a tablet out), and
-- sessions found by user (deactivating or resetting a PIN ends them all).
ALTER TABLE devices ADD COLUMN token_issued_at TEXT;
ALTER TABLE devices ADD COLUMN pending_token_hash TEXT;
ALTER TABLE devices ADD COLUMN pending_token_issued_at TEXT;
CREATE UNIQUE INDEX devices_pending_token ON devices(pending_token_hash);
UPDATE devices SET token_issued_at = COALESCE(enrolled_at, created_at) WHERE token_hash IS NOT NULL;
CREATE INDEX sessions_user ON sessions(user_id, ended_at);
