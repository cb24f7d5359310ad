//! The API's routes, one module per resource, collected with their OpenAPI description.

pub mod answers;
pub mod audit;
pub mod collections;
pub mod device_token;
pub mod devices;
pub mod enroll;
pub mod fhir;
pub mod health;
pub mod orders;
pub mod sessions;
pub mod static_files;
pub mod supervisor;
pub mod sync;
pub mod users;
pub mod worklist;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::server::Server;
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use crate::error::problem;
use crate::AppState;

/// Adds the bearer scheme and the `/api/v1` server to the document.
struct ApiSetup;

impl Modify for ApiSetup {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        openapi.servers = Some(vec![Server::new(drawline_domain::api::API_PREFIX)]);
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Drawline lab server",
        description = "Devices enroll, people sign in, devices pull their worklist and push finalized collections (`/sync/push`, `/sync/pull`); supervisors import orders, manage devices, review what devices sent (`/supervisor/...`) and export collections as FHIR R4. Every error is a JSON problem `{code, message}`."
    ),
    modifiers(&ApiSetup),
    components(schemas(
        crate::error::Problem,
        drawline_domain::api::QueueStatus,
        drawline_domain::api::QueueFlag
    ))
)]
struct ApiDoc;

/// The API's routes and their OpenAPI document, generated from the same handlers, with the
/// answers every route shares added once.
pub fn openapi_router() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut doc) = documented_routes();
    answers::CommonAnswers.modify(&mut doc);
    (router, doc)
}

fn documented_routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::health))
        .routes(routes!(enroll::enroll))
        .routes(routes!(sessions::sign_in))
        .routes(routes!(sessions::sign_out))
        .routes(routes!(sessions::me))
        .routes(routes!(worklist::worklist))
        .routes(routes!(worklist::site))
        .routes(routes!(collections::list))
        .routes(routes!(collections::versions))
        .routes(routes!(collections::receipts))
        .routes(routes!(collections::heartbeat))
        .routes(routes!(sync::push).layer(DefaultBodyLimit::max(crate::api::MAX_PUSH_BODY_BYTES)))
        .routes(routes!(sync::pull))
        .routes(routes!(orders::cancel))
        .routes(routes!(devices::heartbeats))
        .routes(routes!(devices::list, devices::register))
        .routes(routes!(devices::revoke))
        .routes(routes!(orders::import).layer(DefaultBodyLimit::max(crate::MAX_IMPORT_BYTES)))
        .routes(routes!(orders::rounds, orders::assign_round))
        .routes(routes!(fhir::specimens))
        .routes(routes!(audit::audit_log))
        .routes(routes!(supervisor::devices))
        .routes(routes!(supervisor::queue))
        .routes(routes!(supervisor::detail))
        .routes(routes!(supervisor::mark_reviewed))
        .routes(routes!(supervisor::add_note))
        .routes(routes!(supervisor::resolve))
        .routes(routes!(supervisor::resolve_hold))
        .routes(routes!(supervisor::recollect))
        .routes(routes!(supervisor::unlock_user))
        .routes(routes!(users::list))
        .routes(routes!(users::deactivate))
        .routes(routes!(users::activate))
        .routes(routes!(users::reset_pin))
        .routes(routes!(users::end_sessions))
        .routes(routes!(users::change_own_pin))
        .routes(routes!(device_token::rotate))
        .split_for_parts()
}

/// A request's free text, trimmed: blank is `None`; longer than `max_chars` characters is a 422
/// problem `code` that names the text as `what`.
pub(crate) fn trimmed_text(
    what: &str,
    text: Option<String>,
    max_chars: usize,
    code: &'static str,
) -> Result<Option<String>, crate::AppError> {
    let text = text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    if text.as_ref().is_some_and(|t| t.chars().count() > max_chars) {
        return Err(crate::AppError::unprocessable(
            code,
            format!("{what} is longer than {max_chars} characters"),
        ));
    }
    Ok(text)
}

/// Routes mounted under `/api/v1`, including `/openapi.json`.
pub fn api_router() -> Router<AppState> {
    let (router, doc) = openapi_router();
    let doc = Arc::new(doc);
    router
        .route(
            "/openapi.json",
            get(move || async move { Json(doc.as_ref().clone()) }),
        )
        // Without its own fallback an unknown API path would fall through to the app shell.
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

async fn not_found(uri: axum::http::Uri) -> crate::AppError {
    crate::AppError::NotFound(format!("no API route at {}", uri.path()))
}

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> Response {
    problem(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{method} is not allowed on {}", uri.path()),
    )
}

/// A panicking handler still answers with a problem (and the panic is logged), never a dropped connection.
pub fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    problem(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "The lab server hit a bug; the request was not completed.",
    )
    .into_response()
}
