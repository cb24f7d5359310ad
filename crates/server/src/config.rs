//! Server configuration: defaults that work with no set-up, a TOML file, then `DRAWLINE_*` variables and flags.
//!
//! Precedence, highest first: command-line flag, `DRAWLINE_*` environment variable, the file named by
//! `--config` (or `./drawline.toml` when it exists), the built-in default. The file's keys are the
//! long flag names with `_` for `-`:
//!
//! ```toml
//! addr = "127.0.0.1:8080"
//! db = "drawline.sqlite"
//! dist = "dist"
//! demo = false
//! site_dir = "site"              # catalog.json and/or order-of-draw.json replacing the defaults
//! site_name = "St Elsewhere Lab"
//! fhir_base = "https://lab.example.org"
//! skew_threshold_minutes = 5     # flag a device clock further than this from the server's
//! stale_device_minutes = 60      # a device not heard from for longer is stale
//! unsynced_warning_minutes = 30  # unsynced work older than this is a warning
//! unsynced_critical_minutes = 240 # ... and older than this is critical
//! late_sync_minutes = 240        # flag collections that reached the lab this long after the draw
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Default of `skew_threshold_minutes`.
pub const DEFAULT_SKEW_THRESHOLD_MINUTES: u32 = 5;

/// Default of `stale_device_minutes`.
pub const DEFAULT_STALE_DEVICE_MINUTES: u32 = 60;
/// Default of `unsynced_warning_minutes`.
pub const DEFAULT_UNSYNCED_WARNING_MINUTES: u32 = 30;
/// Default of `unsynced_critical_minutes`.
pub const DEFAULT_UNSYNCED_CRITICAL_MINUTES: u32 = 240;
/// Default of `late_sync_minutes`.
pub const DEFAULT_LATE_SYNC_MINUTES: u32 = 240;

/// The file read when `--config` is not given, if it exists.
pub const DEFAULT_CONFIG_FILE: &str = "drawline.toml";

/// Options every command that opens the database shares.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Common {
    /// TOML configuration file (default: ./drawline.toml when present).
    #[arg(long, env = "DRAWLINE_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// SQLite database file, created if missing [default: drawline.sqlite].
    #[arg(long, env = "DRAWLINE_DB", global = true)]
    pub db: Option<PathBuf>,
    /// Folder with the site's catalog.json and/or order-of-draw.json [default: the shipped CLSI site].
    #[arg(long, env = "DRAWLINE_SITE_DIR", global = true)]
    pub site_dir: Option<PathBuf>,
    /// Base URL of the lab for exported FHIR identifiers [default: https://lab.example.org].
    #[arg(long, env = "DRAWLINE_FHIR_BASE", global = true)]
    pub fhir_base: Option<String>,
}

/// How `drawline serve` runs.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Config {
    /// Options shared with the other commands.
    #[command(flatten)]
    pub common: Common,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "DRAWLINE_ADDR")]
    pub addr: Option<SocketAddr>,
    /// Folder with the built PWA (Trunk's `dist`); the app is not served when it is missing [default: dist].
    #[arg(long, env = "DRAWLINE_DIST")]
    pub dist: Option<PathBuf>,
    /// Seed a demo site (catalog, patients, orders, users, a device) if the database is empty.
    #[arg(long, env = "DRAWLINE_DEMO")]
    pub demo: bool,
    /// Display name of the site on first start [default: Drawline lab].
    #[arg(long, env = "DRAWLINE_SITE_NAME")]
    pub site_name: Option<String>,
    /// Flag pushed collections whose device clock is further than this many minutes from the
    /// server's [default: 5].
    #[arg(long, env = "DRAWLINE_SKEW_THRESHOLD_MINUTES")]
    pub skew_threshold_minutes: Option<u32>,
    /// A device not heard from for longer than this many minutes is stale (critical when it
    /// holds unsynced work) [default: 60].
    #[arg(long, env = "DRAWLINE_STALE_DEVICE_MINUTES")]
    pub stale_device_minutes: Option<u32>,
    /// Unsynced work older than this many minutes makes a device a warning [default: 30].
    #[arg(long, env = "DRAWLINE_UNSYNCED_WARNING_MINUTES")]
    pub unsynced_warning_minutes: Option<u32>,
    /// Unsynced work older than this many minutes makes a device critical [default: 240].
    #[arg(long, env = "DRAWLINE_UNSYNCED_CRITICAL_MINUTES")]
    pub unsynced_critical_minutes: Option<u32>,
    /// Flag collections that reached the lab more than this many minutes after the draw
    /// [default: 240].
    #[arg(long, env = "DRAWLINE_LATE_SYNC_MINUTES")]
    pub late_sync_minutes: Option<u32>,
}

