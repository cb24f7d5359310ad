//! Whether an order is due now: its timed window (from the catalog, or the site's default for a due time), and what the draw list shows of it.

use chrono::{DateTime, Duration, FixedOffset, Utc};

use super::error::CollectionError;
use super::order::Order;
use super::record::Collection;
use super::time::DeviceTime;
use super::tube::TubeRecord;
use crate::catalog::Timing;
use crate::clock_text::hm;
use crate::site::SiteConfig;

/// The window a timed draw is taken in, around its target (the order's due time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// The catalog's timing label (`TROUGH`); `None` for the site's default window on a test
    /// without timing.
    pub label: Option<String>,
    /// The order's due time.
    pub target: DateTime<Utc>,
    /// Minutes the window opens before the target.
    pub before_minutes: u32,
    /// Minutes it stays open after the target.
    pub after_minutes: u32,
    /// A drug level: the last dose is recorded before the draw.
    pub last_dose: bool,
}

impl Window {
    /// The window around `target`: the test's catalog `timing`, or `default_minutes` either side
    /// for a test without one.
    pub fn new(target: DateTime<Utc>, timing: Option<&Timing>, default_minutes: u32) -> Self {
        match timing {
            Some(t) => Self {
                label: Some(t.label.clone()),
                target,
                before_minutes: t.before(),
                after_minutes: t.after(),
                last_dose: t.last_dose,
            },
            None => Self {
                label: None,
                target,
                before_minutes: default_minutes,
                after_minutes: default_minutes,
                last_dose: false,
            },
        }
    }

    /// The window of `order` at `site`; `None` for an order without a due time.
    pub fn of(order: &Order, site: &SiteConfig) -> Option<Self> {
        let timing = site.test(&order.test).and_then(|t| t.timing.as_ref());
        order
            .due_at
            .map(|due| Self::new(due, timing, site.default_window_minutes()))
    }

    /// When the window opens.
    pub fn opens(&self) -> DateTime<Utc> {
        self.target - Duration::minutes(i64::from(self.before_minutes))
    }

    /// When the window closes.
    pub fn closes(&self) -> DateTime<Utc> {
        self.target + Duration::minutes(i64::from(self.after_minutes))
    }

    /// True when a draw at `at` is inside the window (both ends included).
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.opens() <= at && at <= self.closes()
    }

    /// Signed whole minutes from the target to `at`, rounded away from the target, so a draw a
    /// few seconds outside a 30-minute side reads 31, never 30.
    pub fn minutes_from_target(&self, at: DateTime<Utc>) -> i64 {
        let seconds = (at - self.target).num_seconds();
        let minutes = (seconds.abs() + 59) / 60;
        if seconds < 0 {
            -minutes
        } else {
            minutes
        }
    }

    /// The window in words, in local time at `offset`: `TROUGH: draw 20:30–21:00, before the
    /// 21:00 dose`, `PEAK: draw 20:45–21:15 (target 21:00)`; a window closing at its target
    /// that is no drug level reads `..., by 21:00`.
    pub fn words(&self, offset: &FixedOffset) -> String {
        let local = |t: DateTime<Utc>| hm(&t.with_timezone(offset));
        let label = self.label.as_deref().unwrap_or("Timed draw");
        let range = format!(
            "{label}: draw {}\u{2013}{}",
            local(self.opens()),
            local(self.closes())
        );
        let target = local(self.target);
        match (self.after_minutes, self.last_dose) {
            (0, true) => format!("{range}, before the {target} dose"),
            (0, false) => format!("{range}, by {target}"),
            _ => format!("{range} (target {target})"),
        }
    }
}

/// Whether an order is due now, as the draw list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Due {
    /// No due time (STAT, ASAP, urgent or routine): due now.
    Now,
    /// A timed order inside its window.
    InWindow(Window),
    /// A timed order past its window: still due, and its draw needs a recorded reason.
    Overdue(Window),
    /// A timed order whose window opens later.
    Later(Window),
}

impl Due {
    /// Whether `order` is due at `now` by `site`'s catalog timing (or its default window).
    pub fn of(order: &Order, site: &SiteConfig, now: DateTime<Utc>) -> Self {
        match Window::of(order, site) {
            None => Due::Now,
            Some(w) if now < w.opens() => Due::Later(w),
            Some(w) if now <= w.closes() => Due::InWindow(w),
            Some(w) => Due::Overdue(w),
        }
    }

