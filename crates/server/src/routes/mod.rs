//! The API's routes, one module per resource.

pub mod health;
pub mod static_files;

use axum::routing::get;
use axum::Router;

use crate::AppState;

/// Routes mounted under `/api/v1`.
pub fn api_router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health::health))
        // Without its own fallback an unknown API path would fall through to the app shell.
        .fallback(not_found)
}

async fn not_found(uri: axum::http::Uri) -> crate::AppError {
    crate::AppError::NotFound(format!("no API route at {}", uri.path()))
}
