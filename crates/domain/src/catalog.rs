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

/// A timed draw: when the collection must happen relative to the order's target time (its due time).
///
/// The window is `window_minutes` either side of the target unless `before_minutes` or
/// `after_minutes` says otherwise for that side: a trough is drawn in the 30 minutes before the
/// next dose (`before_minutes: 30, after_minutes: 0`). The new fields are absent when not set,
/// so catalogs and records made before them read, and hash, as they did.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Timing {
    /// Printed on the label, e.g. `TROUGH`.
    pub label: String,
    /// Allowed distance from the target time, either side (a side given below overrides it;
    /// older app versions read only this).
    pub window_minutes: u32,
    /// Allowed minutes before the target, when not `window_minutes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_minutes: Option<u32>,
    /// Allowed minutes after the target, when not `window_minutes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_minutes: Option<u32>,
    /// A drug level: the collector records when the last dose was given before drawing.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub last_dose: bool,
}

impl Timing {
    /// Minutes the window opens before the target.
    pub fn before(&self) -> u32 {
        self.before_minutes.unwrap_or(self.window_minutes)
    }

    /// Minutes the window stays open after the target.
    pub fn after(&self) -> u32 {
        self.after_minutes.unwrap_or(self.window_minutes)
    }

    /// Why this timing cannot be used, if it cannot.
    pub fn problem(&self) -> Option<String> {
        if self.label.trim().is_empty() {
            return Some("timing needs a label (printed on the tube, e.g. TROUGH)".into());
        }
        if self.window_minutes == 0 {
            return Some("timing needs window_minutes of at least one minute (the window either side, read by older app versions too)".into());
        }
        const DAY: u32 = 24 * 60;
        for (field, value) in [
            ("window_minutes", Some(self.window_minutes)),
            ("before_minutes", self.before_minutes),
            ("after_minutes", self.after_minutes),
        ] {
            if value.is_some_and(|v| v > DAY) {
                return Some(format!(
                    "timing {field} {} is more than a day ({DAY} minutes)",
                    value.unwrap_or_default()
                ));
            }
        }
        if self.before() + self.after() == 0 {
            return Some(
                "timing before_minutes and after_minutes are both 0: the window must be at least one minute".into(),
            );
        }
        None
    }
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

/// The window either side of a due time, for a timed order of a test without `timing`, when the
/// catalog does not set its own `default_window_minutes`.
pub const DEFAULT_WINDOW_MINUTES: u32 = 30;

fn default_window_minutes() -> u32 {
    DEFAULT_WINDOW_MINUTES
}

/// The catalog file as written, before validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogData {
    /// Display name of this catalog.
    pub name: String,
    /// The window either side of a due time, for a timed order of a test without `timing`.
    #[serde(default = "default_window_minutes")]
    pub default_window_minutes: u32,
    /// The tests.
    pub tests: Vec<TestDefinition>,
}

/// A validated catalog: codes unique, volumes positive (the site configuration checks the containers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "CatalogData", into = "CatalogData")]
pub struct Catalog {
    name: String,
    default_window_minutes: u32,
    tests: Vec<TestDefinition>,
}

