//! What the collector must do with a tube once drawn (on ice, protect from light, 37 °C, deliver within, fill to the line, bottle order, hand-label).

use serde::{Deserialize, Serialize};

use crate::catalog::{Handling, TestDefinition};
use crate::container::ContainerType;
use crate::wire::wire_enum;

fn is_false(b: &bool) -> bool {
    !*b
}

/// Where a bottle comes in its test's bottle order, e.g. 1 of 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BottlePlace {
    /// 1-based place in the filling order.
    pub place: u8,
    /// Bottles in the set.
    pub of: u8,
}

/// The handling instructions of one planned tube, merged over the tests it serves.
///
/// Every field is left out of the JSON when unset, so tubes planned before a field existed
/// keep their records' content hashes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TubeInstructions {
    /// Put in ice slurry at once.
    #[serde(default, skip_serializing_if = "is_false")]
    pub on_ice: bool,
    /// Wrap the tube in foil or an amber bag.
    #[serde(default, skip_serializing_if = "is_false")]
    pub protect_from_light: bool,
    /// Keep at 37 °C until the lab receives it.
    #[serde(default, skip_serializing_if = "is_false")]
    pub keep_at_37c: bool,
    /// Deliver to the lab within this many minutes of the draw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deliver_within_minutes: Option<u32>,
    /// Fill to the line (citrate: the 1:9 ratio).
    #[serde(default, skip_serializing_if = "is_false")]
    pub fill_to_line: bool,
    /// This bottle's place in its set's filling order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bottle: Option<BottlePlace>,
    /// Label by hand at the bedside (blood bank).
    #[serde(default, skip_serializing_if = "is_false")]
    pub hand_label: bool,
}

wire_enum! {
    /// The kind of one instruction, so screens can mark each (with words, never colour alone).
    pub enum InstructionKind {
        /// On ice.
        OnIce = "on-ice" => "On ice",
        /// Protect from light.
        ProtectFromLight = "protect-from-light" => "Protect from light",
        /// Keep at 37 °C.
        KeepAt37c = "keep-at-37c" => "Keep at 37 °C",
        /// Deliver within N minutes.
        DeliverWithin = "deliver-within" => "Deliver within",
        /// Fill to the line.
        FillToLine = "fill-to-line" => "Fill to the line",
        /// Bottle order.
        BottleOrder = "bottle-order" => "Bottle order",
        /// Hand-label.
        HandLabel = "hand-label" => "Hand-label",
    }
}

/// One instruction in words for the collector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// What kind of instruction it is.
    pub kind: InstructionKind,
    /// Short heading, e.g. `On ice`.
    pub title: String,
    /// What to do, as a sentence.
    pub text: String,
}

impl TubeInstructions {
    /// True when the tube needs nothing beyond the ordinary.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// What one test asks of `container`: its handling, its catalog instructions and the
    /// container's fill-to-the-line rule.
    pub fn for_test(test: &TestDefinition, container: &ContainerType) -> Self {
        let i = &test.instructions;
        let order = &i.bottle_order;
        let bottle = order
            .iter()
            .position(|c| c == &container.id)
            .map(|p| BottlePlace {
                place: u8::try_from(p + 1).unwrap_or(u8::MAX),
                of: u8::try_from(order.len()).unwrap_or(u8::MAX),
            });
        Self {
            on_ice: test.handling == Handling::OnIce,
            protect_from_light: test.handling == Handling::ProtectFromLight,
            keep_at_37c: i.keep_at_37c,
            deliver_within_minutes: i.deliver_within_minutes,
            fill_to_line: container.fill_to_line,
            bottle,
            hand_label: i.hand_label,
        }
    }

    /// Both sets of instructions on one tube: any on-ice (light, 37 °C, fill, hand-label)
    /// makes the tube so, the shortest delivery time wins, the first bottle place is kept.
    pub fn merge(self, other: Self) -> Self {
        Self {
            on_ice: self.on_ice || other.on_ice,
            protect_from_light: self.protect_from_light || other.protect_from_light,
            keep_at_37c: self.keep_at_37c || other.keep_at_37c,
            deliver_within_minutes: match (
                self.deliver_within_minutes,
                other.deliver_within_minutes,
            ) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
            fill_to_line: self.fill_to_line || other.fill_to_line,
            bottle: self.bottle.or(other.bottle),
            hand_label: self.hand_label || other.hand_label,
        }
    }

