//! One accepted connection: its TLS handshake, its first byte, then hyper with the app.

use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::Watcher;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;

use super::first_read::FirstRead;
use super::{overload, Transport};

/// HTTP/2 streams one connection may have open at once.
const MAX_HTTP2_STREAMS: u32 = 32;
/// How often an HTTP/2 connection is pinged, so a peer that vanished is noticed.
const HTTP2_PING: Duration = Duration::from_secs(20);

/// What every connection is served with.
pub(super) struct Served {
    builder: Builder<TokioExecutor>,
    app: Router,
    tls: Option<TlsAcceptor>,
    header_read_timeout: Duration,
}

impl Served {
    pub(super) fn new(app: Router, transport: &Transport) -> Self {
        let mut builder = Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            // Runs from the moment hyper waits for a request head, so it also closes a
            // kept-alive connection that stays idle that long.
            .header_read_timeout(transport.header_read_timeout)
            .keep_alive(true);
        builder
            .http2()
            .timer(TokioTimer::new())
            .max_concurrent_streams(MAX_HTTP2_STREAMS)
            .keep_alive_interval(HTTP2_PING)
            .keep_alive_timeout(transport.header_read_timeout);
        Self {
            builder,
            app,
            tls: transport.tls.clone().map(TlsAcceptor::from),
            header_read_timeout: transport.header_read_timeout,
        }
    }

    /// Serves one connection until it closes (or the server shuts down).
    pub(super) async fn serve(&self, stream: TcpStream, watcher: Watcher) {
        match &self.tls {
            None => self.serve_io(stream, watcher).await,
            Some(acceptor) => {
                if let Some(tls) = self.handshake(acceptor, stream).await {
                    self.serve_io(tls, watcher).await;
                }
            }
        }
    }

    /// Answers a connection over the cap with a 503 and closes it.
    pub(super) async fn refuse(&self, stream: TcpStream) {
        match &self.tls {
            None => overload::refuse(stream, false).await,
            Some(acceptor) => {
                if let Some(tls) = self.handshake(acceptor, stream).await {
                    overload::refuse(tls, true).await;
                }
            }
        }
    }

    async fn handshake(
        &self,
        acceptor: &TlsAcceptor,
        stream: TcpStream,
    ) -> Option<tokio_rustls::server::TlsStream<TcpStream>> {
        match tokio::time::timeout(self.header_read_timeout, acceptor.accept(stream)).await {
            Ok(Ok(tls)) => Some(tls),
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "TLS handshake failed");
                None
            }
            Err(_) => {
                tracing::debug!("TLS handshake timed out");
                None
            }
        }
    }

    async fn serve_io<I>(&self, io: I, watcher: Watcher)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let (io, heard) = FirstRead::new(io);
        let service = TowerToHyperService::new(self.app.clone());
        let conn = self.builder.serve_connection(TokioIo::new(io), service);
        let conn = watcher.watch(conn);
        let mut conn = std::pin::pin!(conn);
        tokio::select! {
            res = conn.as_mut() => return log_end(res),
            () = tokio::time::sleep(self.header_read_timeout) => {}
        }
        if !heard.load(Ordering::Relaxed) {
            // Nothing was asked, so there is nothing to answer: close.
            tracing::debug!("a connection sent nothing in time; closed");
            return;
        }
        log_end(conn.await);
    }
}

fn log_end(res: Result<(), Box<dyn std::error::Error + Send + Sync>>) {
    if let Err(e) = res {
        // A client that left or was too slow: routine, not an error of the server.
        tracing::debug!(error = %e, "connection ended with an error");
    }
}
