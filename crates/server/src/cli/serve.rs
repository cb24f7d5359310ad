//! `drawline serve`: the API and the app, until Ctrl-C or SIGTERM.

use anyhow::Context;
use drawline_domain::fhir::FhirExport;

use super::{load_site, open_store};
use crate::config::{Config, Settings};
use crate::transport::Transport;
use crate::{app, demo, AppState, ReviewSettings, SyncSettings};

/// Runs the server with graceful shutdown.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let settings = config.resolve()?;
    // Before anything else: a half-given or unreadable TLS setting must not start a plain server.
    let tls = crate::transport::tls::configure(
        settings.tls_cert.as_deref(),
        settings.tls_key.as_deref(),
    )?;
    // Also before anything else: a damaged key file stops the server rather than a new key
    // making every record already sealed to the lab unreadable.
    let lab_key = crate::lab_key::LabKey::load_or_create(&settings.lab_key_path())?;
    let store = open_store(&settings)?;
    if settings.demo {
        let access = demo::prepare(store.as_ref()).await?;
        if access.seeded {
            tracing::info!(site = demo::DEMO_SITE, "seeded the demo site");
        }
        // Printed, not logged: these are for the person starting the demo, and logs may be shipped.
        print!("{}", access.banner());
    }
    if store.is_empty().await? {
        store.set_site_name(&settings.site_name).await?;
    }
    let site = load_site(&settings, store.as_ref()).await?;
    let dist = settings
        .dist
        .join("index.html")
        .is_file()
        .then_some(settings.dist.as_path());
    if dist.is_none() {
        tracing::warn!(dist = %settings.dist.display(), "no built app found; serving the API only");
    }
    let state = AppState::new(store)
        .with_site(site)
        .with_fhir(FhirExport::for_base(&settings.fhir_base))
        .with_sync(SyncSettings {
            skew_threshold: minutes(settings.skew_threshold_minutes),
        })
        .with_review(review_settings(&settings))
        .with_limits(limits(&settings))
        .with_lab_key(lab_key);
    // The dummy hash a missing user's PIN is checked against is made before the first sign-in.
    state.pins.warm_up().await;
    let listener = tokio::net::TcpListener::bind(settings.addr)
        .await
        .with_context(|| format!("binding {}", settings.addr))?;
    let addr = listener.local_addr()?;
    let mut transport = Transport::from_limits(&state.limits);
    if let Some(tls) = tls {
        transport = transport.with_tls(tls);
    }
    // Printed (not only logged) so scripts and people can find the server.
    println!("Drawline is serving at {}://{addr}/", transport.scheme());
    tracing::info!(%addr, db = %settings.db.display(), tls = transport.tls.is_some(), "listening");
    crate::transport::serve(listener, app(state, dist), transport, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

fn minutes(m: u32) -> chrono::Duration {
    chrono::Duration::minutes(i64::from(m))
}

fn seconds(s: u32) -> std::time::Duration {
    std::time::Duration::from_secs(u64::from(s))
}

/// What the server allows, from the configuration.
fn limits(settings: &Settings) -> crate::Limits {
    crate::Limits {
        min_pin_length: settings.min_pin_length as usize,
        sign_in_failures_per_device: settings.sign_in_device_limit,
        sign_in_failures_per_user: settings.sign_in_user_limit,
        sign_in_window: minutes(settings.sign_in_window_minutes),
        pin_hash_workers: settings.pin_hash_workers as usize,
        pin_hash_wait: std::time::Duration::from_secs(u64::from(settings.pin_hash_wait_seconds)),
        max_pushes_per_minute: settings.max_pushes_per_minute,
        max_kept_refusals_per_day: settings.max_kept_refusals_per_day,
        max_recorded_attempts_per_day: settings.max_recorded_attempts_per_day,
        max_stored_bytes_per_device: u64::from(settings.max_stored_mib_per_device) * 1024 * 1024,
        max_connections: settings.max_connections as usize,
        max_in_flight: settings.max_in_flight as usize,
        header_read_timeout: seconds(settings.header_read_timeout_seconds),
        body_read_timeout: seconds(settings.body_read_timeout_seconds),
        device_token_max_age_days: settings.device_token_max_age_days,
        ..crate::Limits::default()
    }
}

/// The supervisor views' thresholds from the configuration.
fn review_settings(settings: &Settings) -> ReviewSettings {
    ReviewSettings {
        stale_device: minutes(settings.stale_device_minutes),
        unsynced_warning: minutes(settings.unsynced_warning_minutes),
        unsynced_critical: minutes(settings.unsynced_critical_minutes),
        late_sync: minutes(settings.late_sync_minutes),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::FileConfig;

    #[test]
    fn the_review_thresholds_are_the_configured_minutes() {
        let mut settings = Config::default().resolve_with(FileConfig::default());
        settings.stale_device_minutes = 15;
        settings.late_sync_minutes = 30;
        let review = review_settings(&settings);
        assert_eq!(review.late_sync, chrono::Duration::minutes(30));
        assert_eq!(review.stale_device, chrono::Duration::minutes(15));
        assert_eq!(
            review.unsynced_warning,
            ReviewSettings::default().unsynced_warning
        );
    }

    #[test]
    fn the_sign_in_limits_and_pin_workers_are_the_configured_values() {
        let defaults = limits(&Config::default().resolve_with(FileConfig::default()));
        assert_eq!(defaults, crate::Limits::default());
        let mut settings = Config::default().resolve_with(FileConfig::default());
        settings.sign_in_device_limit = 3;
        settings.sign_in_user_limit = 7;
        settings.sign_in_window_minutes = 30;
        settings.pin_hash_workers = 4;
        settings.pin_hash_wait_seconds = 5;
        let policy = limits(&settings).sign_in_policy();
        assert_eq!(
            (policy.per_device, policy.per_user, policy.window),
            (3, 7, chrono::Duration::minutes(30))
        );
        assert_eq!(limits(&settings).pin_hash_workers, 4);
        assert_eq!(
            limits(&settings).pin_hash_wait,
            std::time::Duration::from_secs(5)
        );
    }
}