impl Catalog {
    /// Validates a catalog that is already parsed.
    pub fn validate(file: &str, data: CatalogData) -> Result<Self, ConfigError> {
        if data.default_window_minutes == 0 || data.default_window_minutes > 24 * 60 {
            return Err(ConfigError::new(
                file,
                "default_window_minutes",
                ConfigProblem::Invalid(format!(
                    "{} is not a window: give 1 to 1440 minutes either side of a due time",
                    data.default_window_minutes
                )),
            ));
        }
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
            if let Some(problem) = t.timing.as_ref().and_then(Timing::problem) {
                return Err(err(ConfigProblem::Invalid(problem)));
            }
        }
        Ok(Self {
            name: data.name,
            default_window_minutes: data.default_window_minutes,
            tests: data.tests,
        })
    }

    /// The window either side of a due time, for a timed order of a test without `timing`.
    pub fn default_window_minutes(&self) -> u32 {
        self.default_window_minutes
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
            default_window_minutes: c.default_window_minutes,
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

    fn timing(json: &str) -> Result<Catalog, ConfigError> {
        let text = format!(
            r#"{{"name":"x","tests":[{{"code":"A","name":"A","containers":["gold-sst"],"min_volume_ml":1,"timing":{json}}}]}}"#
        );
        Catalog::from_json("c.json", &text)
    }

    #[test]
    fn a_timing_without_sides_is_symmetric_and_reads_and_writes_as_before() {
        let old = r#"{"label":"AM CORTISOL","window_minutes":60}"#;
        let t: Timing = serde_json::from_str(old).unwrap();
        assert_eq!((t.before(), t.after(), t.last_dose), (60, 60, false));
        assert_eq!(serde_json::to_string(&t).unwrap(), old);
    }

    #[test]
    fn a_side_given_overrides_the_window_on_that_side_only() {
        let c =
            timing(r#"{"label":"TROUGH","window_minutes":30,"after_minutes":0,"last_dose":true}"#)
                .unwrap();
        let t = c.tests()[0].timing.clone().unwrap();
        assert_eq!((t.before(), t.after(), t.last_dose), (30, 0, true));
    }

    #[test]
    fn a_timing_with_no_window_or_no_label_is_refused_saying_why() {
        for (json, says) in [
            (r#"{"label":"T","window_minutes":0}"#, "at least one minute"),
            (r#"{"label":" ","window_minutes":30}"#, "needs a label"),
            (
                r#"{"label":"T","window_minutes":30,"before_minutes":0,"after_minutes":0}"#,
                "both 0",
            ),
            (
                r#"{"label":"T","window_minutes":30,"before_minutes":2000}"#,
                "more than a day",
            ),
        ] {
            let e = timing(json).unwrap_err().to_string();
            assert!(
                e.contains("tests[0] 'A'") && e.contains(says),
                "{json}: {e}"
            );
        }
    }

    #[test]
    fn the_default_window_is_thirty_minutes_unless_the_catalog_says_and_zero_is_refused() {
        let c = Catalog::validate(CATALOG_FILE, default_data()).unwrap();
        assert_eq!(c.default_window_minutes(), DEFAULT_WINDOW_MINUTES);
        let text = r#"{"name":"x","default_window_minutes":45,"tests":[]}"#;
        assert_eq!(
            Catalog::from_json("c.json", text)
                .unwrap()
                .default_window_minutes(),
            45
        );
        let text = r#"{"name":"x","default_window_minutes":0,"tests":[]}"#;
        let e = Catalog::from_json("c.json", text).unwrap_err().to_string();
        assert!(
            e.contains("default_window_minutes") && e.contains("not a window"),
            "{e}"
        );
    }

    /// The vancomycin trough is drawn in the 30 minutes before the next dose (its order's due
    /// time), never after it (Rybak et al., Am J Health-Syst Pharm 2009;66:82-98: "trough
    /// concentrations should be obtained just prior to the next dose"); the peak 60 minutes after
    /// the end of the infusion (NorDx Laboratories test catalog, VANCP, LOINC 4090-7: "draw blood
    /// 60 minutes after the end of an intravenous infusion"; red-top tube), the order's due time
    /// being that target, within 15 minutes either side (our choice: a peak drifts little in a
    /// quarter hour). Both record the last dose, against which the lab reads the level.
    #[test]
    fn the_vancomycin_trough_window_closes_at_the_dose_and_the_peak_has_its_own() {
        let c = Catalog::validate(CATALOG_FILE, default_data()).unwrap();
        let timing = |code: &str| {
            c.get(&TestCode::parse(code).unwrap())
                .and_then(|t| t.timing.clone())
                .unwrap()
        };
        let trough = timing("VANCT");
        assert_eq!(
            (
                trough.label.as_str(),
                trough.before(),
                trough.after(),
                trough.last_dose
            ),
            ("TROUGH", 30, 0, true)
        );
        let peak = timing("VANCP");
        assert_eq!(
            (
                peak.label.as_str(),
                peak.before(),
                peak.after(),
                peak.last_dose
            ),
            ("PEAK", 15, 15, true)
        );
        assert_eq!(
            c.get(&TestCode::parse("VANCP").unwrap())
                .unwrap()
                .loinc
                .as_deref(),
            Some("4090-7")
        );
        let cortisol = timing("CORT");
        assert_eq!(
            (cortisol.before(), cortisol.after(), cortisol.last_dose),
            (60, 60, false)
        );
    }

    #[test]
    fn the_documented_timing_example_reads_as_a_trough() {
        let readme = include_str!("../site/README.md");
        let section = readme.split("### Timed draws").nth(1).unwrap();
        let json = section
            .split("```json")
            .nth(1)
            .unwrap()
            .split("```")
            .next()
            .unwrap();
        let t: Timing = serde_json::from_str(json).unwrap();
        assert_eq!(
            (t.before(), t.after(), t.last_dose, t.problem()),
            (30, 0, true, None)
        );
    }

    #[test]
    fn tests_can_be_found_by_loinc() {
        let c = Catalog::validate(CATALOG_FILE, default_data()).unwrap();
        assert_eq!(c.by_loinc("4092-3").unwrap().code.as_str(), "VANCT");
    }
}
