//! The site's catalog of orderable tests: which container each needs, how much blood and how it is handled.

use serde::{Deserialize, Serialize};

use crate::config_error::{config_file, ConfigError, ConfigProblem};
use crate::container::ContainerId;
use crate::newtype::text_newtype;
use crate::wire::wire_enum;

/// File name the default catalog is shipped and reported under.
pub const CATALOG_FILE: &str = "catalog.json";

/// Code of an orderable test in the site catalog, e.g. `CBC`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TestCode(String);

/// Why a text is not a test code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a test code: use 1 to 20 letters, digits, '-' or '_'")]
pub struct TestCodeError(pub String);

impl TestCode {
    /// Parses a test code; surrounding blanks are ignored and letters upper-cased,
    /// because codes are typed and scanned in both cases.
    pub fn parse(text: &str) -> Result<Self, TestCodeError> {
        let t = text.trim().to_ascii_uppercase();
        let ok = !t.is_empty()
            && t.len() <= 20
            && t.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '_');
        Self::checked(t, ok, text)
    }
}

wire_enum! {
    /// How a specimen is kept from the draw to the lab; tubes of different handling never share.
    pub enum Handling {
        /// No special handling.
        RoomTemperature = "room-temperature" => "",
        /// Placed in ice slurry at once.
        OnIce = "on-ice" => "ON ICE",
        /// Wrapped in foil or an amber bag.
        ProtectFromLight = "protect-from-light" => "PROTECT FROM LIGHT",
    }
}

impl Handling {
    /// Short wording for tables and labels; empty for room temperature.
    pub fn label(self) -> &'static str {
        self.display()
    }
}

wire_enum! {
    /// Which labelling rules apply to the tube.
    #[derive(Default)]
    pub enum Labelling {
        /// The ordinary bedside label.
        #[default]
        Standard = "standard",
        /// Blood bank (transfusion) labelling: all identifiers, collector initials, own tube.
        BloodBank = "blood-bank",
    }
}

/// A timed draw: when the collection must happen relative to the order's target time.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Timing {
    /// Printed on the label, e.g. `TROUGH`.
    pub label: String,
    /// Allowed distance from the target time, either side.
    pub window_minutes: u32,
}

/// One orderable test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestDefinition {
    /// Site code.
    pub code: TestCode,
    /// Display name.
    pub name: String,
    /// LOINC code when one exists.
    #[serde(default)]
    pub loinc: Option<String>,
    /// Containers the test needs (two bottles for blood cultures, one tube otherwise).
    pub containers: Vec<ContainerId>,
    /// Minimum blood volume per container.
    pub min_volume_ml: f64,
    /// How the specimen is kept.
    #[serde(default = "room_temperature")]
    pub handling: Handling,
    /// The test gets its own tube(s), shared with no other test.
    #[serde(default)]
    pub exclusive: bool,
    /// Each order of the test is drawn from its own venipuncture (blood-culture sets: two sets
    /// from two sites, so a skin contaminant in one set is told apart from a true bacteraemia).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub own_venipuncture: bool,
    /// The patient should be fasting.
    #[serde(default)]
    pub fasting: bool,
    /// Timed draw requirements.
    #[serde(default)]
    pub timing: Option<Timing>,
    /// Labelling rules.
    #[serde(default)]
    pub labelling: Labelling,
    /// Instruction for the collector.
    #[serde(default)]
    pub note: Option<String>,
}

fn room_temperature() -> Handling {
    Handling::RoomTemperature
}

/// The catalog file as written, before validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogData {
    /// Display name of this catalog.
    pub name: String,
    /// The tests.
    pub tests: Vec<TestDefinition>,
}

/// A validated catalog: codes unique, volumes positive (the site configuration checks the containers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "CatalogData", into = "CatalogData")]
pub struct Catalog {
    name: String,
    tests: Vec<TestDefinition>,
}

