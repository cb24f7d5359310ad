//! Drawline's lab server: HTTP API under `/api/v1`, the built PWA at `/`, SQLite storage behind a trait.

pub mod accounts;
pub mod api;
pub mod auth;
pub mod cli;
pub mod config;
pub mod demo;
pub mod error;
pub mod export;
pub mod extract;
pub mod import;
pub mod instants;
pub mod lab_key;
pub mod limits;
pub mod offload;
pub mod pin_pool;
pub mod quota;
pub mod revalidate;
pub mod review;
pub mod routes;
pub mod sign_in_limit;
pub mod store;
pub mod transport;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::Router;
use drawline_domain::fhir::FhirExport;
use drawline_domain::SiteConfig;

pub use config::Config;
pub use error::AppError;
pub use limits::Limits;
pub use review::ReviewSettings;
pub use store::{SqliteStore, Store};

/// Largest JSON body any API route reads; an import file may be larger (see [`MAX_IMPORT_BYTES`]).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Largest order import file accepted over HTTP.
pub const MAX_IMPORT_BYTES: usize = 16 * 1024 * 1024;
/// A request that takes longer than this is answered 408 rather than held open.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// How the sync routes behave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncSettings {
    /// A device clock further than this from the server's is flagged on receipts.
    pub skew_threshold: chrono::Duration,
}

impl Default for SyncSettings {
    fn default() -> Self {
        Self {
            skew_threshold: chrono::Duration::minutes(i64::from(
                config::DEFAULT_SKEW_THRESHOLD_MINUTES,
            )),
        }
    }
}

/// Everything a request handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The server's storage.
    pub store: Arc<dyn Store>,
    /// The site's catalog and order of draw.
    pub site: Arc<SiteConfig>,
    /// The version of `site` that pulls announce.
    pub site_version: Arc<drawline_domain::api::SiteVersion>,
    /// Identifier systems for exported FHIR.
    pub fhir: Arc<FhirExport>,
    /// Sync behaviour.
    pub sync: SyncSettings,
    /// Thresholds of the supervisor's views.
    pub review: ReviewSettings,
    /// What the server allows (PIN length, attempts, concurrency, quotas).
    pub limits: Arc<Limits>,
    /// The bounded Argon2 workers every PIN check and hash goes through (sized by `limits`).
    pub pins: Arc<pin_pool::PinPool>,
    /// Each device's recent pushes, against `limits.max_pushes_per_minute`.
    pub push_rate: Arc<quota::PushRate>,
    /// The lab's key pair: its public half goes to the tablets, its private half opens the
    /// records they seal to it.
    pub lab_key: Arc<lab_key::LabKey>,
}

impl AppState {
    /// State over a store with the shipped default site configuration.
    pub fn new(store: Arc<dyn Store>) -> Self {
        let site = SiteConfig::default_site();
        Self {
            store,
            site_version: Arc::new(drawline_domain::api::SiteVersion::of(&site)),
            site: Arc::new(site),
            fhir: Arc::new(FhirExport::default()),
            sync: SyncSettings::default(),
            review: ReviewSettings::default(),
            limits: Arc::new(Limits::default()),
            pins: Arc::new(pin_pool::PinPool::for_limits(&Limits::default())),
            push_rate: Arc::new(quota::PushRate::default()),
            // A fresh key for in-memory and test databases; `drawline serve` and the CLI load the
            // key file beside the database (`with_lab_key`).
            lab_key: Arc::new(lab_key::LabKey::generate()),
        }
    }

    /// The same state with the lab's key pair from its file.
    pub fn with_lab_key(mut self, key: lab_key::LabKey) -> Self {
        self.lab_key = Arc::new(key);
        self
    }

    /// The same state with another site configuration (and its version).
    pub fn with_site(mut self, site: SiteConfig) -> Self {
        self.site_version = Arc::new(drawline_domain::api::SiteVersion::of(&site));
        self.site = Arc::new(site);
        self
    }

    /// The same state with other FHIR identifier systems.
    pub fn with_fhir(mut self, fhir: FhirExport) -> Self {
        self.fhir = Arc::new(fhir);
        self
    }

    /// The same state with other sync settings.
    pub fn with_sync(mut self, sync: SyncSettings) -> Self {
        self.sync = sync;
        self
    }

    /// The same state with other limits.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.pins = Arc::new(pin_pool::PinPool::for_limits(&limits));
        self.limits = Arc::new(limits);
        self
    }

    /// The same state with other thresholds for the supervisor's views.
    pub fn with_review(mut self, review: ReviewSettings) -> Self {
        self.review = review;
        self
    }
}

/// The whole HTTP application: the API plus, when `dist` is given, the built PWA.
pub fn app(state: AppState, dist: Option<&std::path::Path>) -> Router {
    let limits = state.limits.clone();
    let api = routes::api_router()
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            transport::in_flight::InFlight::new(limits.max_in_flight),
            transport::in_flight::limit,
        ))
        .with_state(state);
    let router = Router::new().nest(drawline_domain::api::API_PREFIX, api);
    match dist {
        Some(dir) => router.fallback_service(routes::static_files::service(dir)),
        None => router,
    }
    .layer(tower_http::timeout::TimeoutLayer::with_status_code(
        StatusCode::REQUEST_TIMEOUT,
        REQUEST_TIMEOUT,
    ))
    .layer(tower_http::catch_panic::CatchPanicLayer::custom(
        routes::panic_response,
    ))
    .layer(axum::middleware::from_fn_with_state(
        limits.body_read_timeout,
        transport::body_timeout::limit,
    ))
    .layer(tower_http::trace::TraceLayer::new_for_http())
    .layer(axum::middleware::from_fn_with_state(
        transport::security_headers::SecurityHeaders::new(dist),
        transport::security_headers::add,
    ))
}
