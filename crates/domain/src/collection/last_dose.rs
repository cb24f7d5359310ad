//! The last dose of a drug level (a trough, a peak): recorded by the collector before the draw, against which the lab reads the level.

use chrono::Duration;

use super::error::CollectionError;
use super::history::Event;
use super::record::Collection;
use super::time::{shown_typed, DeviceTime, FUTURE_TOLERANCE_SECONDS};
use super::timing_text::LAST_DOSE_MAX_AGE_HOURS;
use crate::ids::CollectorId;

impl Collection {
    /// Records when the last dose was given for drug-level tube `tube` (its catalog timing says
    /// `last_dose`). The time may not be in the future, after the tube was drawn, or more than
    /// [`LAST_DOSE_MAX_AGE_HOURS`] ago; a second call replaces the first, both stay in the history.
    pub fn record_last_dose(
        &mut self,
        tube: u32,
        at: DeviceTime,
        by: &CollectorId,
        now: DeviceTime,
    ) -> Result<(), CollectionError> {
        self.editable()?;
        self.no_pending_hard_stop()?;
        let i = self.tube_index(tube)?;
        let t = &self.tubes[i];
        if !t.tube.timing.as_ref().is_some_and(|x| x.last_dose) {
            return Err(CollectionError::LastDoseNotAsked(tube));
        }
        let tolerance = Duration::seconds(FUTURE_TOLERANCE_SECONDS);
        if at.utc > now.utc + tolerance {
            return Err(CollectionError::LastDoseInFuture(at));
        }
        if let Some(drawn) = &t.drawn {
            if at.utc > drawn.at.utc + tolerance {
                return Err(CollectionError::LastDoseAfterDraw {
                    tube,
                    at,
                    drawn: drawn.at,
                });
            }
        }
        if now.utc - at.utc > Duration::hours(LAST_DOSE_MAX_AGE_HOURS) {
            return Err(CollectionError::LastDoseTooOld(at));
        }
        self.tubes[i].last_dose = Some(at.utc);
        self.log(now, by, Event::LastDoseRecorded { tube, at: at.utc });
        Ok(())
    }

    /// Records the last dose from a time of day the collector typed (`HH:MM`, 24-hour, as a draw
    /// time is corrected): today in the device's offset, or yesterday when that time is still
    /// to come (a 21:00 dose typed at 08:30 was last night's).
    pub fn record_last_dose_typed(
        &mut self,
        tube: u32,
        typed: &str,
        by: &CollectorId,
        now: DeviceTime,
    ) -> Result<(), CollectionError> {
        let Some(mut at) = now.at_local_time(typed) else {
            return Err(CollectionError::UnreadableTime(shown_typed(typed)));
        };
        if at.utc > now.utc + Duration::seconds(FUTURE_TOLERANCE_SECONDS) {
            at = DeviceTime::new(at.utc - Duration::days(1), at.offset_minutes);
        }
        self.record_last_dose(tube, at, by, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::*;

    #[test]
    fn a_trough_is_not_drawn_until_its_last_dose_is_recorded() {
        let mut c = identified(vec![trough("2024-05-01T08:30:00+02:00")]);
        let now = t("2024-05-01T08:10:00+02:00");
        let e = c.record_draw(1, now, None, &nurse(), now).unwrap_err();
        assert_eq!(
            e,
            CollectionError::LastDoseNeeded {
                tube: 1,
                label: "TROUGH".into()
            }
        );
        assert!(e.to_string().contains("last dose"), "{e}");
        c.record_last_dose_typed(1, "20:30", &nurse(), now).unwrap();
        // 20:30 is still to come at 08:10: it was last night's dose.
        assert_eq!(
            c.tubes()[0].last_dose.unwrap().to_rfc3339(),
            "2024-04-30T18:30:00+00:00"
        );
        assert!(matches!(
            c.history().last().unwrap().event,
            Event::LastDoseRecorded { tube: 1, .. }
        ));
        c.record_draw(1, now, None, &nurse(), now).unwrap();
    }

    #[test]
    fn a_last_dose_in_the_future_after_the_draw_or_days_ago_is_refused() {
        let mut c = identified(vec![trough("2024-05-01T08:30:00+02:00")]);
        let now = t("2024-05-01T08:10:00+02:00");
        let e = c
            .record_last_dose(1, t("2024-05-01T08:20:00+02:00"), &nurse(), now)
            .unwrap_err();
        assert!(e.to_string().contains("08:20 is in the future"), "{e}");
        let e = c
            .record_last_dose(1, t("2024-04-27T20:00:00+02:00"), &nurse(), now)
            .unwrap_err();
        assert!(e.to_string().contains("more than 72 hours ago"), "{e}");
        c.record_last_dose(1, t("2024-05-01T07:00:00+02:00"), &nurse(), now)
            .unwrap();
        c.record_draw(1, t("2024-05-01T08:05:00+02:00"), None, &nurse(), now)
            .unwrap();
        let e = c.record_last_dose(1, now, &nurse(), now).unwrap_err();
        assert!(
            e.to_string().contains("after tube 1 was drawn at 08:05"),
            "{e}"
        );
        let e = c
            .record_last_dose_typed(1, "8 pm", &nurse(), now)
            .unwrap_err();
        assert_eq!(e, CollectionError::UnreadableTime("8 pm".into()));
    }

    #[test]
    fn only_a_drug_level_asks_for_the_last_dose() {
        let mut c = identified(vec![order("sr-cbc", "CBC")]);
        let now = t("2024-05-01T08:10:00+02:00");
        assert_eq!(
            c.record_last_dose(1, now, &nurse(), now).unwrap_err(),
            CollectionError::LastDoseNotAsked(1)
        );
    }

    #[test]
    fn an_old_record_without_a_last_dose_or_window_fields_still_reads_and_verifies() {
        // A finalized record as stored before these fields: none of them in its JSON.
        let mut json = serde_json::to_value(finalized()).unwrap();
        let record = json["record"].as_object().unwrap();
        let text = serde_json::to_string(&record).unwrap();
        for field in [
            "last_dose",
            "before_minutes",
            "after_minutes",
            "no_due_time",
            "default_window_minutes",
        ] {
            assert!(!text.contains(field), "{field} in {text}");
        }
        // The old record's own hash, as the old app computed it over the old JSON.
        let old_hash = crate::hash::ContentHash::of(&json["record"]).unwrap();
        json["hash"] = serde_json::to_value(&old_hash).unwrap();
        let old = crate::collection::FinalizedCollection::from_json_value(json).unwrap();
        assert!(old.verify());
        assert_eq!(old.hash(), &old_hash);
    }
}
