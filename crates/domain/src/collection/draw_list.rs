//! The draw list: its order (STAT, timed due now, urgent and ASAP, routine, timed later) and the sections it is shown in.

use chrono::{DateTime, Utc};

use super::due::Due;
use super::order::{Order, Priority};
use crate::site::SiteConfig;

/// Sorts a draw list at `now`: STAT, then timed orders due now (by due time), then urgent and
/// ASAP, then routine, then timed orders due later (by due time); within a section by
/// priority, then by when they were placed.
pub fn sort_draw_list(orders: &mut [Order], site: &SiteConfig, now: DateTime<Utc>) {
    orders.sort_by_cached_key(|o| {
        let section = DrawSection::of(o, site, now);
        let timed = matches!(section, DrawSection::TimedNow | DrawSection::Later);
        (
            section,
            timed.then_some(o.due_at).flatten(),
            o.priority,
            o.placed_at,
            o.id.clone(),
        )
    });
}

/// The section of the draw list an order (and its patient, by their most urgent order) is shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DrawSection {
    /// STAT orders due now.
    Stat,
    /// Timed orders inside their window, or past it (overdue).
    TimedNow,
    /// Urgent and ASAP orders.
    Urgent,
    /// Routine orders.
    Routine,
    /// Timed orders whose window opens later: not drawn yet.
    Later,
}

impl DrawSection {
    /// The sections in the order the draw list shows them.
    pub const ALL: [DrawSection; 5] = [
        DrawSection::Stat,
        DrawSection::TimedNow,
        DrawSection::Urgent,
        DrawSection::Routine,
        DrawSection::Later,
    ];

    /// The section of `order` at `now`, by [`Due`] under `site`'s timing.
    pub fn of(order: &Order, site: &SiteConfig, now: DateTime<Utc>) -> Self {
        let due = Due::of(order, site, now);
        if !due.is_due() {
            DrawSection::Later
        } else if order.priority == Priority::Stat {
            DrawSection::Stat
        } else if due.window().is_some() {
            DrawSection::TimedNow
        } else if matches!(order.priority, Priority::Asap | Priority::Urgent) {
            DrawSection::Urgent
        } else {
            DrawSection::Routine
        }
    }

    /// Heading shown to the collector.
    pub fn title(self) -> &'static str {
        match self {
            DrawSection::Stat => "STAT",
            DrawSection::TimedNow => "Timed draws due now",
            DrawSection::Urgent => "Urgent and ASAP",
            DrawSection::Routine => "Routine",
            DrawSection::Later => "Timed draws later",
        }
    }

    /// A stable name for styling and tests (`stat`, `timed-now`, `urgent`, `routine`, `later`).
    pub fn code(self) -> &'static str {
        match self {
            DrawSection::Stat => "stat",
            DrawSection::TimedNow => "timed-now",
            DrawSection::Urgent => "urgent",
            DrawSection::Routine => "routine",
            DrawSection::Later => "later",
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::collection::OrderId;
    use crate::test_support::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn with(id: &str, test: &str, priority: Priority, due: Option<&str>) -> Order {
        let mut o = order(id, test);
        o.id = OrderId::parse(id).unwrap();
        o.priority = priority;
        o.due_at = due.map(at);
        o
    }

    #[test]
    fn the_draw_list_puts_stat_then_timed_due_now_then_urgent_then_routine_then_timed_later() {
        let now = at("2024-05-01T08:00:00Z");
        let mut routine = with("a-routine", "CBC", Priority::Routine, None);
        routine.placed_at -= Duration::hours(1);
        let mut list = vec![
            routine,
            with(
                "b-trough-tonight",
                "VANCT",
                Priority::Routine,
                Some("2024-05-01T21:00:00Z"),
            ),
            with("c-urgent", "BMP", Priority::Urgent, None),
            with(
                "d-trough-now",
                "VANCT",
                Priority::Routine,
                Some("2024-05-01T08:20:00Z"),
            ),
            with("e-stat", "TROP", Priority::Stat, None),
            with("f-asap", "MG", Priority::Asap, None),
            with(
                "g-cortisol-overdue",
                "CORT",
                Priority::Routine,
                Some("2024-05-01T06:00:00Z"),
            ),
            with(
                "h-peak-soon",
                "VANCP",
                Priority::Routine,
                Some("2024-05-01T10:00:00Z"),
            ),
        ];
        sort_draw_list(&mut list, &SiteConfig::default_site(), now);
        let ids: Vec<&str> = list.iter().map(|o| o.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "e-stat",
                "g-cortisol-overdue",
                "d-trough-now",
                "f-asap",
                "c-urgent",
                "a-routine",
                "h-peak-soon",
                "b-trough-tonight",
            ]
        );
    }

    #[test]
    fn a_timed_order_moves_from_later_to_due_now_when_its_window_opens() {
        let site = SiteConfig::default_site();
        let trough = with(
            "t",
            "VANCT",
            Priority::Routine,
            Some("2024-05-01T21:00:00Z"),
        );
        let section = |t: &str| DrawSection::of(&trough, &site, at(t));
        assert_eq!(section("2024-05-01T20:29:00Z"), DrawSection::Later);
        assert_eq!(section("2024-05-01T20:30:00Z"), DrawSection::TimedNow);
        assert_eq!(section("2024-05-01T23:00:00Z"), DrawSection::TimedNow);
        // A STAT order is STAT once due, and later like any other before its window.
        let mut stat = trough.clone();
        stat.priority = Priority::Stat;
        assert_eq!(
            DrawSection::of(&stat, &site, at("2024-05-01T20:45:00Z")),
            DrawSection::Stat
        );
        assert_eq!(
            DrawSection::of(&stat, &site, at("2024-05-01T12:00:00Z")),
            DrawSection::Later
        );
    }

    #[test]
    fn the_sections_have_titles_in_draw_list_order() {
        assert_eq!(
            DrawSection::ALL.map(DrawSection::title),
            [
                "STAT",
                "Timed draws due now",
                "Urgent and ASAP",
                "Routine",
                "Timed draws later"
            ]
        );
        let mut sorted = DrawSection::ALL;
        sorted.sort();
        assert_eq!(sorted, DrawSection::ALL);
    }
}
