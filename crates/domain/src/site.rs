//! A site's configuration (order of draw + test catalog) loaded from data files and checked as a whole.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::catalog::{Catalog, CatalogData, TestCode, TestDefinition, VolumeOf, CATALOG_FILE};
pub use crate::config_error::{ConfigError, ConfigProblem};
use crate::order_of_draw::{ContainerType, OrderOfDraw, OrderOfDrawData, ORDER_OF_DRAW_FILE};
use crate::safety::{SafetyRules, SAFETY_FILE};

/// The shipped default order of draw (CLSI GP41).
pub const DEFAULT_ORDER_OF_DRAW_JSON: &str = include_str!("../site/order-of-draw.json");
/// The shipped seed test catalog.
pub const DEFAULT_CATALOG_JSON: &str = include_str!("../site/catalog.json");

/// Both site configuration files, before validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteConfigData {
    /// Order of draw.
    pub order_of_draw: OrderOfDrawData,
    /// Test catalog.
    pub catalog: CatalogData,
    /// Safety rules (`safety.json`); the defaults when absent.
    #[serde(default)]
    pub safety: SafetyRules,
}

/// A validated site configuration: the order of draw and a catalog whose tests all fit its containers.
///
/// Serialises as `{"order_of_draw": ..., "catalog": ...}` in the file formats, so the server can
/// send it to devices and the app can store it; deserialising validates again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "SiteConfigData", into = "SiteConfigData")]
pub struct SiteConfig {
    order_of_draw: OrderOfDraw,
    catalog: Catalog,
    safety: SafetyRules,
}

impl SiteConfig {
    /// The shipped default site: CLSI GP41 and the seed catalog.
    pub fn default_site() -> Self {
        Self::from_json(
            (ORDER_OF_DRAW_FILE, DEFAULT_ORDER_OF_DRAW_JSON),
            (CATALOG_FILE, DEFAULT_CATALOG_JSON),
        )
        .expect("the shipped site configuration is valid (checked by tests)")
    }

    /// Loads a site from the texts of its two files, each given as `(file name, text)`.
    pub fn from_json(
        order_of_draw: (&str, &str),
        catalog: (&str, &str),
    ) -> Result<Self, ConfigError> {
        let o = OrderOfDraw::from_json(order_of_draw.0, order_of_draw.1)?;
        let c = Catalog::from_json(catalog.0, catalog.1)?;
        Self::new(o, c, catalog.0)
    }

    /// Loads `order-of-draw.json` and `catalog.json` from a folder; a missing file falls back
    /// to the shipped default, so a site may replace only its catalog.
    pub fn from_dir(dir: &Path) -> Result<Self, ConfigError> {
        let read = |name: &str, default: &str| -> Result<(String, String), ConfigError> {
            let path = dir.join(name);
            let shown = path.display().to_string();
            match std::fs::read_to_string(&path) {
                Ok(text) => Ok((shown, text)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    Ok((name.to_owned(), default.to_owned()))
                }
                Err(e) => Err(ConfigError::new(
                    &shown,
                    "(file)",
                    ConfigProblem::Syntax(e.to_string()),
                )),
            }
        };
        let (of, ot) = read(ORDER_OF_DRAW_FILE, DEFAULT_ORDER_OF_DRAW_JSON)?;
        let (cf, ct) = read(CATALOG_FILE, DEFAULT_CATALOG_JSON)?;
        let site = Self::from_json((&of, &ot), (&cf, &ct))?;
        let (sf, st) = read(SAFETY_FILE, "{}")?;
        let safety = serde_json::from_str(&st)
            .map_err(|e| ConfigError::new(&sf, "(file)", ConfigProblem::Syntax(e.to_string())))?;
        Ok(site.with_safety(safety))
    }

