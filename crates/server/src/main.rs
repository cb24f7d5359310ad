//! The `drawline` command line: serve the lab server, and tools for lab staff.

use clap::Parser;
use drawline_server::cli::{run, Cli};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_env("DRAWLINE_LOG")
        .unwrap_or_else(|_| "info,tower_http=info".into());
    // Logs go to standard error so standard output stays for results (plan --json, export, codes).
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    if std::env::var("DRAWLINE_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().init();
    } else {
        builder.init();
    }
    // Lab staff read this, not a developer: the cause chain on one line, never a backtrace.
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
