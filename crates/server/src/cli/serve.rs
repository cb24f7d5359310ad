//! `drawline serve`: the API and the app, until Ctrl-C or SIGTERM.

use anyhow::Context;
use drawline_domain::fhir::FhirExport;

use super::{load_site, open_store};
use crate::config::{Config, Settings};
use crate::{app, demo, AppState, ReviewSettings, SyncSettings};

/// Runs the server with graceful shutdown.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let settings = config.resolve()?;
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
        .with_limits(limits(&settings));
    let listener = tokio::net::TcpListener::bind(settings.addr)
        .await
        .with_context(|| format!("binding {}", settings.addr))?;
    let addr = listener.local_addr()?;
    // Printed (not only logged) so scripts and people can find the server.
    println!("Drawline is serving at http://{addr}/");
    tracing::info!(%addr, db = %settings.db.display(), "listening");
    axum::serve(listener, app(state, dist))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    tracing::info!("stopped");
    Ok(())
}

fn minutes(m: u32) -> chrono::Duration {
    chrono::Duration::minutes(i64::from(m))
}

/// What the server allows, from the configuration.
fn limits(settings: &Settings) -> crate::Limits {
    crate::Limits {
        min_pin_length: settings.min_pin_length as usize,
        device_token_max_age_days: settings.device_token_max_age_days,
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
}
