//! Every pinned tool version, in one place, and the code that installs what is missing.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::{cmd, project_root, run};

/// Trunk: 0.22 needs a newer rustc than this machine's.
pub const TRUNK_VERSION: &str = "0.21.14";
/// binaryen from npm (its wasm-opt runs on node); Debian's 108 breaks the output.
pub const BINARYEN_NPM_VERSION: &str = "132.0.0";
/// terser from npm: minifies wasm-bindgen's JS glue after the build (`tools/minify-js.mjs`),
/// which Trunk's own minifier fails on.
pub const TERSER_NPM_VERSION: &str = "5.51.4";
/// FHIR.js (npm `fhir`, FHIR R4 structure definitions and value sets bundled): the independent
/// validator the tests run on the FHIR export (`tools/fhir-validate.mjs`).
pub const FHIR_JS_NPM_VERSION: &str = "4.12.0";
/// schemathesis from PyPI (in a virtualenv under .tools): the property-based API tester the
/// end-to-end tier runs over the server's OpenAPI document.
pub const SCHEMATHESIS_VERSION: &str = "4.32.5";
/// The `version_N` tag Trunk.toml must name for that wasm-opt.
pub const WASM_OPT_TAG: &str = "version_132";
/// Debian packages for the browser tests.
pub const CHROMIUM_PACKAGES: &[&str] = &["chromium", "chromium-driver"];

/// Folder of project-local tools (gitignored).
pub fn tools_dir() -> PathBuf {
    project_root().join(".tools")
}

/// The wasm-bindgen version locked in Cargo.lock; the CLI must match it exactly.
pub fn locked_wasm_bindgen_version() -> Result<String> {
    let lock =
        std::fs::read_to_string(project_root().join("Cargo.lock")).context("reading Cargo.lock")?;
    locked_version(&lock, "wasm-bindgen")
        .with_context(|| "wasm-bindgen is not in Cargo.lock".to_string())
}

/// The version of `package` in a Cargo.lock text.
pub fn locked_version(lock: &str, package: &str) -> Option<String> {
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == format!("name = \"{package}\"") {
            let version = lines.next()?.trim();
            return version
                .strip_prefix("version = \"")
                .and_then(|v| v.strip_suffix('"'))
                .map(String::from);
        }
    }
    None
}

/// The value of `key = "..."` in a TOML text (enough for Trunk.toml's flat tables).
pub fn toml_string(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        (k.trim() == key).then(|| v.trim().trim_matches('"').to_string())
    })
}

/// Fails when Trunk.toml, Cargo.lock and the pins disagree.
pub fn check_pins() -> Result<()> {
    let trunk_toml = std::fs::read_to_string(project_root().join("Trunk.toml"))?;
    let locked = locked_wasm_bindgen_version()?;
    let in_trunk = toml_string(&trunk_toml, "wasm_bindgen").unwrap_or_default();
    if in_trunk != locked {
        bail!("Trunk.toml pins wasm_bindgen = {in_trunk:?} but Cargo.lock has {locked}: make them equal");
    }
    let opt = toml_string(&trunk_toml, "wasm_opt").unwrap_or_default();
    if opt != WASM_OPT_TAG {
        bail!("Trunk.toml pins wasm_opt = {opt:?}, xtask installs {WASM_OPT_TAG}");
    }
    Ok(())
}

fn output_of(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn cargo_bin(name: &str) -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"));
    home.join("bin").join(name)
}

/// PATH with the project-local tools and cargo's bin folder first.
pub fn tool_path() -> std::ffi::OsString {
    let mut dirs = vec![tools_dir().join("node_modules").join(".bin"), cargo_bin("")];
    if let Some(p) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&p));
    }
    std::env::join_paths(dirs).expect("PATH entries are valid")
}

fn has_version(program: &Path, args: &[&str], needle: &str) -> bool {
    output_of(program.to_str().unwrap_or_default(), args).is_some_and(|o| o.contains(needle))
}

