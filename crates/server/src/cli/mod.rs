//! The `drawline` command line: serve the lab server, and tools for lab staff and scripts.

pub mod devices;
pub mod export;
pub mod import_outbox;
pub mod orders;
pub mod plan;
pub mod serve;
pub mod users;

use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use drawline_domain::SiteConfig;

use crate::config::{Common, Config, Settings};
use crate::store::{SqliteStore, Store};

/// `drawline`: the lab server and its tools.
#[derive(Debug, Parser)]
#[command(name = "drawline", version, about = "Drawline lab server and tools")]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API under /api/v1 and the built PWA at /.
    Serve(Box<Config>),
    /// Plan the tubes for a set of tests, in order of draw.
    Plan(plan::PlanArgs),
    /// Register, list and revoke devices.
    Devices {
        /// Database and site options.
        #[command(flatten)]
        common: Common,
        /// What to do.
        #[command(subcommand)]
        command: devices::DevicesCommand,
    },
    /// Add and list people (collectors, supervisors, admins).
    Users {
        /// Database and site options.
        #[command(flatten)]
        common: Common,
        /// What to do.
        #[command(subcommand)]
        command: users::UsersCommand,
    },
    /// Import orders and assign rounds.
    Orders {
        /// Database and site options.
        #[command(flatten)]
        common: Common,
        /// What to do.
        #[command(subcommand)]
        command: orders::OrdersCommand,
    },
    /// Export collections.
    Export {
        /// Database and site options.
        #[command(flatten)]
        common: Common,
        /// What to do.
        #[command(subcommand)]
        command: export::ExportCommand,
    },
    /// Take a tablet's emergency export (its unsynced collections, sealed to this lab) exactly
    /// once, as if the tablet had pushed them. Exits with status 1 when the file is refused
    /// whole (damaged, altered, unknown device) and 2 when some record was refused.
    ImportOutbox {
        /// Database and site options.
        #[command(flatten)]
        common: Common,
        /// The export file the tablet made.
        file: std::path::PathBuf,
    },
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(config) => serve::serve(*config).await,
        Command::Plan(args) => plan::plan(args),
        Command::Devices { common, command } => devices::run(&common, command).await,
        Command::Users { common, command } => users::run(&common, command).await,
        Command::Orders { common, command } => orders::run(&common, command).await,
        Command::Export { common, command } => export::run(&common, command).await,
        Command::ImportOutbox { common, file } => import_outbox::run(&common, file).await,
    }
}

/// Writes a result to standard output; a reader that went away (`| head`) is not an error.
pub fn emit(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// Opens the configured database (creating and migrating it when needed).
pub fn open_store(settings: &Settings) -> anyhow::Result<Arc<dyn Store>> {
    let store = SqliteStore::open(&settings.db)
        .with_context(|| format!("opening database {}", settings.db.display()))?;
    Ok(Arc::new(store))
}

/// The site configuration: the configured folder, else the one stored by the demo seed, else the default.
pub async fn load_site(settings: &Settings, store: &dyn Store) -> anyhow::Result<SiteConfig> {
    if let Some(dir) = &settings.site_dir {
        return Ok(SiteConfig::from_dir(dir)?);
    }
    if let Some(json) = store.site_config("site").await? {
        return serde_json::from_str(&json)
            .context("the site configuration stored in the database");
    }
    Ok(SiteConfig::default_site())
}

/// Resolves the shared options, opens the database and loads the site.
pub async fn open(common: &Common) -> anyhow::Result<(Settings, Arc<dyn Store>, SiteConfig)> {
    let settings = common.resolve()?;
    let store = open_store(&settings)?;
    let site = load_site(&settings, store.as_ref()).await?;
    Ok((settings, store, site))
}
