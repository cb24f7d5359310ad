//! The `drawline` command line: serve the lab server, and tools for lab staff.

use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use drawline_server::{app, demo, AppState, Config, SqliteStore, Store};

#[derive(Parser)]
#[command(name = "drawline", version, about = "Drawline lab server and tools")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API under /api/v1 and the built PWA at /.
    Serve(Config),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("DRAWLINE_LOG")
                .unwrap_or_else(|_| "info,tower_http=info".into()),
        )
        .init();
    match Cli::parse().command {
        Command::Serve(config) => serve(config).await,
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let store = SqliteStore::open(&config.db)
        .with_context(|| format!("opening database {}", config.db.display()))?;
    let store: Arc<dyn Store> = Arc::new(store);
    if config.demo && demo::seed_if_empty(store.as_ref()).await? {
        tracing::info!(site = demo::DEMO_SITE, "seeded the demo site");
    }
    if store.is_empty().await? {
        store.set_site_name("Drawline lab").await?;
    }
    let dist = config.dist.join("index.html").is_file().then_some(config.dist.as_path());
    if dist.is_none() {
        tracing::warn!(dist = %config.dist.display(), "no built app found; serving the API only");
    }
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .with_context(|| format!("binding {}", config.addr))?;
    let addr = listener.local_addr()?;
    // Printed (not only logged) so scripts and people can find the server.
    println!("Drawline is serving at http://{addr}/");
    tracing::info!(%addr, db = %config.db.display(), "listening");
    axum::serve(listener, app(AppState { store }, dist))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}
