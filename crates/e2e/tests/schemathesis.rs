//! Schemathesis over the generated OpenAPI document, against the real server binary, as a bare
//! device, a collector and a supervisor: no 5xx, and no answer the document does not describe.

use std::path::PathBuf;
use std::process::Stdio;

use anyhow::{bail, Context, Result};
use drawline_e2e::lab::Lab;
use drawline_e2e::Server;

/// Test cases per operation and phase: enough to walk every route's bad inputs, bounded so the
/// three runs take well under two minutes on a 2-core machine.
const MAX_EXAMPLES: &str = "25";

/// Operations that end the caller's own credentials (signing out, revoking its device, ending a
/// person's sessions): run, they would turn the rest of the run into 401s. The API tests cover them.
const ENDS_OWN_CREDENTIALS: &[&str] = &[
    "--exclude-path",
    "/sessions/current",
    "--exclude-path-regex",
    "(/revoke|/end-sessions)$",
];

fn schemathesis() -> Result<PathBuf> {
    let path = std::env::var_os("SCHEMATHESIS")
        .map(PathBuf::from)
        .context(
            "SCHEMATHESIS names the schemathesis executable (`cargo xtask test` installs it)",
        )?;
    if !path.is_file() {
        bail!("SCHEMATHESIS={} is not a file", path.display());
    }
    Ok(path)
}

/// Runs schemathesis against `base` with `token`; fails with its report when it finds anything.
async fn run(base: &str, who: &str, token: &str) -> Result<()> {
    let api = format!("{base}/api/v1");
    let report = tempfile::tempdir()?;
    let out = tokio::process::Command::new(schemathesis()?)
        .arg("run")
        .arg(format!("{api}/openapi.json"))
        .args(["--url", &api])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
        ])
        .args(["--max-examples", MAX_EXAMPLES, "--seed", "17", "--workers", "1"])
        .args(["--phases", "examples,coverage,fuzzing"])
        .args(["--suppress-health-check", "all", "--no-color"])
        .args(ENDS_OWN_CREDENTIALS)
        .arg("--report-dir")
        .arg(report.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .await
        .context("running schemathesis")?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!(
            "schemathesis as {who} found problems:\n{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let summary = text
        .lines()
        .rev()
        .find(|l| l.contains(" in "))
        .unwrap_or("");
    println!("schemathesis as {who}: {summary}");
    Ok(())
}

#[tokio::test]
#[ignore = "needs the release PWA, the server binary, chromedriver and schemathesis: run `cargo xtask test`"]
async fn generated_requests_as_device_collector_and_supervisor_get_no_5xx_and_only_documented_answers(
) -> Result<()> {
    let server = Server::start().await?;
    let lab = Lab::new(&server.base);
    let device = lab.enroll(server.demo_code()?).await?;
    let supervisor = lab.sign_in(&device, "sam", "9876").await?;
    // Each role on a device of its own, so what one run does to its device leaves the others be.
    let collector_device = lab
        .enroll(
            &lab.new_device(&supervisor, "Schemathesis collector")
                .await?,
        )
        .await?;
    let collector = lab.sign_in(&collector_device, "amara", "1234").await?;
    let bare_device = lab
        .enroll(&lab.new_device(&supervisor, "Schemathesis device").await?)
        .await?;

    run(&server.base, "a bare device token", &bare_device).await?;
    run(&server.base, "a collector", &collector).await?;
    run(&server.base, "a supervisor", &supervisor).await?;
    Ok(())
}
