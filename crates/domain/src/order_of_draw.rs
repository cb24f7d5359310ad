//! The order in which the site's containers are drawn (CLSI GP41 by default), with the discard-tube rule.

use serde::{Deserialize, Serialize};

use crate::config_error::{config_file, ConfigError, ConfigProblem};
pub use crate::container::{
    AdditiveClass, ContainerId, ContainerIdError, ContainerType, SpecimenType,
};

/// File name the default order of draw is shipped and reported under.
pub const ORDER_OF_DRAW_FILE: &str = "order-of-draw.json";

/// When a discard tube is drawn and which container it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscardRule {
    /// Container used as the discard tube: must be no-additive or citrate.
    pub container: ContainerId,
    /// Site option: a discard tube before any coagulation tube, whatever the device.
    #[serde(default)]
    pub before_any_coagulation: bool,
}

/// The order-of-draw file as written, before validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderOfDrawData {
    /// Display name of this table.
    pub name: String,
    /// Container ids in order of draw; each defined container appears exactly once.
    pub order: Vec<ContainerId>,
    /// Container definitions, in any order.
    pub containers: Vec<ContainerType>,
    /// The discard-tube rule.
    pub discard: DiscardRule,
}

/// A validated order of draw: every container has exactly one place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "OrderOfDrawData", into = "OrderOfDrawData")]
pub struct OrderOfDraw {
    name: String,
    // Kept sorted by draw position so lookups give the position directly.
    containers: Vec<ContainerType>,
    discard: DiscardRule,
}

impl OrderOfDraw {
    /// Validates an order-of-draw table that is already parsed.
    pub fn validate(file: &str, data: OrderOfDrawData) -> Result<Self, ConfigError> {
        let err = |entry: &str, problem| ConfigError::new(file, entry, problem);
        for (i, c) in data.containers.iter().enumerate() {
            let entry = format!("containers[{i}] '{}'", c.id);
            if data.containers[..i].iter().any(|d| d.id == c.id) {
                return Err(err(&entry, ConfigProblem::Duplicate(c.id.to_string())));
            }
            for (field, value) in [
                ("draw_volume_ml", c.draw_volume_ml),
                ("usable_volume_ml", c.usable_volume_ml),
            ] {
                if !value.is_finite() || value <= 0.0 {
                    return Err(err(
                        &entry,
                        ConfigProblem::NotPositiveVolume {
                            field: field.into(),
                            value,
                        },
                    ));
                }
            }
            if c.usable_volume_ml > c.draw_volume_ml {
                return Err(err(
                    &entry,
                    ConfigProblem::Invalid(format!(
                        "usable_volume_ml {} is more than draw_volume_ml {}",
                        c.usable_volume_ml, c.draw_volume_ml
                    )),
                ));
            }
            if c.name.trim().is_empty() || c.cap.trim().is_empty() {
                return Err(err(
                    &entry,
                    ConfigProblem::Invalid("name and cap must not be empty".into()),
                ));
            }
        }
        let mut sorted = Vec::with_capacity(data.order.len());
        for (i, id) in data.order.iter().enumerate() {
            let entry = format!("order[{i}] '{id}'");
            if data.order[..i].contains(id) {
                return Err(err(&entry, ConfigProblem::RepeatedInOrder(id.to_string())));
            }
            match data.containers.iter().find(|c| &c.id == id) {
                Some(c) => sorted.push(c.clone()),
                None => return Err(err(&entry, ConfigProblem::UnknownContainer(id.to_string()))),
            }
        }
        if let Some(missing) = data.containers.iter().find(|c| !data.order.contains(&c.id)) {
            return Err(err(
                &format!("containers '{}'", missing.id),
                ConfigProblem::MissingFromOrder(missing.id.to_string()),
            ));
        }
        if sorted.is_empty() {
            return Err(err(
                "order",
                ConfigProblem::Invalid("the order of draw is empty".into()),
            ));
        }
        let discard = match sorted.iter().find(|c| c.id == data.discard.container) {
            Some(c) => c,
            None => {
                return Err(err(
                    "discard.container",
                    ConfigProblem::UnknownContainer(data.discard.container.to_string()),
                ))
            }
        };
        if !matches!(
            discard.additive_class,
            AdditiveClass::None | AdditiveClass::Citrate
        ) {
            return Err(err(
                "discard.container",
                ConfigProblem::Invalid(format!(
                    "'{}' cannot be a discard tube: it must have no additive or citrate",
                    discard.id
                )),
            ));
        }
        Ok(Self {
            name: data.name,
            containers: sorted,
            discard: data.discard,
        })
    }

    /// Display name of the table.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Containers in order of draw.
    pub fn containers(&self) -> &[ContainerType] {
        &self.containers
    }

    /// The container with this id.
    pub fn container(&self, id: &ContainerId) -> Option<&ContainerType> {
        self.containers.iter().find(|c| &c.id == id)
    }

    /// 1-based place of a container in the order of draw.
    pub fn position(&self, id: &ContainerId) -> Option<u32> {
        self.containers
            .iter()
            .position(|c| &c.id == id)
            .map(|i| i as u32 + 1)
    }

    /// The discard-tube rule.
    pub fn discard(&self) -> &DiscardRule {
        &self.discard
    }