impl Catalog {
    /// Validates a catalog that is already parsed.
    pub fn validate(file: &str, data: CatalogData) -> Result<Self, ConfigError> {
        for (i, t) in data.tests.iter().enumerate() {
            let entry = format!("tests[{i}] '{}'", t.code);
            let err = |problem| ConfigError::new(file, &entry, problem);
            if data.tests[..i].iter().any(|u| u.code == t.code) {
                return Err(err(ConfigProblem::Duplicate(t.code.to_string())));
            }
            if !t.min_volume_ml.is_finite() || t.min_volume_ml <= 0.0 {
                return Err(err(ConfigProblem::NotPositiveVolume {
                    field: "min_volume_ml".into(),
                    value: t.min_volume_ml,
                }));
            }
            if t.containers.is_empty() {
                return Err(err(ConfigProblem::Invalid("no container given".into())));
            }
            if t.name.trim().is_empty() {
                return Err(err(ConfigProblem::Invalid("name must not be empty".into())));
            }
            if let Some(timing) = &t.timing {
                if timing.label.trim().is_empty() || timing.window_minutes == 0 {
                    return Err(err(ConfigProblem::Invalid(
                        "timing needs a label and a window of at least one minute".into(),
                    )));
                }
            }
        }
        Ok(Self {
            name: data.name,
            tests: data.tests,
        })
    }

    /// Display name of the catalog.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// All tests, in file order.
    pub fn tests(&self) -> &[TestDefinition] {
        &self.tests
    }

    /// The test with this code.
    pub fn get(&self, code: &TestCode) -> Option<&TestDefinition> {
        self.tests.iter().find(|t| &t.code == code)
    }

    /// The test whose LOINC code is this one.
    pub fn by_loinc(&self, loinc: &str) -> Option<&TestDefinition> {
        self.tests
            .iter()
            .find(|t| t.loinc.as_deref() == Some(loinc))
    }
}

config_file!(Catalog, CatalogData, CATALOG_FILE);

impl From<Catalog> for CatalogData {
    fn from(c: Catalog) -> Self {
        Self {
            name: c.name,
            tests: c.tests,
        }
    }
}

text_newtype!(TestCode, TestCodeError);

#[cfg(test)]
mod tests {
    use super::*;

    fn default_data() -> CatalogData {
        serde_json::from_str(include_str!("../site/catalog.json")).unwrap()
    }

    #[test]
    fn test_codes_are_upper_cased_and_trimmed() {
        assert_eq!(TestCode::parse(" cbc ").unwrap().as_str(), "CBC");
        assert!(TestCode::parse("C B C").is_err());
        assert!(TestCode::parse("").is_err());
    }

    #[test]
    fn a_duplicate_test_code_is_rejected_naming_the_entry() {
        let mut data = default_data();
        let mut dup = data.tests[0].clone();
        dup.name = "Another CBC".into();
        data.tests.push(dup);
        let n = data.tests.len() - 1;
        let e = Catalog::validate("site-b/catalog.json", data).unwrap_err();
        assert_eq!(e.problem, ConfigProblem::Duplicate("CBC".into()));
        let text = e.to_string();
        assert!(text.contains("site-b/catalog.json"), "{text}");
        assert!(text.contains(&format!("tests[{n}] 'CBC'")), "{text}");
    }

    #[test]
    fn a_negative_minimum_volume_is_rejected() {
        let mut data = default_data();
        data.tests[3].min_volume_ml = -0.5;
        let e = Catalog::validate("c.json", data).unwrap_err();
        assert!(matches!(e.problem, ConfigProblem::NotPositiveVolume { .. }));
        assert!(e.to_string().contains("min_volume_ml"), "{e}");
    }

    #[test]
    fn an_unknown_handling_is_a_syntax_error_naming_the_file() {
        let text = r#"{"name":"x","tests":[{"code":"A","name":"A","containers":["gold-sst"],"min_volume_ml":1,"handling":"warm"}]}"#;
        let e = Catalog::from_json("c.json", text).unwrap_err();
        assert!(matches!(e.problem, ConfigProblem::Syntax(_)));
        assert!(e.to_string().starts_with("c.json"), "{e}");
    }

    #[test]
    fn tests_can_be_found_by_loinc() {
        let c = Catalog::validate(CATALOG_FILE, default_data()).unwrap();
        assert_eq!(c.by_loinc("4092-3").unwrap().code.as_str(), "VANCT");
    }
}
