//! `cargo xtask`: installs the pinned tools, builds, runs and tests Drawline.

mod bench;
mod bundle;
mod tools;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

const USAGE: &str = "usage: cargo xtask <command>

commands:
  run           install missing tools, build the PWA (release), serve it with a demo site
                on http://127.0.0.1:8080 (SQLite file drawline.sqlite in this folder)
  test          install missing tools and run every test tier, fmt and clippy
  build         build the PWA in release mode into dist/
  bundle-size   print raw, gzip and brotli bytes of the built wasm, JS and CSS
  bench         build (release) and run the benchmarks; writes BENCHMARKS.md
                (`--quick`: smallest inputs, nothing written; `--only sync,load,bundle,cold,autosave,list`)
  setup         only install the missing tools";

fn main() {
    if let Err(e) = real_main() {
        eprintln!("xtask: error: {e:#}");
        std::process::exit(1);
    }
}

fn real_main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("run") => run_app(&args[1..]),
        Some("test") => test_all(),
        Some("build") => {
            tools::ensure_build_tools()?;
            build_pwa(true)
        }
        Some("bench") => bench::bench(&args[1..]),
        Some("bundle-size") => bundle::print(&project_root().join("dist")),
        Some("setup") => {
            tools::ensure_build_tools()?;
            tools::ensure_browser()
        }
        _ => {
            println!("{USAGE}");
            Ok(())
        }
    }
}

/// The workspace root (xtask lives one level below it).
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is inside the workspace")
        .to_path_buf()
}

/// A command run from the project root with the project's tools on PATH.
pub fn cmd(program: &str) -> Command {
    let mut c = Command::new(program);
    c.current_dir(project_root())
        .env("PATH", tools::tool_path());
    c
}

/// Runs a command, failing with its name when it fails.
pub fn run(c: &mut Command) -> Result<()> {
    let status = c
        .status()
        .with_context(|| format!("could not start {:?}", c.get_program()))?;
    if !status.success() {
        bail!("{:?} failed ({status})", c);
    }
    Ok(())
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| project_root().join("target"))
}

fn build_pwa(release: bool) -> Result<()> {
    let mut c = cmd("trunk");
    c.arg("build").env("TRUNK_SKIP_VERSION_CHECK", "true");
    if release {
        c.arg("--release");
    }
    run(&mut c)?;
    if release {
        bundle::print(&project_root().join("dist"))?;
    }
    Ok(())
}

/// Builds the `drawline` binary: optimised for `run`; for tests the debug build, which
/// tier 2 has already compiled, saves CI a whole optimised build of the server.
fn build_server(optimised: bool) -> Result<PathBuf> {
    let (profile, dir) = if optimised {
        ("server", "server")
    } else {
        ("dev", "debug")
    };
    run(cmd("cargo").args([
        "build",
        "--profile",
        profile,
        "-p",
        "drawline-server",
        "--bin",
        "drawline",
    ]))?;
    Ok(target_dir().join(dir).join("drawline"))
}

fn run_app(extra: &[String]) -> Result<()> {
    tools::ensure_build_tools()?;
    build_pwa(true)?;
    let server = build_server(true)?;
    println!("xtask: starting the lab server with the demo site; Ctrl-C stops it");
    run(cmd(server.to_str().context("server path is not UTF-8")?)
        .args([
            "serve",
            "--demo",
            "--dist",
            "dist",
            "--db",
            "drawline.sqlite",
        ])
        .args(extra))
}

fn step(name: &str) {
    println!("\n==> {name}");
}

fn test_all() -> Result<()> {
    step("tools");
    tools::ensure_build_tools()?;
    tools::ensure_browser()?;
    let schemathesis = tools::ensure_schemathesis()?;

    step("format");
    run(cmd("cargo").args(["fmt", "--all", "--check"]))?;

    step("clippy (native crates)");
    run(cmd("cargo").args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    step("clippy (the app for wasm32)");
    run(cmd("cargo").args([
        "clippy",
        "-p",
        "drawline",
        "--target",
        "wasm32-unknown-unknown",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;

    step("tier 1+2: native tests of every crate");
    run(cmd("cargo").args(["test", "--workspace"]))?;

    step("tier 3: the app's browser tests in headless Chromium");
    run(cmd("cargo")
        .args([
            "test",
            "-p",
            "drawline",
            "--target",
            "wasm32-unknown-unknown",
        ])
        .env("CHROMEDRIVER", "chromedriver")
        .env("WASM_BINDGEN_TEST_TIMEOUT", "120"))?;

    step("tier 4: end to end, the real server with the release build");
    build_pwa(true)?;
    let server = build_server(false)?;
    run(cmd("cargo")
        .args([
            "test",
            "-p",
            "drawline-e2e",
            "--",
            "--ignored",
            "--test-threads=1",
        ])
        .env("DRAWLINE_BIN", &server)
        .env("DRAWLINE_DIST", project_root().join("dist"))
        .env("SCHEMATHESIS", &schemathesis)
        .env("CHROMEDRIVER", "chromedriver"))?;

    println!("\nxtask: every tier passed");
    Ok(())
}