    /// Turns on or off the site option "discard before any coagulation tube".
    pub fn set_discard_before_any_coagulation(&mut self, on: bool) {
        self.discard.before_any_coagulation = on;
    }
}

config_file!(OrderOfDraw, OrderOfDrawData, ORDER_OF_DRAW_FILE);

impl From<OrderOfDraw> for OrderOfDrawData {
    fn from(o: OrderOfDraw) -> Self {
        Self {
            name: o.name,
            order: o.containers.iter().map(|c| c.id.clone()).collect(),
            containers: o.containers,
            discard: o.discard,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default_data() -> OrderOfDrawData {
        serde_json::from_str(include_str!("../site/order-of-draw.json")).unwrap()
    }

    /// The error of validating the default table as `o.json` once `edit` has changed it.
    fn refused(edit: impl FnOnce(&mut OrderOfDrawData)) -> ConfigError {
        let mut data = default_data();
        edit(&mut data);
        OrderOfDraw::validate("o.json", data).unwrap_err()
    }

    fn id(s: &str) -> ContainerId {
        ContainerId::parse(s).unwrap()
    }

    #[test]
    fn the_default_table_follows_clsi_gp41() {
        let o = OrderOfDraw::validate(ORDER_OF_DRAW_FILE, default_data()).unwrap();
        let pos = |s| o.position(&id(s)).unwrap();
        assert!(pos("bc-aerobic") < pos("light-blue-citrate"));
        assert!(pos("light-blue-citrate") < pos("gold-sst"));
        assert!(pos("red-plain") < pos("green-heparin"));
        assert!(pos("gold-sst") < pos("light-green-pst"));
        assert!(pos("light-green-pst") < pos("lavender-edta"));
        assert!(pos("pink-edta") < pos("grey-fluoride"));
        assert!(pos("grey-fluoride") < pos("yellow-acd"));
        assert_eq!(o.discard().container, id("light-blue-citrate"));
    }

    #[test]
    fn a_container_missing_from_the_order_is_a_gap_naming_the_file_and_entry() {
        let mut data = default_data();
        data.order.retain(|c| c.as_str() != "gold-sst");
        let e = OrderOfDraw::validate("site-a/order.json", data).unwrap_err();
        assert_eq!(
            e.problem,
            ConfigProblem::MissingFromOrder("gold-sst".into())
        );
        let text = e.to_string();
        assert!(text.contains("site-a/order.json"), "{text}");
        assert!(text.contains("gold-sst"), "{text}");
    }

    #[test]
    fn a_container_listed_twice_in_the_order_is_a_cycle() {
        let e = refused(|data| data.order.push(id("bc-aerobic")));
        assert_eq!(
            e.problem,
            ConfigProblem::RepeatedInOrder("bc-aerobic".into())
        );
        assert!(e.to_string().contains("order[13]"), "{e}");
    }

    #[test]
    fn an_unknown_container_in_the_order_is_rejected() {
        let e = refused(|data| data.order.insert(3, id("purple-mystery")));
        assert_eq!(
            e.problem,
            ConfigProblem::UnknownContainer("purple-mystery".into())
        );
    }

    #[test]
    fn a_negative_volume_is_rejected() {
        let e = refused(|data| data.containers[4].usable_volume_ml = -1.0);
        assert!(matches!(e.problem, ConfigProblem::NotPositiveVolume { .. }));
        assert!(e.to_string().contains("gold-sst"), "{e}");
    }

    #[test]
    fn a_duplicate_container_definition_is_rejected() {
        let e = refused(|data| {
            let copy = data.containers[0].clone();
            data.containers.push(copy);
        });
        assert_eq!(e.problem, ConfigProblem::Duplicate("bc-aerobic".into()));
    }

    #[test]
    fn a_clot_activator_tube_cannot_be_the_discard_tube() {
        let e = refused(|data| data.discard.container = id("red-plain"));
        assert!(e.to_string().contains("discard"), "{e}");
    }

    #[test]
    fn a_site_may_put_gold_before_light_blue() {
        let mut data = default_data();
        let gold = data
            .order
            .iter()
            .position(|c| c.as_str() == "gold-sst")
            .unwrap();
        let g = data.order.remove(gold);
        data.order.insert(2, g);
        let o = OrderOfDraw::validate("o.json", data).unwrap();
        assert!(o.position(&id("gold-sst")) < o.position(&id("light-blue-citrate")));
    }

    #[test]
    fn the_table_round_trips_through_its_file_format() {
        let o = OrderOfDraw::validate(ORDER_OF_DRAW_FILE, default_data()).unwrap();
        let json = serde_json::to_string(&o).unwrap();
        let back: OrderOfDraw = serde_json::from_str(&json).unwrap();
        assert_eq!(o, back);
    }

    #[test]
    fn broken_json_names_the_file() {
        let e = OrderOfDraw::from_json("mine.json", "{ nope").unwrap_err();
        assert!(e.to_string().starts_with("mine.json"), "{e}");
    }

    #[test]
    fn container_ids_are_validated_when_parsed() {
        assert!(ContainerId::parse("gold-sst").is_ok());
        assert!(ContainerId::parse("Gold SST").is_err());
        assert!(ContainerId::parse("").is_err());
    }
}
