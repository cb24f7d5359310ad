//! How requests reach the app: our own accept loop over hyper, with timeouts, caps, TLS and graceful shutdown.
//!
//! `axum::serve` never times out a half-sent request and accepts until the process runs out of
//! file descriptors; this loop bounds both, answers what it cannot serve with a 503 rather than
//! a reset, and serves HTTPS when given a certificate.

mod accept;
pub mod body_timeout;
mod connection;
mod first_read;
pub mod in_flight;
mod overload;
pub mod security_headers;
pub mod throttle;
pub mod tls;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, HeaderValue};
use axum::Router;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::rustls::ServerConfig;

use crate::Limits;

/// How long connections still open at shutdown may take to finish their requests.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// The value of `Strict-Transport-Security` when serving HTTPS: a year, this host only.
pub const HSTS: &str = "max-age=31536000";

/// How connections are accepted and served.
#[derive(Clone)]
pub struct Transport {
    /// Time a client has to send a request's headers (and to complete a TLS handshake); an idle
    /// kept-alive connection is closed after it too.
    pub header_read_timeout: Duration,
    /// Connections served at once; one more is answered 503 with `Retry-After` and closed.
    pub max_connections: usize,
    /// Serves HTTPS with this configuration when set.
    pub tls: Option<Arc<ServerConfig>>,
}

impl Transport {
    /// Plain HTTP with the limits' timeout and connection cap.
    pub fn from_limits(limits: &Limits) -> Self {
        Self {
            header_read_timeout: limits.header_read_timeout,
            max_connections: limits.max_connections,
            tls: None,
        }
    }

    /// The same transport serving HTTPS.
    pub fn with_tls(mut self, tls: Arc<ServerConfig>) -> Self {
        self.tls = Some(tls);
        self
    }

    /// `https` when serving TLS, else `http`: for the URL the server prints.
    pub fn scheme(&self) -> &'static str {
        if self.tls.is_some() {
            "https"
        } else {
            "http"
        }
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then lets open connections finish
/// (at most [`SHUTDOWN_GRACE`]). Accept errors (out of file descriptors, ...) never end it.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    transport: Transport,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let app = match transport.tls {
        // HSTS only over TLS: sent over plain HTTP it would be ignored, or pin a host to HTTPS
        // that does not serve it.
        Some(_) => app.layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        )),
        None => app,
    };
    let served = Arc::new(connection::Served::new(app, &transport));
    let slots = Arc::new(Semaphore::new(transport.max_connections));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(e) => {
                    accept::pause_after(&e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        match slots.clone().try_acquire_owned() {
            Ok(slot) => {
                let watcher = graceful.watcher();
                let served = served.clone();
                tokio::spawn(async move {
                    served.serve(stream, watcher).await;
                    drop(slot);
                });
            }
            Err(_) => {
                if throttle::now_and_then() {
                    tracing::warn!(
                        max = transport.max_connections,
                        "connection limit reached; answering 503"
                    );
                }
                let served = served.clone();
                tokio::spawn(async move { served.refuse(stream).await });
            }
        }
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(SHUTDOWN_GRACE) => {
            tracing::warn!("connections still open after the shutdown grace period; closing them");
        }
    }
    Ok(())
}
