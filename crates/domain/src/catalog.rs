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
    /// How a specimen is kept from the draw to the lab. On-ice tests never share a tube with
    /// other tests (cooling changes e.g. potassium); a protect-from-light test may share with
    /// room-temperature ones, and the whole tube is then protected from light.
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

wire_enum! {
    /// What a test's minimum volume is a volume of. Lab directories list serum or plasma
    /// volumes; the planner packs tubes by blood volume and converts with the catalog's
    /// `serum_plasma_yield`.
    #[derive(Default)]
    pub enum VolumeOf {
        /// Whole blood, as drawn (the default, so older site files keep their meaning).
        #[default]
        Blood = "blood" => "blood",
        /// Serum, after clotting and centrifugation.
        Serum = "serum" => "serum",
        /// Plasma, after centrifugation.
        Plasma = "plasma" => "plasma",
    }
}

/// Share of a blood volume recovered as serum or plasma when the catalog does not say: about
/// half at a typical haematocrit of 40 to 45 %.
pub const DEFAULT_SERUM_PLASMA_YIELD: f64 = 0.5;

fn is_blood(v: &VolumeOf) -> bool {
    *v == VolumeOf::Blood
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Handling a test adds to its tube beyond `handling` (`instructions` in `catalog.json`):
/// shown to the collector on the tube card and merged when tests share a tube.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestInstructions {
    /// Keep the specimen at 37 °C from the draw to the lab (e.g. cold agglutinins).
    #[serde(default, skip_serializing_if = "is_false")]
    pub keep_at_37c: bool,
    /// Deliver to the lab within this many minutes of the draw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deliver_within_minutes: Option<u32>,
    /// For a test drawn into several bottles: its containers in the order they are filled
    /// (blood cultures: aerobic first).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bottle_order: Vec<ContainerId>,
    /// The tube is labelled by hand at the bedside (blood bank).
    #[serde(default, skip_serializing_if = "is_false")]
    pub hand_label: bool,
}

impl TestInstructions {
    /// True when the test adds no instruction.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
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
    /// Minimum volume per container, of blood, serum or plasma as `volume_of` says.
    pub min_volume_ml: f64,
    /// What `min_volume_ml` measures; blood when absent.
    #[serde(default, skip_serializing_if = "is_blood")]
    pub volume_of: VolumeOf,
    /// Lab section or analyser that runs the test (e.g. `haematology`, `chemistry`): tests of
    /// different sections never share a tube; a test without one shares with any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
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
    /// Structured handling the test adds to its tube.
    #[serde(default, skip_serializing_if = "TestInstructions::is_empty")]
    pub instructions: TestInstructions,
    // The blood volume in whole microlitres, set when the catalog is validated.
    #[serde(skip)]
    blood_ul: Option<u64>,
}

impl TestDefinition {
    /// The blood to draw for this test in one container, in mL: `min_volume_ml` itself for a
    /// blood volume, divided by the catalog's serum/plasma yield for a serum or plasma volume.
    pub fn blood_volume_ml(&self) -> f64 {
        self.blood_ul.map_or_else(
            || {
                blood_ml(
                    self.min_volume_ml,
                    self.volume_of,
                    DEFAULT_SERUM_PLASMA_YIELD,
                )
            },
            |ul| ul as f64 / 1000.0,
        )
    }
}

/// The blood volume that yields `volume` mL of `of` when `serum_plasma_yield` of blood is
/// recovered as serum or plasma (rounded to whole microlitres so sums are exact).
pub fn blood_ml(volume: f64, of: VolumeOf, serum_plasma_yield: f64) -> f64 {
    let ml = match of {
        VolumeOf::Blood => volume,
        VolumeOf::Serum | VolumeOf::Plasma => volume / serum_plasma_yield,
    };
    (ml * 1000.0).round() / 1000.0
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
    /// Share of a blood volume recovered as serum or plasma, for tests whose minimum volume
    /// is one of serum or plasma (0.5 when absent).
    #[serde(default = "default_yield", skip_serializing_if = "is_default_yield")]
    pub serum_plasma_yield: f64,
    /// The window either side of a due time, for a timed order of a test without `timing`.
    #[serde(default = "default_window_minutes")]
    pub default_window_minutes: u32,
    /// The tests.
    pub tests: Vec<TestDefinition>,
}

fn default_yield() -> f64 {
    DEFAULT_SERUM_PLASMA_YIELD
}

fn is_default_yield(y: &f64) -> bool {
    *y == DEFAULT_SERUM_PLASMA_YIELD
}

/// A validated catalog: codes unique, volumes positive (the site configuration checks the containers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "CatalogData", into = "CatalogData")]
pub struct Catalog {
    name: String,
    serum_plasma_yield: f64,
    default_window_minutes: u32,
    tests: Vec<TestDefinition>,
}

impl Catalog {
    /// Validates a catalog that is already parsed.
    pub fn validate(file: &str, mut data: CatalogData) -> Result<Self, ConfigError> {
        let y = data.serum_plasma_yield;
        if !y.is_finite() || y <= 0.0 || y > 1.0 {
            return Err(ConfigError::new(
                file,
                "serum_plasma_yield",
                ConfigProblem::Invalid(format!(
                    "{y} is not a share of the blood: use a number above 0 and at most 1"
                )),
            ));
        }
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
            if t.section.as_deref().is_some_and(|s| s.trim().is_empty()) {
                return Err(err(ConfigProblem::Invalid(
                    "section must not be empty: leave it out to share with any section".into(),
                )));
            }
            if t.handling == Handling::OnIce && t.instructions.keep_at_37c {
                return Err(err(ConfigProblem::Invalid(
                    "a test cannot be both on ice and kept at 37 °C".into(),
                )));
            }
            if t.instructions.deliver_within_minutes == Some(0) {
                return Err(err(ConfigProblem::Invalid(
                    "deliver_within_minutes must be at least 1".into(),
                )));
            }
            if let Some(problem) = t.timing.as_ref().and_then(Timing::problem) {
                return Err(err(ConfigProblem::Invalid(problem)));
            }
        }
        for t in &mut data.tests {
            t.blood_ul = Some((blood_ml(t.min_volume_ml, t.volume_of, y) * 1000.0).round() as u64);
        }
        Ok(Self {
            name: data.name,
            serum_plasma_yield: y,
            default_window_minutes: data.default_window_minutes,
            tests: data.tests,
        })
    }

    /// Share of a blood volume recovered as serum or plasma.
    pub fn serum_plasma_yield(&self) -> f64 {
        self.serum_plasma_yield
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
            serum_plasma_yield: c.serum_plasma_yield,
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
        let json = crate::test_support::site_readme_json("### Timed draws");
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
