//! `cargo xtask bench`: builds what the benchmarks need and runs crates/bench, which writes BENCHMARKS.md.

use std::process::Command;

use anyhow::Result;

use crate::{build_pwa, build_server, cmd, project_root, run, target_dir, tools};

/// Builds the release app, the optimised server, the empty reference app and the benchmark
/// binary, then runs it; `args` go to the binary (`--quick`, `--only sync,load,...`).
pub fn bench(args: &[String]) -> Result<()> {
    tools::ensure_build_tools()?;
    tools::ensure_browser()?;
    build_pwa(true)?;
    let server = build_server(true)?;
    let empty = project_root().join("bench").join("empty-app");
    // The same target folder as the app, so the reference reuses the wasm dependencies built
    // with the same profile instead of compiling Leptos a second time.
    run(cmd("trunk")
        .args(["build", "--release"])
        .current_dir(&empty)
        .env("TRUNK_SKIP_VERSION_CHECK", "true")
        .env("CARGO_TARGET_DIR", target_dir()))?;
    // Optimised like the server: the benchmark generates the load and must not be what limits it.
    run(cmd("cargo").args(["build", "--profile", "server", "-p", "drawline-bench"]))?;
    let root = project_root();
    run(
        Command::new(target_dir().join("server").join("drawline-bench"))
            // The default output first, so a `--out` of the caller's wins.
            .arg("--out")
            .arg(root.join("BENCHMARKS.md"))
            .args(args)
            .current_dir(&root)
            .env("DRAWLINE_BIN", &server)
            .env("DRAWLINE_DIST", root.join("dist"))
            .env("EMPTY_APP_DIST", empty.join("dist"))
            .env("CHROMEDRIVER", "chromedriver")
            // Every server the benchmarks start logs the same (little), figures and references alike.
            .env("DRAWLINE_LOG", "warn"),
    )
}
