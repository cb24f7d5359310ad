-- Sync: a server-side change sequence on orders (the pull cursor, never device clocks),
-- cancellation, the orders each device has been sent, and richer heartbeats.

-- One row. `epoch` names this database, so a cursor from another database (or a restored backup
-- that went back in time) is recognised and answered with a full pull.
CREATE TABLE sync_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    epoch TEXT NOT NULL,
    seq INTEGER NOT NULL
);
INSERT INTO sync_state (id, epoch, seq) VALUES (1, lower(hex(randomblob(16))), 0);

ALTER TABLE orders ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN cancelled_at TEXT;
ALTER TABLE orders ADD COLUMN cancel_reason TEXT;
UPDATE orders SET change_seq = rowid;
UPDATE sync_state SET seq = (SELECT COALESCE(MAX(change_seq), 0) FROM orders) WHERE id = 1;
CREATE INDEX orders_change_seq ON orders(change_seq);

-- Every insert and every change a device must see takes the next sequence number, whatever
-- path made it (import, cancellation, a collection arriving, a round reassigned, a patient renamed).
CREATE TRIGGER orders_seq_insert AFTER INSERT ON orders
BEGIN
    UPDATE sync_state SET seq = seq + 1 WHERE id = 1;
    UPDATE orders SET change_seq = (SELECT seq FROM sync_state WHERE id = 1) WHERE id = NEW.id;
END;

CREATE TRIGGER orders_seq_update AFTER UPDATE OF patient_id, test_code, priority, placed_at, due_at,
    requisition, fasting, location, note, status, round_id, cancelled_at, cancel_reason ON orders
BEGIN
    UPDATE sync_state SET seq = seq + 1 WHERE id = 1;
    UPDATE orders SET change_seq = (SELECT seq FROM sync_state WHERE id = 1) WHERE id = NEW.id;
END;

-- A round moving to another device (or collector) changes each of its orders.
CREATE TRIGGER rounds_seq_update AFTER UPDATE OF device_id, collector_id ON rounds
WHEN OLD.device_id IS NOT NEW.device_id OR OLD.collector_id IS NOT NEW.collector_id
BEGIN
    UPDATE orders SET round_id = round_id WHERE round_id = NEW.id;
END;

-- New demographics reach every device holding the patient's orders.
CREATE TRIGGER patients_seq_update AFTER UPDATE OF mrn, family, given, birth_date ON patients
BEGIN
    UPDATE orders SET patient_id = patient_id WHERE patient_id = NEW.id;
END;

-- The orders a pull has delivered to a device, so an order that later leaves the device's rounds
-- is reported to that device (and only to it).
CREATE TABLE device_orders (
    device_id TEXT NOT NULL REFERENCES devices(id),
    order_id TEXT NOT NULL REFERENCES orders(id),
    PRIMARY KEY (device_id, order_id)
) WITHOUT ROWID;

ALTER TABLE heartbeats ADD COLUMN source TEXT NOT NULL DEFAULT 'heartbeat';
ALTER TABLE heartbeats ADD COLUMN app_version TEXT;
ALTER TABLE heartbeats ADD COLUMN clock_skew_seconds INTEGER;
