//! `drawline orders`: import a FHIR Bundle or CSV file, assign rounds to devices and collectors, cancel orders.

use std::path::PathBuf;

use anyhow::{bail, Context};
use chrono::Utc;

use crate::accounts;
use crate::config::Common;
use crate::import::{self, Format};
use crate::store::{Assignment, CancelOutcome};

/// Order subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum OrdersCommand {
    /// Import orders from a FHIR R4 Bundle (.json) or CSV file. Exits with status 2 when some rows
    /// were rejected (the good ones are imported).
    Import {
        /// The file.
        file: PathBuf,
        /// Round for orders that do not name one.
        #[arg(long)]
        round: Option<String>,
        /// fhir or csv [default: from the file's extension or first character].
        #[arg(long)]
        format: Option<String>,
    },
    /// Assign a round (created when new) to a device and optionally a collector.
    Assign {
        /// Round name.
        round: String,
        /// Device name.
        #[arg(long)]
        device: String,
        /// Collector's user name.
        #[arg(long)]
        collector: Option<String>,
    },
    /// Cancel an order: devices see it cancelled at their next pull. An order whose collection
    /// already reached the lab is not cancelled (exit status 1).
    Cancel {
        /// The order's id (the placer's id, as imported).
        order_id: String,
        /// Why (shown to the collector).
        #[arg(long)]
        reason: Option<String>,
    },
}

/// Runs an order subcommand.
pub async fn run(common: &Common, command: OrdersCommand) -> anyhow::Result<()> {
    let (_, store, site) = super::open(common).await?;
    match command {
        OrdersCommand::Import {
            file,
            round,
            format,
        } => {
            let body =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let format = match format.as_deref() {
                Some("fhir") | Some("json") => Format::Fhir,
                Some("csv") => Format::Csv,
                Some(other) => bail!("unknown format '{other}': use fhir or csv"),
                None => {
                    let ext = file.extension().and_then(|e| e.to_str()).unwrap_or("");
                    Format::detect(Some(ext), &body)
                }
            };
            let round = round
                .map(|r| accounts::check_name("round", &r))
                .transpose()?;
            let report = import::import(
                store.as_ref(),
                format,
                &body,
                &site,
                round.as_deref(),
                Utc::now(),
            )
            .await?;
            println!(
                "{} created, {} updated, {} unchanged, {} rejected",
                report.created,
                report.updated,
                report.unchanged,
                report.rejected.len()
            );
            for p in &report.rejected {
                println!("  {}: {}", p.location, p.reason);
            }
            if !report.rejected.is_empty() {
                std::process::exit(2);
            }
        }
        OrdersCommand::Assign {
            round,
            device,
            collector,
        } => {
            let round = accounts::check_name("round", &round)?;
            let Some(d) = store.device_by_name(&device).await? else {
                bail!("no device named {device}");
            };
            let collector_id = match collector {
                Some(name) => match store.user_by_username(&name).await? {
                    Some(u) => Some(u.id),
                    None => bail!("no user named {name}"),
                },
                None => None,
            };
            let r = store
                .upsert_round(
                    &round,
                    Assignment {
                        device_id: Some(d.id),
                        collector_id,
                    },
                )
                .await?;
            println!(
                "Round \"{}\" ({}) is assigned to \"{}\"",
                r.name, r.id, d.name
            );
        }
        OrdersCommand::Cancel { order_id, reason } => {
            let reason = reason
                .map(|r| r.trim().to_owned())
                .filter(|r| !r.is_empty());
            match store
                .cancel_order(&order_id, reason, "cli".into(), Utc::now())
                .await?
            {
                CancelOutcome::Cancelled(_) => println!("Order {order_id} is cancelled"),
                CancelOutcome::AlreadyCancelled(_) => {
                    println!("Order {order_id} was already cancelled")
                }
                CancelOutcome::AlreadyCollected(_) => bail!(
                    "order {order_id} is not cancelled: a collection for it already reached the lab"
                ),
                CancelOutcome::NotFound => bail!("no order {order_id}"),
            }
        }
    }
    Ok(())
}