    /// True when the order may be drawn now (not [`Due::Later`]).
    pub fn is_due(&self) -> bool {
        !matches!(self, Due::Later(_))
    }

    /// The timed window, for an order with a due time.
    pub fn window(&self) -> Option<&Window> {
        match self {
            Due::Now => None,
            Due::InWindow(w) | Due::Overdue(w) | Due::Later(w) => Some(w),
        }
    }
}

impl Collection {
    /// The window tube `tube` is drawn in: the first of its orders with a due time, with the
    /// tube's catalog timing, or the site's default window for a test without one.
    pub fn tube_window(&self, tube: &TubeRecord) -> Option<Window> {
        let default = self
            .default_window_minutes
            .unwrap_or(crate::catalog::DEFAULT_WINDOW_MINUTES);
        self.orders_for_tube(tube)
            .into_iter()
            .find_map(|o| o.due_at)
            .map(|due| Window::new(due, tube.tube.timing.as_ref(), default))
    }

    /// The tube's timing in words for the tube card, in local time at `offset` (see
    /// [`Window::words`]); a timed test whose order has no due time says its draw needs a reason.
    pub fn tube_timing_words(&self, tube: &TubeRecord, offset: &FixedOffset) -> Option<String> {
        match (self.tube_window(tube), &tube.tube.timing) {
            (Some(w), _) => Some(w.words(offset)),
            (None, Some(t)) => Some(format!(
                "{}: no due time on the order, so drawing needs a reason",
                t.label
            )),
            (None, None) => None,
        }
    }

    /// True when tube `tube` is a drug level whose last dose is not recorded yet.
    pub fn last_dose_missing(&self, tube: &TubeRecord) -> bool {
        tube.tube.timing.as_ref().is_some_and(|t| t.last_dose) && tube.last_dose.is_none()
    }
}

