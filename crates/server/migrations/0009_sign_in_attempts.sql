-- Sign-in attempts: a row is written BEFORE the PIN is checked (pending = 1), in the same
-- transaction that counts the user's recent rows, so concurrent attempts see each other and no
-- more PINs are checked than the limit allows. A checked wrong PIN keeps its row (pending = 0);
-- a right one deletes that user's rows on that device. A pending row left by a crash counts as
-- a failure until it leaves the window.
ALTER TABLE sign_in_failures ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;
-- The limit across devices counts one user name's rows on every device.
CREATE INDEX sign_in_failures_user ON sign_in_failures(username, at);
-- Rows older than the window are pruned by time.
CREATE INDEX sign_in_failures_at ON sign_in_failures(at);