    /// Combines an order of draw and a catalog, checking every test's containers and volumes;
    /// errors name `catalog_file`.
    pub fn new(
        order_of_draw: OrderOfDraw,
        catalog: Catalog,
        catalog_file: &str,
    ) -> Result<Self, ConfigError> {
        for (i, t) in catalog.tests().iter().enumerate() {
            let entry = format!("tests[{i}] '{}'", t.code);
            for c in &t.containers {
                let Some(container) = order_of_draw.container(c) else {
                    return Err(ConfigError::new(
                        catalog_file,
                        &entry,
                        ConfigProblem::UnknownContainer(c.to_string()),
                    ));
                };
                if t.blood_volume_ml() > container.usable_volume_ml {
                    let of = match t.volume_of {
                        VolumeOf::Blood => String::new(),
                        other => format!(" ({} mL of blood for that {other})", t.blood_volume_ml()),
                    };
                    return Err(ConfigError::new(
                        catalog_file,
                        &entry,
                        ConfigProblem::Invalid(format!(
                            "min_volume_ml {}{of} is more than the {} mL usable in '{}'",
                            t.min_volume_ml, container.usable_volume_ml, c
                        )),
                    ));
                }
            }
            let bottles = &t.instructions.bottle_order;
            if !bottles.is_empty() {
                let positions: Vec<Option<u32>> = bottles
                    .iter()
                    .map(|b| {
                        t.containers
                            .contains(b)
                            .then(|| order_of_draw.position(b))
                            .flatten()
                    })
                    .collect();
                let in_order = positions.iter().all(Option::is_some)
                    && positions.windows(2).all(|w| w[0] < w[1]);
                if !in_order {
                    return Err(ConfigError::new(
                        catalog_file,
                        &entry,
                        ConfigProblem::Invalid(
                            "bottle_order must list the test's own containers, each once, in the site's order of draw".into(),
                        ),
                    ));
                }
            }
        }
        Ok(Self {
            order_of_draw,
            catalog,
            safety: SafetyRules::default(),
        })
    }

    /// The safety rules (accession format, MRN comparison, second wristband scan).
    pub fn safety(&self) -> &SafetyRules {
        &self.safety
    }

    /// Returns this site with these safety rules.
    pub fn with_safety(mut self, safety: SafetyRules) -> Self {
        self.safety = safety;
        self
    }

    /// The order of draw.
    pub fn order_of_draw(&self) -> &OrderOfDraw {
        &self.order_of_draw
    }

    /// The catalog.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The test with this code.
    pub fn test(&self, code: &TestCode) -> Option<&TestDefinition> {
        self.catalog.get(code)
    }

    /// The window either side of a due time, for a timed order of a test without catalog
    /// timing (the catalog's `default_window_minutes`).
    pub fn default_window_minutes(&self) -> u32 {
        self.catalog.default_window_minutes()
    }

    /// The container type with this id.
    pub fn container(&self, id: &crate::order_of_draw::ContainerId) -> Option<&ContainerType> {
        self.order_of_draw.container(id)
    }

    /// Returns this site with the option "discard before any coagulation tube" set.
    pub fn with_discard_before_any_coagulation(mut self, on: bool) -> Self {
        self.order_of_draw.set_discard_before_any_coagulation(on);
        self
    }
}

impl TryFrom<SiteConfigData> for SiteConfig {
    type Error = ConfigError;
    fn try_from(data: SiteConfigData) -> Result<Self, Self::Error> {
        let o = OrderOfDraw::validate(ORDER_OF_DRAW_FILE, data.order_of_draw)?;
        let c = Catalog::validate(CATALOG_FILE, data.catalog)?;
        Ok(Self::new(o, c, CATALOG_FILE)?.with_safety(data.safety))
    }
}

