//! The draw list: its order (STAT, timed draws, routine) and the sections it is shown in.

use super::order::{Order, Priority};

/// Sorts a draw list: STAT first, then timed draws by due time, then the rest by priority
/// and by when they were placed.
pub fn sort_draw_list(orders: &mut [Order]) {
    orders.sort_by_key(|o| {
        let stat = o.priority != Priority::Stat;
        (
            stat,
            o.due_at.is_none(),
            o.due_at,
            o.priority,
            o.placed_at,
            o.id.clone(),
        )
    });
}

/// The section of the draw list an order (and its patient, by their most urgent order) is shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DrawSection {
    /// STAT orders.
    Stat,
    /// Timed draws (a due time), not STAT.
    Timed,
    /// Everything else.
    Routine,
}

impl DrawSection {
    /// The sections in the order the draw list shows them.
    pub const ALL: [DrawSection; 3] = [DrawSection::Stat, DrawSection::Timed, DrawSection::Routine];

    /// The section of `order`.
    pub fn of(order: &Order) -> Self {
        if order.priority == Priority::Stat {
            DrawSection::Stat
        } else if order.due_at.is_some() {
            DrawSection::Timed
        } else {
            DrawSection::Routine
        }
    }

    /// Heading shown to the collector.
    pub fn title(self) -> &'static str {
        match self {
            DrawSection::Stat => "STAT",
            DrawSection::Timed => "Timed draws",
            DrawSection::Routine => "Routine",
        }
    }
}
