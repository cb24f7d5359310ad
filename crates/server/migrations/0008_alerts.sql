-- What the collector must know at the bedside: the patient's alerts (arm restrictions,
-- allergies, isolation, bleeding risk), and why the lab asked for an order to be collected again.

-- JSON array of alerts ({"kind", "text", "side"?}), as the newest import that gave alerts said.
ALTER TABLE patients ADD COLUMN alerts TEXT NOT NULL DEFAULT '[]';

-- The supervisor's reason on a recollected order; NULL on a first collection. The order's note
-- stays the placer's note.
ALTER TABLE orders ADD COLUMN recollection_reason TEXT;

-- New alerts reach every device holding the patient's orders, like new demographics.
CREATE TRIGGER patients_alerts_seq_update AFTER UPDATE OF alerts ON patients
WHEN OLD.alerts IS NOT NEW.alerts
BEGIN
    UPDATE orders SET patient_id = patient_id WHERE patient_id = NEW.id;
END;

CREATE TRIGGER orders_recollection_seq_update AFTER UPDATE OF recollection_reason ON orders
WHEN OLD.recollection_reason IS NOT NEW.recollection_reason
BEGIN
    UPDATE orders SET note = note WHERE id = NEW.id;
END;
