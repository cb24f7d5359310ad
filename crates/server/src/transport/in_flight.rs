//! A cap on API requests worked on at once: one more is answered 503 `busy` with `Retry-After`.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use tokio::sync::Semaphore;

use crate::error::problem;

/// Seconds a client turned away is told to wait.
pub const RETRY_AFTER_SECONDS: u64 = 1;

/// The API path that is never turned away: a load balancer must see the server is alive.
const EXEMPT: &str = "/health";

/// The permits of API work; cheap to clone.
#[derive(Clone)]
pub struct InFlight(Arc<Semaphore>);

impl InFlight {
    /// At most `max` requests at once.
    pub fn new(max: usize) -> Self {
        Self(Arc::new(Semaphore::new(max)))
    }
}

/// Middleware on the API router (paths without the `/api/v1` prefix): takes a permit for the
/// request's whole handling, its body included, or answers 503 at once.
pub async fn limit(State(permits): State<InFlight>, req: Request, next: Next) -> Response {
    if req.uri().path() == EXEMPT {
        return next.run(req).await;
    }
    let Ok(_permit) = permits.0.clone().try_acquire_owned() else {
        if super::throttle::now_and_then() {
            tracing::warn!("in-flight limit reached; answering 503");
        }
        let mut res = problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "The lab server is working on as many requests as it can; try again in a moment.",
        );
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
        return res;
    };
    next.run(req).await
}