/// Refuses orders that are not due at `now` (their window opens later), naming the first one
/// and when its window opens: a draw takes only what is due now.
pub fn ensure_due(
    orders: &[Order],
    site: &SiteConfig,
    now: DeviceTime,
) -> Result<(), CollectionError> {
    for o in orders {
        if let Due::Later(w) = Due::of(o, site, now.utc) {
            return Err(CollectionError::NotDueYet {
                order: o.id.clone(),
                test: o.test.clone(),
                opens: DeviceTime::new(w.opens(), now.offset_minutes),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::TestCode;
    use crate::collection::{OrderId, Priority};
    use crate::test_support::*;
    use proptest::prelude::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn timed(test: &str, due: &str) -> Order {
        let mut o = order(&format!("sr-{}", test.to_lowercase()), test);
        o.due_at = Some(at(due));
        o
    }

    fn site() -> SiteConfig {
        SiteConfig::default_site()
    }

    #[test]
    fn orders_without_a_due_time_are_due_now_whatever_their_priority() {
        for p in [
            Priority::Stat,
            Priority::Asap,
            Priority::Urgent,
            Priority::Routine,
        ] {
            let mut o = order("sr-cbc", "CBC");
            o.priority = p;
            assert_eq!(Due::of(&o, &site(), at("2024-05-01T06:00:00Z")), Due::Now);
        }
    }

    #[test]
    fn a_trough_is_due_from_thirty_minutes_before_the_dose_and_overdue_once_the_dose_passes() {
        let o = timed("VANCT", "2024-05-01T21:00:00Z");
        let due = |t: &str| Due::of(&o, &site(), at(t));
        assert!(
            matches!(due("2024-05-01T20:29:59Z"), Due::Later(w) if w.opens() == at("2024-05-01T20:30:00Z"))
        );
        assert!(matches!(due("2024-05-01T20:30:00Z"), Due::InWindow(_)));
        assert!(matches!(due("2024-05-01T21:00:00Z"), Due::InWindow(_)));
        assert!(matches!(due("2024-05-01T21:00:01Z"), Due::Overdue(_)));
        assert!(due("2024-05-02T09:00:00Z").is_due());
    }

    #[test]
    fn a_timed_order_of_a_test_without_timing_gets_the_sites_default_window() {
        let o = timed("BMP", "2024-05-01T12:00:00Z");
        let w = Window::of(&o, &site()).unwrap();
        assert_eq!((w.label, w.before_minutes, w.after_minutes), (None, 30, 30));
        let text = r#"{"name":"x","default_window_minutes":90,"tests":[{"code":"BMP","name":"BMP","containers":["gold-sst"],"min_volume_ml":1}]}"#;
        let wide = SiteConfig::from_json(
            (
                "order-of-draw.json",
                crate::site::DEFAULT_ORDER_OF_DRAW_JSON,
            ),
            ("catalog.json", text),
        )
        .unwrap();
        assert!(Due::of(&o, &wide, at("2024-05-01T10:31:00Z")).is_due());
        assert!(!Due::of(&o, &site(), at("2024-05-01T10:31:00Z")).is_due());
    }

    #[test]
    fn a_sites_own_default_window_is_kept_in_the_record_and_checked_at_the_draw() {
        let text = r#"{"name":"x","default_window_minutes":90,"tests":[{"code":"BMP","name":"BMP","containers":["gold-sst"],"min_volume_ml":1}]}"#;
        let wide = SiteConfig::from_json(
            (
                "order-of-draw.json",
                crate::site::DEFAULT_ORDER_OF_DRAW_JSON,
            ),
            ("catalog.json", text),
        )
        .unwrap();
        let start = t("2024-05-01T08:00:00+02:00");
        let mut c = Collection::start(
            crate::collection::CollectionId(uuid::Uuid::nil()),
            peter(),
            vec![timed("BMP", "2024-05-01T07:30:00Z")],
            &wide,
            crate::planner::Device::EvacuatedHolder,
            &nurse(),
            start,
        )
        .unwrap();
        c.identify(&wristband(), &Default::default(), &nurse(), start)
            .unwrap();
        crate::test_support::venipuncture(&mut c, crate::collection::BodySite::RightAntecubital);
        // 80 minutes early: inside this site's 90, outside the shipped 30.
        let now = t("2024-05-01T08:10:00+02:00");
        assert!(c.tube_window(&c.tubes()[0]).unwrap().contains(now.utc));
        c.record_draw(1, now, None, &nurse(), now).unwrap();
        assert!(serde_json::to_string(&c)
            .unwrap()
            .contains("\"default_window_minutes\":90"));
    }

    #[test]
    fn the_window_in_words_says_a_trough_comes_before_the_dose() {
        let utc = FixedOffset::east_opt(0).unwrap();
        let plus_two = FixedOffset::east_opt(7200).unwrap();
        let trough = Window::of(&timed("VANCT", "2024-05-01T21:00:00Z"), &site()).unwrap();
        assert_eq!(
            trough.words(&utc),
            "TROUGH: draw 20:30\u{2013}21:00, before the 21:00 dose"
        );
        assert_eq!(
            trough.words(&plus_two),
            "TROUGH: draw 22:30\u{2013}23:00, before the 23:00 dose"
        );
        let peak = Window::of(&timed("VANCP", "2024-05-01T21:00:00Z"), &site()).unwrap();
        assert_eq!(
            peak.words(&utc),
            "PEAK: draw 20:45\u{2013}21:15 (target 21:00)"
        );
        let bmp = Window::of(&timed("BMP", "2024-05-01T21:00:00Z"), &site()).unwrap();
        assert_eq!(
            bmp.words(&utc),
            "Timed draw: draw 20:30\u{2013}21:30 (target 21:00)"
        );
    }

    #[test]
    fn a_tube_card_says_the_trough_window_and_that_a_timed_test_without_due_time_needs_a_reason() {
        let plus_two = FixedOffset::east_opt(7200).unwrap();
        let c = identified(vec![timed("VANCT", "2024-05-01T19:00:00Z")]);
        let tube = &c.tubes()[0];
        assert_eq!(
            c.tube_timing_words(tube, &plus_two).as_deref(),
            Some("TROUGH: draw 20:30\u{2013}21:00, before the 21:00 dose")
        );
        assert!(c.last_dose_missing(tube));
        let c = identified(vec![order("sr-cort", "CORT")]);
        assert_eq!(
            c.tube_timing_words(&c.tubes()[0], &plus_two).as_deref(),
            Some("AM CORTISOL: no due time on the order, so drawing needs a reason")
        );
        assert!(!c.last_dose_missing(&c.tubes()[0]));
        let c = identified(vec![order("sr-cbc", "CBC")]);
        assert_eq!(c.tube_timing_words(&c.tubes()[0], &plus_two), None);
    }

    #[test]
    fn a_draw_seconds_outside_a_side_reads_a_minute_more_than_the_side() {
        let w = Window::of(&timed("VANCT", "2024-05-01T21:00:00Z"), &site()).unwrap();
        assert_eq!(w.minutes_from_target(at("2024-05-01T20:29:30Z")), -31);
        assert_eq!(w.minutes_from_target(at("2024-05-01T21:00:10Z")), 1);
        assert_eq!(w.minutes_from_target(at("2024-05-01T21:00:00Z")), 0);
    }

    #[test]
    fn an_order_not_due_yet_is_refused_naming_it_and_when_its_window_opens() {
        let orders = vec![
            order("sr-cbc", "CBC"),
            timed("VANCT", "2024-05-01T21:00:00Z"),
        ];
        let now = t("2024-05-01T19:00:00+02:00");
        let e = ensure_due(&orders, &site(), now).unwrap_err();
        assert_eq!(
            e,
            CollectionError::NotDueYet {
                order: OrderId::parse("sr-vanct").unwrap(),
                test: TestCode::parse("VANCT").unwrap(),
                opens: DeviceTime::new(at("2024-05-01T20:30:00Z"), 120),
            }
        );
        let text = e.to_string();
        assert!(
            text.contains("sr-vanct") && text.contains("VANCT") && text.contains("22:30"),
            "{text}"
        );
        assert!(ensure_due(&orders, &site(), t("2024-05-01T22:45:00+02:00")).is_ok());
    }

    fn any_order() -> impl Strategy<Value = (Order, i64)> {
        let tests = prop::sample::select(vec!["VANCT", "VANCP", "CORT", "BMP", "CBC"]);
        let prio = prop::sample::select(vec![
            Priority::Stat,
            Priority::Asap,
            Priority::Urgent,
            Priority::Routine,
        ]);
        // Due from 2 h to 6 h after the order was placed (06:00 UTC), or no due time.
        (tests, prio, prop::option::of(120i64..360), 0i64..600).prop_map(
            |(test, prio, due, now)| {
                let mut o = order("sr-x", test);
                o.priority = prio;
                o.due_at = due.map(|m| o.placed_at + Duration::minutes(m));
                (o, now)
            },
        )
    }

    proptest! {
        #[test]
        fn moving_now_forward_never_makes_a_due_order_later(
            (o, now) in any_order(),
            step in 0i64..600,
        ) {
            let first = o.placed_at + Duration::minutes(now);
            if Due::of(&o, &site(), first).is_due() {
                prop_assert!(Due::of(&o, &site(), first + Duration::minutes(step)).is_due());
            }
        }

        #[test]
        fn an_order_later_is_never_started_and_one_in_its_window_is_drawn_without_a_reason(
            (o, now) in any_order(),
        ) {
            let now = DeviceTime::new(o.placed_at + Duration::minutes(now), 0);
            let due = Due::of(&o, &site(), now.utc);
            prop_assert_eq!(ensure_due(std::slice::from_ref(&o), &site(), now).is_ok(), due.is_due());
            if !due.is_due() {
                return Ok(());
            }
            let mut c = identified(vec![o.clone()]);
            let timing = c.tubes()[0].tube.timing.clone();
            if timing.as_ref().is_some_and(|t| t.last_dose) {
                c.record_last_dose(1, DeviceTime::new(o.placed_at, 0), &nurse(), now).unwrap();
            }
            // A timed test ordered without a due time needs a reason, as a draw past its window.
            let needs_reason = match due {
                Due::Now => timing.is_some(),
                Due::InWindow(_) => false,
                Due::Overdue(_) | Due::Later(_) => true,
            };
            let drawn = c.record_draw(1, now, None, &nurse(), now);
            prop_assert_eq!(drawn.is_err(), needs_reason, "{:?}", drawn);
            if needs_reason {
                prop_assert!(c.record_draw(1, now, Some("dose held"), &nurse(), now).is_ok());
            }
        }
    }
}
