//! Per-order tube planning: each order served on its own, and what is left to draw planned again.

use crate::catalog::TestCode;
use crate::ids::OrderId;
use crate::order_of_draw::ContainerId;
use crate::planner::{Device, PlanError, Planner, TubePlan};

use super::order::Order;

impl Planner<'_> {
    /// Plans the tubes for orders: each order is served on its own (two orders of one test get
    /// two tubes or bottle sets, never one), and every tube names the orders it serves.
    pub fn plan_orders(&self, orders: &[&Order], device: Device) -> Result<TubePlan, PlanError> {
        self.plan_remaining(orders, &|_, _| false, device, false)
    }

    /// Plans what is left to draw of `orders` (all the orders still to collect, so each keeps
    /// its place, e.g. its blood-culture set number): a container `done` says an order already
    /// filled is left out. `tubing_primed` is true when blood already ran through this
    /// venipuncture's tubing, so no discard tube is needed for the air.
    pub fn plan_remaining(
        &self,
        orders: &[&Order],
        done: &dyn Fn(&OrderId, &ContainerId) -> bool,
        device: Device,
        tubing_primed: bool,
    ) -> Result<TubePlan, PlanError> {
        let mut items: Vec<(Option<OrderId>, TestCode)> = orders
            .iter()
            .map(|o| (Some(o.id.clone()), o.test.clone()))
            .collect();
        items.sort_by(|a, b| (&a.1, &a.0).cmp(&(&b.1, &b.0)));
        self.plan_items(&items, done, device, tubing_primed)
    }
}
