//! The independent FHIR R4 validator (FHIR.js via `tools/fhir-validate.mjs`) as every test tier runs it.
//!
//! Public with the `test-support` feature: the domain's, the server's and the end-to-end tests
//! all check exports with it, so a missing validator is handled the same way everywhere.

use serde_json::Value;

/// Runs the independent validator on `resources` (file stem, resource), written to a fresh
/// temporary folder named after `name`: its exit code and report, or `None` when it is not
/// installed and this is not CI (said loudly). Under `CI=true` a missing validator panics, so
/// CI can never pass without it.
pub fn run(name: &str, resources: &[(&str, &Value)]) -> Option<(i32, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = std::env::temp_dir().join(format!(
        "drawline-fhir-{name}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    ));
    std::fs::create_dir_all(&dir).expect("a temporary folder for the validator");
    let files: Vec<_> = resources
        .iter()
        .map(|(file, value)| {
            let path = dir.join(format!("{file}.json"));
            let json = serde_json::to_vec_pretty(value).expect("JSON values serialise");
            std::fs::write(&path, json).expect("the validator's input is written");
            path
        })
        .collect();
    let out = std::process::Command::new("node")
        .arg(root.join("tools/fhir-validate.mjs"))
        .args(&files)
        .output();
    let _ = std::fs::remove_dir_all(&dir);
    let (code, text) = match out {
        Ok(o) => (
            o.status.code().unwrap_or(-1),
            format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            ),
        ),
        Err(e) => (3, format!("node could not be started: {e}")),
    };
    if code == 3 {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "CI=true and the independent FHIR validator is missing: {text}"
        );
        eprintln!(
            "\n*** SKIPPED: the independent FHIR R4 validator is not installed ({}); run `cargo xtask setup` ***\n",
            text.trim()
        );
        return None;
    }
    Some((code, text))
}