    /// The instructions in words, most urgent first (temperature, time, then the rest).
    pub fn items(&self) -> Vec<Instruction> {
        let mut out = Vec::new();
        let mut add = |kind: InstructionKind, text: String| {
            let title = match (kind, self.deliver_within_minutes) {
                (InstructionKind::DeliverWithin, Some(m)) => format!("Deliver within {m} min"),
                _ => kind.display().to_owned(),
            };
            out.push(Instruction { kind, title, text })
        };
        if self.on_ice {
            add(
                InstructionKind::OnIce,
                "Put the tube in ice slurry at once.".into(),
            );
        }
        if self.keep_at_37c {
            add(
                InstructionKind::KeepAt37c,
                "Keep the tube at body temperature (37 °C) until the lab has it.".into(),
            );
        }
        if let Some(m) = self.deliver_within_minutes {
            add(
                InstructionKind::DeliverWithin,
                format!("Take the tube to the lab within {m} minutes of the draw."),
            );
        }
        if self.protect_from_light {
            add(
                InstructionKind::ProtectFromLight,
                "Wrap the tube in foil or put it in an amber bag.".into(),
            );
        }
        if self.fill_to_line {
            add(
                InstructionKind::FillToLine,
                "Fill to the line: an under-filled tube is rejected.".into(),
            );
        }
        if let Some(b) = self.bottle {
            let text = if b.place == 1 {
                format!("Fill this bottle first (bottle 1 of {}).", b.of)
            } else {
                format!(
                    "Fill this bottle after bottle {} (bottle {} of {}).",
                    b.place - 1,
                    b.place,
                    b.of
                )
            };
            add(InstructionKind::BottleOrder, text);
        }
        if self.hand_label {
            add(
                InstructionKind::HandLabel,
                "Label this tube by hand at the bedside (blood bank).".into(),
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ice(minutes: u32) -> TubeInstructions {
        TubeInstructions {
            on_ice: true,
            deliver_within_minutes: Some(minutes),
            ..Default::default()
        }
    }

    #[test]
    fn merging_keeps_the_shortest_delivery_time_and_any_on_ice() {
        let light = TubeInstructions {
            protect_from_light: true,
            deliver_within_minutes: None,
            ..Default::default()
        };
        let m = ice(30).merge(ice(15)).merge(light);
        assert_eq!(m.deliver_within_minutes, Some(15));
        assert!(m.on_ice && m.protect_from_light);
        assert_eq!(
            TubeInstructions::default()
                .merge(ice(30))
                .deliver_within_minutes,
            Some(30)
        );
    }

    #[test]
    fn the_items_put_temperature_and_time_first_in_words() {
        let items = ice(30).items();
        let kinds: Vec<_> = items.iter().map(|i| i.kind).collect();
        assert_eq!(
            kinds,
            [InstructionKind::OnIce, InstructionKind::DeliverWithin]
        );
        assert_eq!(items[0].title, "On ice");
        assert_eq!(items[1].title, "Deliver within 30 min");
        assert_eq!(
            items[1].text,
            "Take the tube to the lab within 30 minutes of the draw."
        );
    }

    #[test]
    fn the_second_bottle_says_which_bottle_comes_before_it() {
        let second = TubeInstructions {
            bottle: Some(BottlePlace { place: 2, of: 2 }),
            ..Default::default()
        };
        assert_eq!(
            second.items()[0].text,
            "Fill this bottle after bottle 1 (bottle 2 of 2)."
        );
    }

    #[test]
    fn empty_instructions_serialise_to_an_empty_object() {
        assert_eq!(
            serde_json::to_string(&TubeInstructions::default()).unwrap(),
            "{}"
        );
        assert!(serde_json::from_str::<TubeInstructions>("{}")
            .unwrap()
            .is_empty());
    }
}

#[cfg(test)]
mod record_tests {
    use crate::collection::FinalizedCollection;
    use crate::test_support::{complete, nurse, t};

    /// Drops every tube's `instructions` from a record's JSON, as a tablet running an older
    /// version wrote it.
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                m.remove("instructions");
                m.values_mut().for_each(strip);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }

    #[test]
    fn a_record_made_before_tubes_carried_instructions_still_reads_and_verifies() {
        let mut draft = serde_json::to_value(complete()).unwrap();
        assert!(draft.to_string().contains("\"instructions\""));
        strip(&mut draft);
        let old: crate::Collection = serde_json::from_value(draft).unwrap();
        let f = old
            .finalize(&nurse(), t("2024-05-01T08:12:00+02:00"))
            .unwrap();
        let stored = serde_json::to_value(&f).unwrap();
        assert!(!stored.to_string().contains("\"instructions\""));
        let back = FinalizedCollection::from_json_value(stored).unwrap();
        assert!(back.verify());
        assert_eq!(back, f);
    }
}