/// The configuration file's contents; every key is optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Listen address.
    pub addr: Option<SocketAddr>,
    /// Database file.
    pub db: Option<PathBuf>,
    /// Built app folder.
    pub dist: Option<PathBuf>,
    /// Seed the demo site.
    pub demo: Option<bool>,
    /// Site configuration folder.
    pub site_dir: Option<PathBuf>,
    /// Site display name.
    pub site_name: Option<String>,
    /// FHIR identifier base URL.
    pub fhir_base: Option<String>,
    /// Clock skew threshold in minutes.
    pub skew_threshold_minutes: Option<u32>,
    /// Stale device threshold in minutes.
    pub stale_device_minutes: Option<u32>,
    /// Unsynced work warning threshold in minutes.
    pub unsynced_warning_minutes: Option<u32>,
    /// Unsynced work critical threshold in minutes.
    pub unsynced_critical_minutes: Option<u32>,
    /// Late sync threshold in minutes.
    pub late_sync_minutes: Option<u32>,
}

/// Why the configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("reading {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML or has unknown keys.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// The resolved configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Listen address.
    pub addr: SocketAddr,
    /// Database file.
    pub db: PathBuf,
    /// Built app folder.
    pub dist: PathBuf,
    /// Seed the demo site.
    pub demo: bool,
    /// Site configuration folder, if the site replaces the defaults.
    pub site_dir: Option<PathBuf>,
    /// Site display name for a new database.
    pub site_name: String,
    /// FHIR identifier base URL.
    pub fhir_base: String,
    /// A device clock further than this many minutes from the server's is flagged.
    pub skew_threshold_minutes: u32,
    /// A device not heard from for longer than this many minutes is stale.
    pub stale_device_minutes: u32,
    /// Unsynced work older than this many minutes is a warning.
    pub unsynced_warning_minutes: u32,
    /// Unsynced work older than this many minutes is critical.
    pub unsynced_critical_minutes: u32,
    /// Collections received more than this many minutes after the draw are flagged.
    pub late_sync_minutes: u32,
}

impl Settings {
    /// The supervisor views' thresholds.
    pub fn review(&self) -> crate::review::ReviewSettings {
        let minutes = |m: u32| chrono::Duration::minutes(i64::from(m));
        crate::review::ReviewSettings {
            stale_device: minutes(self.stale_device_minutes),
            unsynced_warning: minutes(self.unsynced_warning_minutes),
            unsynced_critical: minutes(self.unsynced_critical_minutes),
            late_sync: minutes(self.late_sync_minutes),
        }
    }
}

impl FileConfig {
    /// Reads the named file, or `./drawline.toml` if none is named and it exists.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let (path, required) = match path {
            Some(p) => (p.to_path_buf(), true),
            None => (PathBuf::from(DEFAULT_CONFIG_FILE), false),
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Self::default())
            }
            Err(source) => return Err(ConfigError::Read { path, source }),
        };
        toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path,
            message: e.to_string(),
        })
    }
}

impl Common {
    /// Resolves the shared options against the file (serve-only keys take their defaults).
    pub fn resolve(&self) -> Result<Settings, ConfigError> {
        Config {
            common: self.clone(),
            ..Config::default()
        }
        .resolve()
    }
}

impl Config {
    /// Applies the precedence: flag or environment, then file, then default.
    pub fn resolve(&self) -> Result<Settings, ConfigError> {
        let file = FileConfig::load(self.common.config.as_deref())?;
        Ok(self.resolve_with(file))
    }