/// Installs the build tools that are missing; quick when all are there.
pub fn ensure_build_tools() -> Result<()> {
    check_pins()?;
    let targets = output_of("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if !targets
        .lines()
        .any(|t| t.trim() == "wasm32-unknown-unknown")
    {
        run(cmd("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }

    if !has_version(&cargo_bin("trunk"), &["--version"], TRUNK_VERSION) {
        eprintln!("xtask: installing trunk {TRUNK_VERSION} (about 11 minutes, once)");
        run(cmd("cargo").args(["install", "trunk", "--version", TRUNK_VERSION, "--locked"]))?;
    }

    let wbg = locked_wasm_bindgen_version()?;
    if !has_version(&cargo_bin("wasm-bindgen"), &["--version"], &wbg)
        || !has_version(&cargo_bin("wasm-bindgen-test-runner"), &["--version"], &wbg)
    {
        eprintln!("xtask: installing wasm-bindgen-cli {wbg}");
        // Not --locked: one of its locked dependencies is missing from the registry mirror.
        run(cmd("cargo").args(["install", "wasm-bindgen-cli", "--version", &wbg]))?;
    }

    npm_tool(
        "wasm-opt",
        &format!("version {}", WASM_OPT_TAG.trim_start_matches("version_")),
        &format!("binaryen@{BINARYEN_NPM_VERSION}"),
    )?;
    npm_tool(
        "terser",
        &format!("terser {TERSER_NPM_VERSION}"),
        &format!("terser@{TERSER_NPM_VERSION}"),
    )?;
    npm_package("fhir", FHIR_JS_NPM_VERSION)
}

/// Installs schemathesis into `.tools/schemathesis` unless it is there at the pinned version;
/// answers its executable.
pub fn ensure_schemathesis() -> Result<PathBuf> {
    let venv = tools_dir().join("schemathesis");
    let exe = venv.join("bin").join("schemathesis");
    if !has_version(&exe, &["--version"], SCHEMATHESIS_VERSION) {
        eprintln!("xtask: installing schemathesis {SCHEMATHESIS_VERSION} from PyPI");
        run(cmd("python3").args(["-m", "venv", "--clear"]).arg(&venv))
            .context("making a Python virtualenv (Debian: apt-get install python3-venv)")?;
        run(cmd(venv
            .join("bin")
            .join("pip")
            .to_str()
            .context("venv path is not UTF-8")?)
        .args([
            "install",
            "--quiet",
            "--disable-pip-version-check",
            &format!("schemathesis=={SCHEMATHESIS_VERSION}"),
        ]))?;
    }
    Ok(exe)
}

/// Installs the library `name` from npm into .tools unless its package.json already says `version`.
fn npm_package(name: &str, version: &str) -> Result<()> {
    let manifest = tools_dir()
        .join("node_modules")
        .join(name)
        .join("package.json");
    // npm writes `"version": "x.y.z"` on a line of its own in every package.json.
    let installed = std::fs::read_to_string(&manifest)
        .is_ok_and(|m| m.contains(&format!("\"version\": \"{version}\"")));
    if !installed {
        eprintln!("xtask: installing {name}@{version} from npm");
        std::fs::create_dir_all(tools_dir())?;
        let tools = tools_dir();
        run(cmd("npm").args([
            "install",
            "--no-audit",
            "--no-fund",
            "--prefix",
            tools.to_str().context("tools path is not UTF-8")?,
            &format!("{name}@{version}"),
        ]))?;
    }
    Ok(())
}

/// Installs `package` from npm into .tools unless its `program --version` already says `version`.
fn npm_tool(program: &str, version: &str, package: &str) -> Result<()> {
    let path = tools_dir().join("node_modules").join(".bin").join(program);
    if !has_version(&path, &["--version"], version) {
        eprintln!("xtask: installing {program} from npm {package}");
        std::fs::create_dir_all(tools_dir())?;
        let tools = tools_dir();
        run(cmd("npm").args([
            "install",
            "--no-audit",
            "--no-fund",
            "--prefix",
            tools.to_str().context("tools path is not UTF-8")?,
            package,
        ]))?;
    }
    Ok(())
}

/// Installs Chromium and chromedriver from Debian when missing (as root), or says what to install.
pub fn ensure_browser() -> Result<()> {
    let have = |p: &str| output_of(p, &["--version"]).is_some();
    if have("chromium") && have("chromedriver") {
        return Ok(());
    }
    let is_root = output_of("id", &["-u"]).is_some_and(|u| u.trim() == "0");
    if !is_root {
        bail!(
            "the browser tests need Chromium and chromedriver: run `sudo apt-get install -y {}` and try again",
            CHROMIUM_PACKAGES.join(" ")
        );
    }
    eprintln!("xtask: installing {}", CHROMIUM_PACKAGES.join(" "));
    run(cmd("apt-get").arg("update").arg("-q"))?;
    run(cmd("apt-get")
        .args(["install", "-y", "-q", "--no-install-recommends"])
        .args(CHROMIUM_PACKAGES)
        .env("DEBIAN_FRONTEND", "noninteractive"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_locked_version_is_read_from_the_package_entry_not_a_dependency_line() {
        let lock = "[[package]]\nname = \"wasm-bindgen-macro\"\nversion = \"0.2.1\"\n\n[[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\ndependencies = [\n \"wasm-bindgen-macro\",\n]\n";
        assert_eq!(
            locked_version(lock, "wasm-bindgen").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(locked_version(lock, "serde"), None);
    }

    #[test]
    fn trunk_toml_pins_agree_with_cargo_lock_and_xtask() {
        check_pins().unwrap();
    }
}