impl From<SiteConfig> for SiteConfigData {
    fn from(s: SiteConfig) -> Self {
        Self {
            order_of_draw: s.order_of_draw.into(),
            catalog: s.catalog.into(),
            safety: s.safety,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Handling;
    use crate::catalog::Labelling;

    fn code(s: &str) -> TestCode {
        TestCode::parse(s).unwrap()
    }

    #[test]
    fn the_shipped_site_loads_with_at_least_thirty_tests() {
        let site = SiteConfig::default_site();
        assert!(site.catalog().tests().len() >= 30);
    }

    #[test]
    fn the_seed_catalog_puts_each_required_test_in_the_required_container() {
        let site = SiteConfig::default_site();
        let expect = [
            ("CBC", "lavender-edta"),
            ("HBA1C", "lavender-edta"),
            ("ESR", "lavender-edta"),
            ("BMP", "gold-sst"),
            ("CMP", "gold-sst"),
            ("LIPID", "gold-sst"),
            ("TSH", "gold-sst"),
            ("FERR", "gold-sst"),
            ("MG", "gold-sst"),
            ("TROP", "light-green-pst"),
            ("PT", "light-blue-citrate"),
            ("APTT", "light-blue-citrate"),
            ("GLU", "grey-fluoride"),
            ("LACT", "grey-fluoride"),
            ("NH3", "green-heparin"),
            ("TBIL", "gold-sst"),
            ("TS", "pink-edta"),
            ("VANCT", "red-plain"),
        ];
        for (c, container) in expect {
            let t = site.test(&code(c)).unwrap_or_else(|| panic!("{c} missing"));
            assert_eq!(t.containers.len(), 1, "{c}");
            assert_eq!(t.containers[0].as_str(), container, "{c}");
        }
        let bcx = site.test(&code("BCX")).unwrap();
        let bottles: Vec<_> = bcx.containers.iter().map(|c| c.as_str()).collect();
        assert_eq!(bottles, ["bc-aerobic", "bc-anaerobic"]);
        assert!(bcx.exclusive);
    }

    #[test]
    fn the_seed_catalog_carries_handling_exclusivity_and_timing() {
        let site = SiteConfig::default_site();
        let t = |c| site.test(&code(c)).unwrap().clone();
        assert_eq!(t("LACT").handling, Handling::OnIce);
        assert_eq!(t("NH3").handling, Handling::OnIce);
        assert_eq!(t("TBIL").handling, Handling::ProtectFromLight);
        assert!(t("TS").exclusive);
        assert_eq!(t("TS").labelling, Labelling::BloodBank);
        assert_eq!(t("VANCT").timing.unwrap().label, "TROUGH");
        assert!(t("LIPID").fasting);
        let light_blue = site.container(&t("PT").containers[0]).unwrap().clone();
        assert!(light_blue.fill_to_line);
        assert_eq!(t("CBC").loinc.as_deref(), Some("58410-2"));
    }

    #[test]
    fn a_test_in_an_unknown_container_is_rejected_naming_the_catalog_file() {
        let text = DEFAULT_CATALOG_JSON.replacen("\"gold-sst\"", "\"gold-sstt\"", 1);
        let e = SiteConfig::from_json(
            (ORDER_OF_DRAW_FILE, DEFAULT_ORDER_OF_DRAW_JSON),
            ("north/catalog.json", &text),
        )
        .unwrap_err();
        assert_eq!(e.file, "north/catalog.json");
        assert_eq!(
            e.problem,
            ConfigProblem::UnknownContainer("gold-sstt".into())
        );
        assert!(e.entry.contains("BMP"), "{e}");
        assert_eq!(
            e.to_string(),
            "north/catalog.json: tests[6] 'BMP': unknown container 'gold-sstt'"
        );
    }

    #[test]
    fn a_test_needing_more_than_its_tube_holds_is_rejected() {
        let text =
            DEFAULT_CATALOG_JSON.replacen("\"min_volume_ml\": 1.0", "\"min_volume_ml\": 99.0", 1);
        let e = SiteConfig::from_json(
            (ORDER_OF_DRAW_FILE, DEFAULT_ORDER_OF_DRAW_JSON),
            (CATALOG_FILE, &text),
        )
        .unwrap_err();
        assert!(e.to_string().contains("usable"), "{e}");
    }

    #[test]
    fn the_site_round_trips_through_json_and_is_validated_on_the_way_in() {
        let site = SiteConfig::default_site();
        let json = serde_json::to_string(&site).unwrap();
        let back: SiteConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(site, back);
        let broken = json.replacen("\"lavender-edta\"]", "\"nowhere\"]", 1);
        let e = serde_json::from_str::<SiteConfig>(&broken).unwrap_err();
        assert!(e.to_string().contains("unknown container"), "{e}");
    }

    #[test]
    fn a_site_folder_may_replace_only_the_catalog() {
        let dir = std::env::temp_dir().join(format!("drawline-site-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let small = r#"{"name":"tiny","tests":[{"code":"CBC","name":"CBC","containers":["lavender-edta"],"min_volume_ml":1}]}"#;
        std::fs::write(dir.join(CATALOG_FILE), small).unwrap();
        let site = SiteConfig::from_dir(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(site.catalog().tests().len(), 1);
        assert_eq!(site.order_of_draw().containers().len(), 13);
    }

    fn with_catalog(catalog: &str) -> Result<SiteConfig, ConfigError> {
        SiteConfig::from_json(
            (ORDER_OF_DRAW_FILE, DEFAULT_ORDER_OF_DRAW_JSON),
            ("c.json", catalog),
        )
    }

    #[test]
    fn a_bottle_order_against_the_order_of_draw_is_rejected_naming_the_test() {
        let e = with_catalog(
            r#"{"name":"x","tests":[{"code":"BCX","name":"Cultures","containers":["bc-aerobic","bc-anaerobic"],"min_volume_ml":8,"exclusive":true,"instructions":{"bottle_order":["bc-anaerobic","bc-aerobic"]}}]}"#,
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("c.json: tests[0] 'BCX': bottle_order"),
            "{e}"
        );
    }

    #[test]
    fn a_test_on_ice_and_at_37_degrees_is_rejected() {
        let e = with_catalog(
            r#"{"name":"x","tests":[{"code":"A","name":"A","containers":["gold-sst"],"min_volume_ml":1,"handling":"on-ice","instructions":{"keep_at_37c":true}}]}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("both on ice and kept at 37"), "{e}");
    }

    #[test]
    fn a_serum_plasma_yield_outside_zero_to_one_is_rejected() {
        let e = with_catalog(r#"{"name":"x","serum_plasma_yield":1.5,"tests":[]}"#).unwrap_err();
        assert_eq!(e.entry, "serum_plasma_yield");
    }

    #[test]
    fn a_serum_volume_too_large_for_its_tube_once_converted_to_blood_is_rejected() {
        // 3 mL of serum is 6 mL of blood at the default yield: more than the 5 mL gold tube.
        let e = with_catalog(
            r#"{"name":"x","tests":[{"code":"A","name":"A","containers":["gold-sst"],"min_volume_ml":3,"volume_of":"serum"}]}"#,
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("6 mL of blood for that serum"),
            "{e}"
        );
    }

    #[test]
    fn an_unknown_instruction_is_refused_naming_the_file() {
        let e = with_catalog(
            r#"{"name":"x","tests":[{"code":"A","name":"A","containers":["gold-sst"],"min_volume_ml":1,"instructions":{"shake":true}}]}"#,
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("c.json"), "{e}");
    }

    #[test]
    fn the_documented_catalog_entry_example_reads_and_plans_its_blood_volume() {
        let json = crate::test_support::site_readme_json("## catalog.json");
        let site = with_catalog(json).unwrap();
        let nh3 = site.test(&code("NH3")).unwrap();
        assert_eq!(nh3.volume_of, VolumeOf::Plasma);
        assert_eq!(nh3.blood_volume_ml(), 2.0);
        let plan = site
            .plan(&["NH3"], crate::planner::Device::EvacuatedHolder)
            .unwrap();
        assert_eq!(plan.tubes[0].required_ml, 2.0);
        assert_eq!(plan.tubes[0].instructions.deliver_within_minutes, Some(30));
    }
}
