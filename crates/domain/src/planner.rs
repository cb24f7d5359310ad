//! Turns ordered tests into the tubes to draw, consolidated and in order of draw, with the discard tube.

use std::collections::BTreeMap;

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::wire::wire_enum;

use crate::catalog::{Handling, Labelling, TestCode, TestDefinition, Timing};
use crate::ids::OrderId;
use crate::instructions::{Instruction, InstructionKind, TubeInstructions};
use crate::order_of_draw::{ContainerId, ContainerType};
use crate::site::SiteConfig;

wire_enum! {
    custom FromStr;
    /// The collection device, which decides whether a discard tube is needed.
    pub enum Device {
        /// Straight needle in an evacuated tube holder.
        EvacuatedHolder = "evacuated-holder" => "straight needle",
        /// Winged (butterfly) set, whose tubing holds air.
        Winged = "winged" => "butterfly (winged set)",
    }
}

/// Why a text is not a device name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown device '{0}': use 'holder' (evacuated tube holder) or 'winged' (butterfly set)")]
pub struct DeviceError(pub String);

impl FromStr for Device {
    type Err = DeviceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "holder" | "evacuated" | "evacuated-holder" | "needle" => Ok(Device::EvacuatedHolder),
            "winged" | "winged-set" | "butterfly" => Ok(Device::Winged),
            _ => Err(DeviceError(s.to_owned())),
        }
    }
}

/// One tube (or bottle) to draw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedTube {
    /// Container type id.
    pub container: ContainerId,
    /// Container display name.
    pub container_name: String,
    /// Cap colour.
    pub cap: String,
    /// Additive as printed on the tube.
    pub additive: String,
    /// Tests this tube serves, sorted by code; empty for a discard tube.
    pub tests: Vec<TestCode>,
    /// Orders this tube serves (one order per test: two orders of one test never share a
    /// tube); empty for a discard tube, and in records planned before tubes named orders.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub orders: Vec<OrderId>,
    /// Volume to draw (the tube's draw volume; 0 for a discard tube, which need not be filled).
    pub volume_ml: f64,
    /// Sum of the served tests' minimum volumes.
    pub required_ml: f64,
    /// Gentle inversions after drawing.
    pub inversions: u8,
    /// A discard tube: drawn to clear the tubing, then thrown away.
    pub discard: bool,
    /// 1-based place of the container in the site's order of draw.
    pub position: u32,
    /// How the tube is kept after drawing.
    pub handling: Handling,
    /// Serves one exclusive test only.
    pub exclusive: bool,
    /// Must be filled to the line (citrate).
    pub fill_to_line: bool,
    /// The blood-culture set (1, 2, ...) this tube belongs to, for tests each of whose orders is
    /// drawn from its own venipuncture; absent for every other tube (and in older records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set: Option<u32>,
    /// Labelling rules for this tube.
    pub labelling: Labelling,
    /// Timed draw the tube belongs to, if any.
    pub timing: Option<Timing>,
    /// At least one served test wants a fasting patient.
    pub fasting: bool,
    /// What the collector must do with the tube once drawn, merged over its tests; absent in
    /// records planned before tubes carried instructions (see [`PlannedTube::instruction_items`]).
    #[serde(default, skip_serializing_if = "TubeInstructions::is_empty")]
    pub instructions: TubeInstructions,
}

impl PlannedTube {
    /// The tube's handling instructions in words, most urgent first; for a tube planned before
    /// tubes carried instructions, those its handling and fill-to-the-line fields still say.
    pub fn instruction_items(&self) -> Vec<Instruction> {
        let legacy = TubeInstructions {
            on_ice: self.handling == Handling::OnIce,
            protect_from_light: self.handling == Handling::ProtectFromLight,
            fill_to_line: self.fill_to_line,
            ..Default::default()
        };
        self.instructions.clone().merge(legacy).items()
    }
}

/// The tubes to draw, in order of draw. Serialises as a plain JSON array of tubes.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TubePlan {
    /// Tubes in order of draw.
    pub tubes: Vec<PlannedTube>,
}

