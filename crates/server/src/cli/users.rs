//! `drawline users`: add people with a hashed PIN, list them, and unlock one after failed sign-ins.

use std::io::BufRead;

use anyhow::{bail, Context};

use crate::accounts;
use crate::api::Role;
use crate::config::Common;

/// User subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum UsersCommand {
    /// Add a person. The PIN is read from DRAWLINE_PIN or, if unset, the first line of standard input
    /// (never from the command line, where other users could see it).
    Add {
        /// Sign-in name.
        username: String,
        /// Name on screen and labels.
        #[arg(long)]
        name: String,
        /// collector, supervisor or admin.
        #[arg(long, default_value = "collector", value_parser = parse_role)]
        role: Role,
    },
    /// List people and their roles.
    List,
    /// Forget a person's failed sign-ins on every device, so they can sign in again at once.
    Unlock {
        /// Sign-in name.
        username: String,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| format!("'{s}' is not collector, supervisor or admin"))
}

fn read_pin() -> anyhow::Result<String> {
    if let Ok(pin) = std::env::var("DRAWLINE_PIN") {
        return Ok(pin);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the PIN from standard input")?;
    let pin = line.trim_end_matches(['\r', '\n']).to_owned();
    if pin.is_empty() {
        bail!("no PIN given: set DRAWLINE_PIN or pipe it on standard input");
    }
    Ok(pin)
}

/// Runs a user subcommand.
pub async fn run(common: &Common, command: UsersCommand) -> anyhow::Result<()> {
    let (settings, store, _) = super::open(common).await?;
    match command {
        UsersCommand::Add {
            username,
            name,
            role,
        } => {
            let pin = read_pin()?;
            let person = accounts::NewPerson {
                username: &username,
                display_name: &name,
                role,
                pin: &pin,
            };
            let min_length = settings.min_pin_length as usize;
            // One PIN, hashed in this process alone: a pool of its own.
            let pins = crate::pin_pool::PinPool::for_limits(&crate::Limits::default());
            let user = accounts::add_user(store.as_ref(), &pins, person, min_length, "cli")
                .await
                .map_err(|e| match e {
                    accounts::AccountError::Pin(crate::auth::AuthError::PinShorterThan(n)) => {
                        anyhow::anyhow!(
                            "the PIN is too short: this site needs at least {n} characters \
                             (setting min_pin_length); {username} was not added"
                        )
                    }
                    e => e.into(),
                })?;
            println!(
                "Added {} ({}) as {}; id {}",
                user.username,
                user.display_name,
                role.as_str(),
                user.id
            );
        }
        UsersCommand::Unlock { username } => {
            let Some((user, cleared)) =
                accounts::unlock_user(store.as_ref(), &username, "cli", chrono::Utc::now()).await?
            else {
                bail!("no user named {username}");
            };
            println!(
                "Unlocked {}: forgot {cleared} failed sign-in(s) on every device",
                user.username
            );
        }
        UsersCommand::List => {
            for u in store.list_users().await? {
                println!(
                    "{:<36}  {:<16}  {:<10}  {}",
                    u.id,
                    u.username,
                    u.role.as_str(),
                    u.display_name
                );
            }
        }
    }
    Ok(())
}
