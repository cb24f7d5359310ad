//! Drawline's lab server: HTTP API under `/api/v1`, the built PWA at `/`, SQLite storage behind a trait.

pub mod config;
pub mod demo;
pub mod error;
pub mod routes;
pub mod store;

use std::sync::Arc;

use axum::Router;

pub use config::Config;
pub use error::AppError;
pub use store::{SqliteStore, Store};

/// Everything a request handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The server's storage.
    pub store: Arc<dyn Store>,
}

/// The whole HTTP application: the API plus, when `dist` is given, the built PWA.
pub fn app(state: AppState, dist: Option<&std::path::Path>) -> Router {
    let api = routes::api_router().with_state(state);
    let router = Router::new().nest(drawline_domain::api::API_PREFIX, api);
    match dist {
        Some(dir) => router.fallback_service(routes::static_files::service(dir)),
        None => router,
    }
    .layer(tower_http::trace::TraceLayer::new_for_http())
}
