//! Server configuration: each setting declared once, resolved flag > `DRAWLINE_*` > file > default.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The file read when `--config` is not given, if it exists. Its keys are the long flag names
/// with `_` for `-` (`skew_threshold_minutes = 10`); the crate's README lists them all.
pub const DEFAULT_CONFIG_FILE: &str = "drawline.toml";

/// Declares the settings: from one line per setting (its docs, type, optional default and the
/// constant naming it, environment variable) come the flags, the file's keys, the resolved
/// [`Settings`] and the precedence.
macro_rules! settings {
    (
        $(#[doc = $common_doc:literal])*
        shared $common:ident { $($c:tt)* }
        $(#[doc = $serve_doc:literal])*
        serve $serve:ident { $($s:tt)* }
    ) => {
        settings!(@declare
            [$(#[doc = $common_doc])* $common] [$($c)*]
            [$(#[doc = $serve_doc])* $serve] [$($s)*]
            [$($c)* $($s)*]
        );
    };
    (@declare
        [$(#[doc = $cd:literal])* $common:ident]
        [$( $(#[doc = $cdoc:literal])* $cname:ident: $cty:ty $(= $cdefault:literal $(as $cconst:ident)?)?, env $cenv:literal $(, arg($($carg:tt)*))?; )*]
        [$(#[doc = $sd:literal])* $serve:ident]
        [$( $(#[doc = $sdoc:literal])* $sname:ident: $sty:ty $(= $sdefault:literal $(as $sconst:ident)?)?, env $senv:literal $(, arg($($sarg:tt)*))?; )*]
        [$( $(#[doc = $doc:literal])* $name:ident: $ty:ty $(= $default:literal $(as $const:ident)?)?, env $env:literal $(, arg($($arg:tt)*))?; )*]
    ) => {
        $($($(
            #[doc = concat!("Default of `", stringify!($name), "`.")]
            pub const $const: $ty = $default;
        )?)?)*

        $(#[doc = $cd])*
        #[derive(Debug, Clone, Default, clap::Args)]
        pub struct $common {
            /// TOML configuration file (default: ./drawline.toml when present).
            #[arg(long, env = "DRAWLINE_CONFIG", global = true)]
            pub config: Option<PathBuf>,
            $(
                $(#[doc = $cdoc])*
                #[arg(long, env = $cenv, global = true,
                      help = help_text(&[$($cdoc),*], settings!(@text $($cdefault)?)) $(, $($carg)*)?)]
                pub $cname: Option<$cty>,
            )*
        }

        $(#[doc = $sd])*
        #[derive(Debug, Clone, Default, clap::Args)]
        pub struct $serve {
            /// Options shared with the other commands.
            #[command(flatten)]
            pub common: $common,
            $(
                $(#[doc = $sdoc])*
                #[arg(long, env = $senv,
                      help = help_text(&[$($sdoc),*], settings!(@text $($sdefault)?)) $(, $($sarg)*)?)]
                pub $sname: Option<$sty>,
            )*
        }

        /// The configuration file's contents; every key is optional.
        #[derive(Debug, Clone, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct FileConfig {
            $(
                $(#[doc = $doc])*
                pub $name: Option<$ty>,
            )*
        }

        /// The resolved configuration.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct Settings {
            $(
                $(#[doc = $doc])*
                pub $name: settings!(@resolved $ty $(, $default)?),
            )*
        }

        impl $serve {
            /// Applies the precedence over an already-read file: flag or environment, then file,
            /// then default.
            pub fn resolve_with(&self, file: FileConfig) -> Settings {
                Settings {
                    $($cname: settings!(@pick self.common.$cname.clone().or(file.$cname), $cty $(, $cdefault)?),)*
                    $($sname: settings!(@pick self.$sname.clone().or(file.$sname), $sty $(, $sdefault)?),)*
                }
            }
        }
    };
    (@text) => { None };
    (@text $default:literal) => { Some(concat!($default)) };
    (@resolved $ty:ty) => { Option<$ty> };
    (@resolved $ty:ty, $default:literal) => { $ty };
    (@pick $given:expr, $ty:ty) => { $given };
    (@pick $given:expr, $ty:ty, $default:literal) => {
        $given.unwrap_or_else(|| builtin::<$ty>(concat!($default)))
    };
}

settings! {
    /// Options every command that opens the database shares.
    shared Common {
        /// SQLite database file, created if missing.
        db: PathBuf = "drawline.sqlite", env "DRAWLINE_DB";
        /// Folder with the site's catalog.json, order-of-draw.json and/or safety.json [default: the shipped CLSI site].
        site_dir: PathBuf, env "DRAWLINE_SITE_DIR";
        /// Base URL of the lab for exported FHIR identifiers.
        fhir_base: String = "https://lab.example.org", env "DRAWLINE_FHIR_BASE";
        /// Shortest PIN a person may be given or choose.
        min_pin_length: u32 = 4 as DEFAULT_MIN_PIN_LENGTH, env "DRAWLINE_MIN_PIN_LENGTH";
        /// The lab's private key (a P-256 JWK) that opens records tablets seal to the lab; made
        /// on first start when missing, never replaced. Back it up with the database [default:
        /// beside the database, `<database file name>.lab-key.json`].
        lab_key_file: PathBuf, env "DRAWLINE_LAB_KEY_FILE";
    }
    /// How `drawline serve` runs.
    serve Config {
        /// Address to listen on.
        addr: SocketAddr = "127.0.0.1:8080", env "DRAWLINE_ADDR";
        /// Folder with the built PWA (Trunk's `dist`); the app is not served when it is missing.
        dist: PathBuf = "dist", env "DRAWLINE_DIST";
        /// Seed a demo site (catalog, patients, orders, users, a device) if the database is empty.
        demo: bool = false, env "DRAWLINE_DEMO", arg(num_args = 0, default_missing_value = "true");
        /// Display name of the site on first start.
        site_name: String = "Drawline lab", env "DRAWLINE_SITE_NAME";
        /// Flag pushed collections whose device clock is further than this many minutes from the
        /// server's.
        skew_threshold_minutes: u32 = 5 as DEFAULT_SKEW_THRESHOLD_MINUTES,
            env "DRAWLINE_SKEW_THRESHOLD_MINUTES";
        /// A device not heard from for longer than this many minutes is stale (critical when it
        /// holds unsynced work).
        stale_device_minutes: u32 = 60 as DEFAULT_STALE_DEVICE_MINUTES,
            env "DRAWLINE_STALE_DEVICE_MINUTES";
        /// Unsynced work older than this many minutes makes a device a warning.
        unsynced_warning_minutes: u32 = 30 as DEFAULT_UNSYNCED_WARNING_MINUTES,
            env "DRAWLINE_UNSYNCED_WARNING_MINUTES";
        /// Unsynced work older than this many minutes makes a device critical.
        unsynced_critical_minutes: u32 = 240 as DEFAULT_UNSYNCED_CRITICAL_MINUTES,
            env "DRAWLINE_UNSYNCED_CRITICAL_MINUTES";
        /// Flag collections that reached the lab more than this many minutes after the draw.
        late_sync_minutes: u32 = 240 as DEFAULT_LATE_SYNC_MINUTES,
            env "DRAWLINE_LATE_SYNC_MINUTES";
        /// Failed sign-ins allowed for one user on one device within the sign-in window.
        sign_in_device_limit: u32 = 5 as DEFAULT_SIGN_IN_DEVICE_LIMIT,
            env "DRAWLINE_SIGN_IN_DEVICE_LIMIT";
        /// Failed sign-ins allowed for one user across every device within the sign-in window.
        sign_in_user_limit: u32 = 10 as DEFAULT_SIGN_IN_USER_LIMIT,
            env "DRAWLINE_SIGN_IN_USER_LIMIT";
        /// How many minutes a failed sign-in counts against its user.
        sign_in_window_minutes: u32 = 15 as DEFAULT_SIGN_IN_WINDOW_MINUTES,
            env "DRAWLINE_SIGN_IN_WINDOW_MINUTES";
        /// PIN checks and hashes (Argon2, about 19 MiB each) run at once.
        pin_hash_workers: u32 = 2 as DEFAULT_PIN_HASH_WORKERS, env "DRAWLINE_PIN_HASH_WORKERS";
        /// Seconds a sign-in waits for a PIN worker before it is answered 503 busy.
        pin_hash_wait_seconds: u32 = 2 as DEFAULT_PIN_HASH_WAIT_SECONDS,
            env "DRAWLINE_PIN_HASH_WAIT_SECONDS";
        /// Pushes one device may make per minute; more are answered 429 with Retry-After.
        max_pushes_per_minute: u32 = 60 as DEFAULT_MAX_PUSHES_PER_MINUTE,
            env "DRAWLINE_MAX_PUSHES_PER_MINUTE";
        /// Refused versions whose whole body the lab keeps per device per UTC day; beyond it
        /// only their hash, size and refusal.
        max_kept_refusals_per_day: u32 = 200 as DEFAULT_MAX_KEPT_REFUSALS_PER_DAY,
            env "DRAWLINE_MAX_KEPT_REFUSALS_PER_DAY";
        /// Records the lab did not store (resends, conflicts, rejections) recorded one by one per
        /// device per UTC day; beyond, only counted in the push's audit entry.
        max_recorded_attempts_per_day: u32 = 10000 as DEFAULT_MAX_RECORDED_ATTEMPTS_PER_DAY,
            env "DRAWLINE_MAX_RECORDED_ATTEMPTS_PER_DAY";
        /// Record bodies the lab stores for one device, in MiB; a push that would store more is
        /// refused (507) and kept on the device.
        max_stored_mib_per_device: u32 = 2048 as DEFAULT_MAX_STORED_MIB_PER_DEVICE,
            env "DRAWLINE_MAX_STORED_MIB_PER_DEVICE";
        /// PEM certificate chain to serve HTTPS with (needs --tls-key).
        tls_cert: PathBuf, env "DRAWLINE_TLS_CERT";
        /// PEM private key of --tls-cert.
        tls_key: PathBuf, env "DRAWLINE_TLS_KEY";
        /// Connections served at once; more are answered 503 with Retry-After and closed (keep it
        /// well under the process's open-file limit).
        max_connections: u32 = 512 as DEFAULT_MAX_CONNECTIONS, env "DRAWLINE_MAX_CONNECTIONS";
        /// API requests worked on at once (health aside); more are answered 503 busy.
        max_in_flight: u32 = 64 as DEFAULT_MAX_IN_FLIGHT, env "DRAWLINE_MAX_IN_FLIGHT";
        /// Seconds a client has to send a request's headers (and an idle connection is kept).
        header_read_timeout_seconds: u32 = 10 as DEFAULT_HEADER_READ_TIMEOUT_SECONDS,
            env "DRAWLINE_HEADER_READ_TIMEOUT_SECONDS";
        /// Seconds a client has, after its headers, to send the whole body (else 408).
        body_read_timeout_seconds: u32 = 20 as DEFAULT_BODY_READ_TIMEOUT_SECONDS,
            env "DRAWLINE_BODY_READ_TIMEOUT_SECONDS";
        /// Ask a tablet to rotate its device token once the token is older than this many days.
        device_token_max_age_days: u32 = 30 as DEFAULT_DEVICE_TOKEN_MAX_AGE_DAYS,
            env "DRAWLINE_DEVICE_TOKEN_MAX_AGE_DAYS";
    }
}

/// A flag's help as clap writes a doc comment (lines joined, no final period), then the default.
fn help_text(doc: &[&str], default: Option<&str>) -> String {
    let text = doc.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" ");
    let text = text.strip_suffix('.').unwrap_or(&text);
    match default {
        Some(d) => format!("{text} [default: {d}]"),
        None => text.to_owned(),
    }
}

/// A built-in default, written as text in the declaration.
fn builtin<T: std::str::FromStr>(text: &str) -> T {
    text.parse()
        .unwrap_or_else(|_| panic!("the built-in default {text:?} is invalid"))
}

impl Settings {
    /// The lab key file: `lab_key_file`, else `<database file name>.lab-key.json` beside the database.
    pub fn lab_key_path(&self) -> PathBuf {
        self.lab_key_file
            .clone()
            .unwrap_or_else(|| crate::lab_key::default_path(&self.db))
    }
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
}

#[cfg(test)]
mod tests {
    use clap::Parser;

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
    fn every_built_in_default_is_valid_and_matches_its_constant() {
        let s = Config::default().resolve_with(FileConfig::default());
        assert_eq!(s.dist, PathBuf::from("dist"));
        assert_eq!(s.site_dir, None);
        assert_eq!(s.site_name, "Drawline lab");
        assert_eq!(s.fhir_base, "https://lab.example.org");
        assert_eq!(s.skew_threshold_minutes, DEFAULT_SKEW_THRESHOLD_MINUTES);
        assert_eq!(s.stale_device_minutes, DEFAULT_STALE_DEVICE_MINUTES);
        assert_eq!(s.unsynced_warning_minutes, DEFAULT_UNSYNCED_WARNING_MINUTES);
        assert_eq!(
            s.unsynced_critical_minutes,
            DEFAULT_UNSYNCED_CRITICAL_MINUTES
        );
        assert_eq!(s.late_sync_minutes, DEFAULT_LATE_SYNC_MINUTES);
        assert_eq!(
            s.lab_key_path(),
            PathBuf::from("drawline.sqlite.lab-key.json")
        );
    }

    #[test]
    fn the_lab_key_file_follows_the_database_unless_it_is_set() {
        let file: FileConfig = toml::from_str("db = \"/srv/lab/x.sqlite\"").unwrap();
        let s = Config::default().resolve_with(file);
        assert_eq!(
            s.lab_key_path(),
            PathBuf::from("/srv/lab/x.sqlite.lab-key.json")
        );
        let file: FileConfig = toml::from_str("lab_key_file = \"/etc/drawline/key.json\"").unwrap();
        let s = Config::default().resolve_with(file);
        assert_eq!(s.lab_key_path(), PathBuf::from("/etc/drawline/key.json"));
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

    #[derive(Debug, Parser)]
    struct Serve {
        #[command(flatten)]
        config: Config,
    }

    #[test]
    fn the_demo_switch_takes_no_value_and_is_unset_when_absent() {
        let given = Serve::try_parse_from(["serve", "--demo", "--site-name", "X"]).unwrap();
        assert_eq!(given.config.demo, Some(true));
        assert_eq!(given.config.site_name.as_deref(), Some("X"));
        let absent = Serve::try_parse_from(["serve"]).unwrap();
        assert_eq!(absent.config.demo, None);
    }

    #[test]
    fn a_flag_shows_its_default_in_the_help() {
        let help = <Serve as clap::CommandFactory>::command()
            .render_help()
            .to_string();
        assert!(
            help.contains("Address to listen on [default: 127.0.0.1:8080]"),
            "{help}"
        );
        assert!(help.contains("DRAWLINE_LATE_SYNC_MINUTES"), "{help}");
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
