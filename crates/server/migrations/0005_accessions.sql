-- Lab accessions: the accession numbers of each order's pre-labelled tubes, and which collection
-- (and so which patient) each tube label was bound to by an accepted version. Together they let
-- the lab refuse a tube label bound to two patients (wrong blood in tube), whichever tablet sent it.

-- An accession belongs to one order (of one patient); the import refuses to give it to another.
CREATE TABLE order_accessions (
    accession TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders(id)
) WITHOUT ROWID;
CREATE INDEX order_accessions_order ON order_accessions(order_id);

-- New or removed accessions are an order change that devices must pull.
CREATE TRIGGER order_accessions_seq_insert AFTER INSERT ON order_accessions
BEGIN
    UPDATE orders SET requisition = requisition WHERE id = NEW.order_id;
END;
CREATE TRIGGER order_accessions_seq_delete AFTER DELETE ON order_accessions
BEGIN
    UPDATE orders SET requisition = requisition WHERE id = OLD.order_id;
END;

-- A tube label bound by an accepted collection version: to that collection and its patient.
-- Written in the push's transaction; a correction of the same collection rewrites its rows.
CREATE TABLE accession_bindings (
    accession TEXT PRIMARY KEY,
    collection_id TEXT NOT NULL REFERENCES collections(id),
    version INTEGER NOT NULL,
    patient_id TEXT NOT NULL,
    bound_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX accession_bindings_collection ON accession_bindings(collection_id);
