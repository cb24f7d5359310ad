//! `drawline export fhir`: received collections as a FHIR R4 Bundle of Specimen and Task resources.

use std::path::PathBuf;

use anyhow::Context;
use chrono::{DateTime, Utc};
use drawline_domain::fhir::FhirExport;

use crate::config::Common;
use crate::export;

/// Export subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum ExportCommand {
    /// Print (or write) a Bundle of the newest version of each collection.
    Fhir {
        /// Only collections received at or after this RFC 3339 instant.
        #[arg(long)]
        since: Option<DateTime<Utc>>,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// Runs an export subcommand.
pub async fn run(common: &Common, command: ExportCommand) -> anyhow::Result<()> {
    let (settings, store, site) = super::open(common).await?;
    match command {
        ExportCommand::Fhir { since, out } => {
            let ctx = FhirExport::for_base(&settings.fhir_base);
            let bundle =
                export::specimen_bundle(store.as_ref(), &site, &ctx, since, Utc::now()).await?;
            let text = serde_json::to_string_pretty(&bundle)?;
            match out {
                Some(path) => std::fs::write(&path, text + "\n")
                    .with_context(|| format!("writing {}", path.display()))?,
                None => super::emit(&(text + "\n"))?,
            }
        }
    }
    Ok(())
}
