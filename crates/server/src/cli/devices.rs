//! `drawline devices`: register (printing a one-time enrollment code), list and revoke devices.

use anyhow::{bail, Context};
use chrono::Utc;
use uuid::Uuid;

use crate::accounts;
use crate::config::Common;
use crate::store::{AuditEntry, Store};

/// Device subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum DevicesCommand {
    /// Register a device (or re-issue a pending one's code) and print its one-time enrollment code.
    Enroll {
        /// A unique device name, e.g. "Ward 5 tablet".
        name: String,
    },
    /// List devices with their state and last heartbeat.
    List,
    /// Revoke a device: its token stops working at once.
    Revoke {
        /// Device name or id.
        device: String,
    },
}

/// Runs a device subcommand.
pub async fn run(common: &Common, command: DevicesCommand) -> anyhow::Result<()> {
    let (_, store, _) = super::open(common).await?;
    match command {
        DevicesCommand::Enroll { name } => {
            let code = accounts::register_device(store.as_ref(), &name, "cli", Utc::now()).await?;
            println!(
                "Enrollment code for \"{}\": {}",
                code.device_name, code.code
            );
            println!("Device id: {}", code.device_id);
            println!(
                "The code works once, until {}.",
                code.expires_at.format("%Y-%m-%d %H:%M UTC")
            );
        }
        DevicesCommand::List => {
            println!(
                "{:<36}  {:<24}  {:<8}  {:<20}  queue",
                "id", "name", "status", "last seen"
            );
            for d in store.list_devices().await? {
                println!(
                    "{:<36}  {:<24}  {:<8}  {:<20}  {}",
                    d.id,
                    d.name,
                    format!("{:?}", d.status).to_lowercase(),
                    d.last_seen_at
                        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
                        .unwrap_or_else(|| "-".into()),
                    d.last_heartbeat
                        .map(|h| h.heartbeat.queue_length.to_string())
                        .unwrap_or_else(|| "-".into()),
                );
            }
        }
        DevicesCommand::Revoke { device } => {
            let found = match Uuid::parse_str(&device) {
                Ok(id) => store.device(id).await?,
                Err(_) => store.device_by_name(&device).await?,
            };
            let Some(found) = found else {
                bail!("no device named or numbered {device}");
            };
            revoke(store.as_ref(), found.id).await?;
            println!(
                "Revoked \"{}\" ({}); its token no longer works.",
                found.name, found.id
            );
        }
    }
    Ok(())
}

async fn revoke(store: &dyn Store, id: Uuid) -> anyhow::Result<()> {
    let now = Utc::now();
    store.revoke_device(id, now).await.context("revoking")?;
    store
        .audit(
            AuditEntry {
                actor: "cli".into(),
                action: "device.revoked".into(),
                subject: Some(format!("device:{id}")),
                detail: None,
            },
            now,
        )
        .await?;
    Ok(())
}
