//! `drawline users`: add and list people, deactivate and reactivate them, reset PINs, end sessions,
//! and unlock one after failed sign-ins.

use std::io::BufRead;

use anyhow::{bail, Context};
use chrono::Utc;

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
    /// List people, their roles, whether they may sign in and their live sessions.
    List,
    /// Forget a person's failed sign-ins on every device, so they can sign in again at once.
    Unlock {
        /// Sign-in name.
        username: String,
    },
    /// Stop a person from signing in; every session of theirs ends at once.
    Deactivate {
        /// Sign-in name.
        username: String,
    },
    /// Let a deactivated person sign in again.
    Activate {
        /// Sign-in name.
        username: String,
    },
    /// Give a person a new PIN (read like `users add`'s); every session of theirs ends.
    ResetPin {
        /// Sign-in name.
        username: String,
    },
    /// End every session of a person, on every device.
    EndSessions {
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
            for a in store.list_accounts(Utc::now()).await? {
                let u = a.user;
                let state = if a.active { "active" } else { "inactive" };
                println!(
                    "{:<36}  {:<16}  {:<10}  {:<8}  {:>2} sessions  {}",
                    u.id,
                    u.username,
                    u.role.as_str(),
                    state,
                    a.live_sessions,
                    u.display_name
                );
            }
        }
        UsersCommand::Deactivate { username } => {
            let user = accounts::find_user(store.as_ref(), &username).await?;
            let ended =
                accounts::set_active(store.as_ref(), &user, false, "cli", Utc::now()).await?;
            println!("Deactivated {}; {ended} session(s) ended", user.username);
        }
        UsersCommand::Activate { username } => {
            let user = accounts::find_user(store.as_ref(), &username).await?;
            accounts::set_active(store.as_ref(), &user, true, "cli", Utc::now()).await?;
            println!("{} may sign in again", user.username);
        }
        UsersCommand::ResetPin { username } => {
            let user = accounts::find_user(store.as_ref(), &username).await?;
            let pin = read_pin()?;
            let min = settings.min_pin_length as usize;
            let pins = crate::pin_pool::PinPool::for_limits(&crate::Limits::default());
            let ended = accounts::reset_pin(
                store.as_ref(),
                &user,
                accounts::NewPin {
                    pins: &pins,
                    pin: &pin,
                    min_length: min,
                },
                "cli",
                Utc::now(),
            )
            .await?;
            println!(
                "New PIN set for {}; {ended} session(s) ended",
                user.username
            );
        }
        UsersCommand::EndSessions { username } => {
            let user = accounts::find_user(store.as_ref(), &username).await?;
            let ended = accounts::end_sessions(store.as_ref(), &user, "cli", Utc::now()).await?;
            println!("{ended} session(s) of {} ended", user.username);
        }
    }
    Ok(())
}
