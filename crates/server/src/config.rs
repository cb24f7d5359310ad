//! Server configuration: defaults that work with no set-up, overridden by flags or `DRAWLINE_*` variables.

use std::net::SocketAddr;
use std::path::PathBuf;

/// How `drawline serve` runs.
#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "DRAWLINE_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// SQLite database file (created if missing).
    #[arg(long, env = "DRAWLINE_DB", default_value = "drawline.sqlite")]
    pub db: PathBuf,
    /// Folder with the built PWA (Trunk's `dist`); the app is not served when it is missing.
    #[arg(long, env = "DRAWLINE_DIST", default_value = "dist")]
    pub dist: PathBuf,
    /// Seed a demo site (catalog, patients, orders, users, a device) if the database is empty.
    #[arg(long, env = "DRAWLINE_DEMO")]
    pub demo: bool,
}