impl TubePlan {
    /// Every test served by this plan, once each, sorted.
    pub fn tests(&self) -> Vec<TestCode> {
        let mut all: Vec<TestCode> = self.tubes.iter().flat_map(|t| t.tests.clone()).collect();
        all.sort();
        all.dedup();
        all
    }
}

/// Why no plan can be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// Codes that the site catalog does not know; nothing is silently dropped.
    #[error("unknown test code(s): {}", .0.join(", "))]
    UnknownTests(Vec<String>),
    /// No test was ordered.
    #[error("no test codes given")]
    NoTests,
}

/// Plans tubes for a site.
#[derive(Debug, Clone, Copy)]
pub struct Planner<'a> {
    site: &'a SiteConfig,
}

// Volumes are packed in whole microlitres so that sums are exact and identical on every platform.
fn microlitres(ml: f64) -> u64 {
    (ml * 1000.0).round() as u64
}

/// What a tube is kept at after the draw: tests kept at different temperatures never share a
/// tube (cooling changes e.g. potassium). Protection from light harms no room-temperature
/// test, so it is not part of the key: the shared tube is then protected from light.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Temperature {
    Room,
    OnIce,
    Body,
}

impl Temperature {
    fn of(t: &TestDefinition) -> Self {
        if t.handling == Handling::OnIce {
            Self::OnIce
        } else if t.instructions.keep_at_37c {
            Self::Body
        } else {
            Self::Room
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct GroupKey {
    // Two orders of one test never share a tube: the n-th order of a test only meets the n-th
    // orders of other tests.
    occurrence: u32,
    position: u32,
    exclusive_test: Option<TestCode>,
    temperature: Temperature,
    timing: Option<String>,
    blood_bank: bool,
}

impl GroupKey {
    /// The key of `t` drawn into the container at `position` (the lab section is not part of
    /// it: a test without a section shares with any, so sections are split when packing).
    fn new(t: &TestDefinition, position: u32) -> Self {
        Self {
            occurrence: 0,
            position,
            exclusive_test: t.exclusive.then(|| t.code.clone()),
            temperature: Temperature::of(t),
            timing: t.timing.as_ref().map(|x| x.label.clone()),
            blood_bank: t.labelling == Labelling::BloodBank,
        }
    }
}

impl<'a> Planner<'a> {
    /// A planner over this site's catalog and order of draw.
    pub fn new(site: &'a SiteConfig) -> Self {
        Self { site }
    }

    /// Plans the tubes for these test codes (any case, duplicates ignored) and device.
    pub fn plan<S: AsRef<str>>(&self, codes: &[S], device: Device) -> Result<TubePlan, PlanError> {
        let mut unknown = Vec::new();
        let mut parsed = Vec::new();
        for raw in codes {
            let raw = raw.as_ref();
            match TestCode::parse(raw) {
                Ok(c) if self.site.test(&c).is_some() => parsed.push(c),
                Ok(c) => unknown.push(c.to_string()),
                Err(_) => unknown.push(raw.trim().to_owned()),
            }
        }
        if !unknown.is_empty() {
            unknown.sort();
            unknown.dedup();
            return Err(PlanError::UnknownTests(unknown));
        }
        self.plan_codes(&parsed, device)
    }

    /// Plans the tubes for parsed test codes (duplicates ignored: one tube set per test).
    pub fn plan_codes(&self, codes: &[TestCode], device: Device) -> Result<TubePlan, PlanError> {
        let mut codes = codes.to_vec();
        // Sorting first is what makes the plan independent of the order the tests were given in.
        codes.sort();
        codes.dedup();
        let items: Vec<(Option<OrderId>, TestCode)> =
            codes.into_iter().map(|c| (None, c)).collect();
        self.plan_items(&items, &|_, _| false, device, false)
    }

    /// Plans `items`: an order (absent when planning bare test codes) and its test, sorted, so
    /// the n-th order of a test is its n-th occurrence. See `Collection`'s per-order planning.
    pub(crate) fn plan_items(
        &self,
        items: &[(Option<OrderId>, TestCode)],
        done: &dyn Fn(&OrderId, &ContainerId) -> bool,
        device: Device,
        tubing_primed: bool,
    ) -> Result<TubePlan, PlanError> {
        if items.is_empty() {
            return Err(PlanError::NoTests);
        }
        let mut unknown = Vec::new();
        let mut members: Vec<Member<'_>> = Vec::new();
        for (order, code) in items {
            match self.site.test(code) {
                Some(t) => {
                    let occurrence = members.iter().filter(|m| &m.test.code == code).count() as u32;
                    members.push(Member {
                        order: order.clone(),
                        test: t,
                        occurrence,
                    });
                }
                None => unknown.push(code.to_string()),
            }
        }
        if !unknown.is_empty() {
            unknown.sort();
            unknown.dedup();
            return Err(PlanError::UnknownTests(unknown));
        }

        let order = self.site.order_of_draw();
        let mut groups: BTreeMap<GroupKey, (ContainerId, Vec<&Member<'_>>)> = BTreeMap::new();
        for m in &members {
            let t = m.test;
            for c in &t.containers {
                if m.order.as_ref().is_some_and(|o| done(o, c)) {
                    continue;
                }
                let key = GroupKey {
                    occurrence: m.occurrence,
                    ..GroupKey::new(t, order.position(c).expect("validated site"))
                };
                groups
                    .entry(key)
                    .or_insert_with(|| (c.clone(), Vec::new()))
                    .1
                    .push(m);
            }
        }

        let mut tubes = Vec::new();
        for (key, (cid, group)) in groups {
            let container = order.container(&cid).expect("validated site");
            let bins: Vec<Vec<&Member<'_>>> = if key.exclusive_test.is_some() {
                group.iter().map(|m| vec![*m]).collect()
            } else {
                pack(&group, microlitres(container.usable_volume_ml))
            };
            for bin in bins {
                let defs: Vec<&TestDefinition> = bin.iter().map(|m| m.test).collect();
                let mut t = tube(container, key.position, &defs, key.exclusive_test.is_some());
                let mut ids: Vec<OrderId> = bin.iter().filter_map(|m| m.order.clone()).collect();
                ids.sort();
                t.orders = ids;
                t.set = bin
                    .iter()
                    .find(|m| m.test.own_venipuncture)
                    .map(|m| m.occurrence + 1);
                tubes.push(t);
            }
        }
        // Each blood-culture set after the first is its own venipuncture, so it comes after
        // everything drawn with the first; within one venipuncture, the order of draw.
        tubes.sort_by(|a, b| {
            (
                a.set.unwrap_or(1),
                a.position,
                a.handling,
                &a.tests,
                &a.orders,
            )
                .cmp(&(
                    b.set.unwrap_or(1),
                    b.position,
                    b.handling,
                    &b.tests,
                    &b.orders,
                ))
        });

        let rule = order.discard();
        if let Some(first_coag) = tubes.iter().position(|t| {
            order
                .container(&t.container)
                .is_some_and(ContainerType::is_coagulation)
        }) {
            let air_in_tubing = device == Device::Winged && first_coag == 0 && !tubing_primed;
            if air_in_tubing || rule.before_any_coagulation {
                let dc = order.container(&rule.container).expect("validated site");
                let mut d = tube(
                    dc,
                    order.position(&dc.id).expect("validated site"),
                    &[],
                    false,
                );
                d.discard = true;
                d.volume_ml = 0.0;
                d.fill_to_line = false;
                tubes.insert(first_coag, d);
            }
        }
        Ok(TubePlan { tubes })
    }
}

/// One order's test (or one test, when planning codes) on its way into a tube.
#[derive(Debug)]
struct Member<'t> {
    order: Option<OrderId>,
    test: &'t TestDefinition,
    occurrence: u32,
}

impl SiteConfig {
    /// Shorthand for `Planner::new(self).plan(codes, device)`.
    pub fn plan<S: AsRef<str>>(&self, codes: &[S], device: Device) -> Result<TubePlan, PlanError> {
        Planner::new(self).plan(codes, device)
    }
}

fn tube(
    c: &ContainerType,
    position: u32,
    tests: &[&TestDefinition],
    exclusive: bool,
) -> PlannedTube {
    let mut codes: Vec<TestCode> = tests.iter().map(|t| t.code.clone()).collect();
    codes.sort();
    let required: u64 = tests.iter().map(|t| microlitres(t.blood_volume_ml())).sum();
    // Any on-ice test makes the tube on ice (they share only with on-ice tests); otherwise
    // any protect-from-light test wraps the whole tube.
    let handling = [Handling::OnIce, Handling::ProtectFromLight]
        .into_iter()
        .find(|h| tests.iter().any(|t| t.handling == *h))
        .unwrap_or(Handling::RoomTemperature);
    let instructions = tests
        .iter()
        .map(|t| TubeInstructions::for_test(t, c))
        .fold(TubeInstructions::default(), TubeInstructions::merge);
    PlannedTube {
        container: c.id.clone(),
        container_name: c.name.clone(),
        cap: c.cap.clone(),
        additive: c.additive.clone(),
        tests: codes,
        orders: Vec::new(),
        volume_ml: c.draw_volume_ml,
        required_ml: required as f64 / 1000.0,
        inversions: c.inversions,
        discard: false,
        position,
        handling,
        exclusive,
        fill_to_line: c.fill_to_line,
        set: None,
        labelling: tests.first().map_or(Labelling::Standard, |t| t.labelling),
        timing: tests.iter().find_map(|t| t.timing.clone()),
        fasting: tests.iter().any(|t| t.fasting),
        instructions,
    }
}

/// Packs tests into the fewest tubes of `capacity` µL, tests of different lab sections never
/// together: each section is packed on its own, then the tests without a section fill the
/// room left (sections in name order, first fit), and what remains is packed on its own.
fn pack<'m, 't>(members: &[&'m Member<'t>], capacity: u64) -> Vec<Vec<&'m Member<'t>>> {
    let mut sections: BTreeMap<&'t str, Vec<&'m Member<'t>>> = BTreeMap::new();
    let mut free: Vec<&'m Member<'t>> = Vec::new();
    for m in members {
        match m.test.section.as_deref() {
            Some(s) => sections.entry(s).or_default().push(*m),
            None => free.push(*m),
        }
    }
    if sections.is_empty() {
        return pack_volumes(&free, capacity);
    }
    let mut bins: Vec<Vec<&'m Member<'t>>> = sections
        .values()
        .flat_map(|members| pack_volumes(members, capacity))
        .collect();
    let load = |b: &[&Member<'_>]| -> u64 { b.iter().map(|m| volume_ul(m.test)).sum() };
    let mut left = Vec::new();
    for m in sorted_by_volume(&free) {
        match bins
            .iter_mut()
            .find(|b| load(b) + volume_ul(m.test) <= capacity)
        {
            Some(b) => b.push(m),
            None => left.push(m),
        }
    }
    bins.extend(pack_volumes(&left, capacity));
    bins
}

fn volume_ul(t: &TestDefinition) -> u64 {
    microlitres(t.blood_volume_ml())
}

fn sorted_by_volume<'m, 't>(members: &[&'m Member<'t>]) -> Vec<&'m Member<'t>> {
    let mut items: Vec<&'m Member<'t>> = members.to_vec();
    items.sort_by(|a, b| {
        volume_ul(b.test)
            .cmp(&volume_ul(a.test))
            .then_with(|| a.test.code.cmp(&b.test.code))
    });
    items
}

/// Packs tests into the fewest tubes of `capacity` µL: exact search for the small groups seen
/// in practice, first-fit decreasing beyond that.
fn pack_volumes<'m, 't>(members: &[&'m Member<'t>], capacity: u64) -> Vec<Vec<&'m Member<'t>>> {
    let items = sorted_by_volume(members);
    let sizes: Vec<u64> = items.iter().map(|m| volume_ul(m.test)).collect();
    let ffd = first_fit(&sizes, capacity);
    let ffd_bins = ffd.iter().max().map_or(0, |m| m + 1);
    let total: u64 = sizes.iter().sum();
    let lower = total.div_ceil(capacity.max(1)) as usize;
    let mut assignment = ffd;
    if items.len() <= 16 {
        for k in lower..ffd_bins {
            let mut loads = vec![0u64; k];
            let mut found = vec![0usize; sizes.len()];
            if exact(&sizes, capacity, 0, &mut loads, &mut found) {
                assignment = found;
                break;
            }
        }
    }
    let bins = assignment.iter().max().map_or(0, |m| m + 1);
    let mut out = vec![Vec::new(); bins];
    for (item, bin) in items.into_iter().zip(assignment) {
        out[bin].push(item);
    }
    out.retain(|b| !b.is_empty());
    out
}

fn first_fit(sizes: &[u64], capacity: u64) -> Vec<usize> {
    let mut loads: Vec<u64> = Vec::new();
    sizes
        .iter()
        .map(|&s| match loads.iter().position(|&l| l + s <= capacity) {
            Some(i) => {
                loads[i] += s;
                i
            }
            None => {
                loads.push(s);
                loads.len() - 1
            }
        })
        .collect()
}

fn exact(sizes: &[u64], capacity: u64, i: usize, loads: &mut [u64], out: &mut [usize]) -> bool {
    if i == sizes.len() {
        return true;
    }
    for b in 0..loads.len() {
        // Bins with the same load are interchangeable: trying one of them is enough.
        if loads[..b].contains(&loads[b]) {
            continue;
        }
        if loads[b] + sizes[i] <= capacity {
            loads[b] += sizes[i];
            out[i] = b;
            if exact(sizes, capacity, i + 1, loads, out) {
                return true;
            }
            loads[b] -= sizes[i];
        }
    }
    false
}

/// The plan as a table for people (the `drawline plan` output).
pub fn render_table(plan: &TubePlan) -> String {
    let header = [
        "#",
        "Container",
        "Cap",
        "Additive",
        "mL",
        "Inv",
        "Tests",
        "Notes",
    ];
    let mut rows: Vec<[String; 8]> = Vec::new();
    for (i, t) in plan.tubes.iter().enumerate() {
        let mut notes = Vec::new();
        if t.discard {
            notes.push("DISCARD (need not be filled)".to_owned());
        }
        if t.fill_to_line {
            notes.push("fill to the line".to_owned());
        }
        if !t.handling.label().is_empty() {
            notes.push(t.handling.label().to_owned());
        }
        if let Some(timing) = &t.timing {
            notes.push(format!("timed: {}", timing.label));
        }
        if t.labelling == Labelling::BloodBank {
            notes.push("blood bank label".to_owned());
        } else if t.exclusive {
            notes.push("own tube".to_owned());
        }
        if t.fasting {
            notes.push("fasting".to_owned());
        }
        // Fill to the line and the handling are already noted above.
        for i in t.instruction_items() {
            match i.kind {
                InstructionKind::KeepAt37c => notes.push("keep at 37 °C".to_owned()),
                InstructionKind::DeliverWithin => notes.push(format!(
                    "deliver within {} min",
                    t.instructions.deliver_within_minutes.unwrap_or_default()
                )),
                InstructionKind::BottleOrder => {
                    if let Some(b) = t.instructions.bottle {
                        notes.push(format!("fill bottle {} of {}", b.place, b.of));
                    }
                }
                InstructionKind::HandLabel => notes.push("hand-label".to_owned()),
                InstructionKind::OnIce
                | InstructionKind::ProtectFromLight
                | InstructionKind::FillToLine => {}
            }
        }
        let tests = if t.tests.is_empty() {
            "-".to_owned()
        } else {
            t.tests
                .iter()
                .map(TestCode::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        };
        rows.push([
            (i + 1).to_string(),
            t.container_name.clone(),
            t.cap.clone(),
            t.additive.clone(),
            format!("{:.1}", t.volume_ml),
            t.inversions.to_string(),
            tests,
            notes.join("; "),
        ]);
    }
    let mut widths = header.map(|h| h.chars().count());
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut s = String::new();
        for (k, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if k > 0 {
                s.push_str("  ");
            }
            s.push_str(&format!("{cell:<w$}"));
        }
        s.trim_end().to_owned()
    };
    let mut out = line(&header.map(String::from));
    out.push('\n');
    out.push_str(&line(&widths.map(|w| "-".repeat(w))));
    out.push('\n');
    for r in &rows {
        out.push_str(&line(r));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests;
