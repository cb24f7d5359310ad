//! Planning again what is left to draw, after a new venipuncture (another device, new tubing) or a test marked not collected.

use std::collections::HashSet;

use super::error::CollectionError;
use super::exception::{NotCollectedReason, Scope};
use super::history::Event;
use super::record::Collection;
use super::time::DeviceTime;
use super::tube::TubeRecord;
use crate::ids::{CollectorId, OrderId};
use crate::order_of_draw::ContainerId;
use crate::planner::Planner;
use crate::site::SiteConfig;

impl Collection {
    /// Records a test, an order or the whole visit as not collected, then plans again what is
    /// left to draw (a butterfly whose first tube becomes citrate gets its discard tube).
    #[allow(clippy::too_many_arguments)]
    pub fn except(
        &mut self,
        scope: Scope,
        reason: NotCollectedReason,
        note: Option<&str>,
        config: &SiteConfig,
        by: &CollectorId,
        now: DeviceTime,
    ) -> Result<(), CollectionError> {
        self.record_not_collected(scope, reason, note, by, now)?;
        self.replan(config, by, now)
    }

    /// Plans again the tubes not drawn yet, for the orders still to collect and the current
    /// device. Drawn tubes stay as they are; an undrawn tube the new plan keeps unchanged keeps its
    /// number (and what was recorded on it); the change is logged. Records planned before tubes
    /// named their orders are left alone.
    pub fn replan(
        &mut self,
        config: &SiteConfig,
        by: &CollectorId,
        now: DeviceTime,
    ) -> Result<(), CollectionError> {
        if self
            .tubes
            .iter()
            .any(|t| !t.tube.discard && t.tube.orders.is_empty())
        {
            return Ok(());
        }
        let drawn: HashSet<(OrderId, ContainerId)> = self
            .tubes
            .iter()
            .filter(|t| t.drawn.is_some())
            .flat_map(|t| {
                t.tube
                    .orders
                    .iter()
                    .map(|o| (o.clone(), t.tube.container.clone()))
            })
            .collect();
        let todo: Vec<_> = self
            .orders
            .iter()
            .filter(|o| self.exception_for_order(o).is_none())
            .collect();
        let primed = self
            .current_venipuncture()
            .is_some_and(|v| self.drawn_in(v.number).next().is_some());
        let done = |o: &OrderId, c: &ContainerId| drawn.contains(&(o.clone(), c.clone()));
        let fresh = if todo.is_empty() {
            Vec::new()
        } else {
            Planner::new(config)
                .plan_remaining(&todo, &done, self.device, primed)?
                .tubes
        };

        let (kept, old): (Vec<TubeRecord>, Vec<TubeRecord>) =
            self.tubes.drain(..).partition(|t| t.drawn.is_some());
        let mut next = kept
            .iter()
            .chain(old.iter())
            .map(|t| t.index)
            .chain(self.retired_tube_numbers())
            .max()
            .unwrap_or(0)
            + 1;
        let mut unused: Vec<Option<TubeRecord>> = old.into_iter().map(Some).collect();
        let mut tubes = kept;
        let mut added = Vec::new();
        for planned in fresh {
            let same = unused
                .iter_mut()
                .find(|u| u.as_ref().is_some_and(|u| u.tube == planned))
                .and_then(Option::take);
            match same {
                Some(t) => tubes.push(t),
                None => {
                    added.push(next);
                    tubes.push(TubeRecord {
                        index: next,
                        tube: planned,
                        drawn: None,
                        accession: None,
                        labelled_at: None,
                        window_override: None,
                        last_dose: None,
                    });
                    next += 1;
                }
            }
        }
        let removed: Vec<u32> = unused.into_iter().flatten().map(|t| t.index).collect();
        self.tubes = tubes;
        if !added.is_empty() || !removed.is_empty() {
            self.log(
                now,
                by,
                Event::Replanned {
                    device: self.device,
                    added,
                    removed,
                },
            );
        }
        self.refresh_status();
        Ok(())
    }

    /// Numbers of tubes a re-planning removed: never given to another tube, so the history's
    /// tube numbers keep meaning one tube.
    fn retired_tube_numbers(&self) -> impl Iterator<Item = u32> + '_ {
        self.history.iter().flat_map(|h| match &h.event {
            Event::Replanned { removed, .. } => removed.clone(),
            _ => Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests;