    /// Applies the precedence over an already-read file.
    pub fn resolve_with(&self, file: FileConfig) -> Settings {
        let c = &self.common;
        Settings {
            addr: self
                .addr
                .or(file.addr)
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
            db: c
                .db
                .clone()
                .or(file.db)
                .unwrap_or_else(|| PathBuf::from("drawline.sqlite")),
            dist: self
                .dist
                .clone()
                .or(file.dist)
                .unwrap_or_else(|| PathBuf::from("dist")),
            demo: self.demo || file.demo.unwrap_or(false),
            site_dir: c.site_dir.clone().or(file.site_dir),
            site_name: self
                .site_name
                .clone()
                .or(file.site_name)
                .unwrap_or_else(|| "Drawline lab".into()),
            fhir_base: c
                .fhir_base
                .clone()
                .or(file.fhir_base)
                .unwrap_or_else(|| "https://lab.example.org".into()),
            skew_threshold_minutes: self
                .skew_threshold_minutes
                .or(file.skew_threshold_minutes)
                .unwrap_or(DEFAULT_SKEW_THRESHOLD_MINUTES),
            stale_device_minutes: self
                .stale_device_minutes
                .or(file.stale_device_minutes)
                .unwrap_or(DEFAULT_STALE_DEVICE_MINUTES),
            unsynced_warning_minutes: self
                .unsynced_warning_minutes
                .or(file.unsynced_warning_minutes)
                .unwrap_or(DEFAULT_UNSYNCED_WARNING_MINUTES),
            unsynced_critical_minutes: self
                .unsynced_critical_minutes
                .or(file.unsynced_critical_minutes)
                .unwrap_or(DEFAULT_UNSYNCED_CRITICAL_MINUTES),
            late_sync_minutes: self
                .late_sync_minutes
                .or(file.late_sync_minutes)
                .unwrap_or(DEFAULT_LATE_SYNC_MINUTES),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_nothing_set_the_defaults_work() {
        let s = Config::default().resolve_with(FileConfig::default());
        assert_eq!(s.addr.to_string(), "127.0.0.1:8080");
        assert_eq!(s.db, PathBuf::from("drawline.sqlite"));
        assert!(!s.demo);
        assert_eq!(s.skew_threshold_minutes, 5);
    }

    #[test]
    fn the_skew_threshold_comes_from_the_flag_then_the_file() {
        let file: FileConfig = toml::from_str("skew_threshold_minutes = 10").unwrap();
        assert_eq!(
            Config::default()
                .resolve_with(file.clone())
                .skew_threshold_minutes,
            10
        );
        let config = Config {
            skew_threshold_minutes: Some(2),
            ..Config::default()
        };
        assert_eq!(config.resolve_with(file).skew_threshold_minutes, 2);
    }

    #[test]
    fn the_review_thresholds_come_from_the_flag_then_the_file_then_the_default() {
        let file: FileConfig =
            toml::from_str("stale_device_minutes = 15\nlate_sync_minutes = 60").unwrap();
        let config = Config {
            late_sync_minutes: Some(30),
            ..Config::default()
        };
        let s = config.resolve_with(file);
        assert_eq!(s.stale_device_minutes, 15);
        assert_eq!(s.late_sync_minutes, 30);
        assert_eq!(s.unsynced_warning_minutes, DEFAULT_UNSYNCED_WARNING_MINUTES);
        assert_eq!(
            s.unsynced_critical_minutes,
            DEFAULT_UNSYNCED_CRITICAL_MINUTES
        );
        assert_eq!(s.review().late_sync, chrono::Duration::minutes(30));
    }

    #[test]
    fn a_flag_beats_the_file_and_the_file_beats_the_default() {
        let file: FileConfig =
            toml::from_str("addr = \"0.0.0.0:9000\"\ndb = \"/var/lib/x.sqlite\"\ndemo = true")
                .unwrap();
        let mut config = Config::default();
        config.common.db = Some(PathBuf::from("flag.sqlite"));
        let s = config.resolve_with(file);
        assert_eq!(s.db, PathBuf::from("flag.sqlite"));
        assert_eq!(s.addr.to_string(), "0.0.0.0:9000");
        assert!(s.demo);
    }

    #[test]
    fn an_unknown_key_in_the_file_is_an_error_that_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("drawline.toml");
        std::fs::write(&path, "adress = \"x\"").unwrap();
        let err = FileConfig::load(Some(&path)).unwrap_err().to_string();
        assert!(
            err.contains("drawline.toml") && err.contains("adress"),
            "{err}"
        );
    }

    #[test]
    fn a_named_file_that_is_missing_is_an_error_but_the_default_file_is_optional() {
        assert!(FileConfig::load(Some(Path::new("/nonexistent/drawline.toml"))).is_err());
        assert!(FileConfig::load(None).is_ok());
    }
}
