//! A deadline for a request's body: a client that sends its headers and then trickles the body gets 408.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use http_body::{Frame, SizeHint};
use tokio::sync::oneshot;
use tokio::time::Sleep;

use crate::error::problem;

/// The problem code of the answer.
pub const CODE: &str = "body_timeout";

/// The body a handler reads: fails once the deadline passes, and says so to the middleware.
struct Deadline {
    inner: Body,
    sleep: Pin<Box<Sleep>>,
    expired: Option<oneshot::Sender<()>>,
}

/// Why the body stopped.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive in time")]
struct TimedOut;

impl http_body::Body for Deadline {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        if self.sleep.as_mut().poll(cx).is_ready() {
            if let Some(expired) = self.expired.take() {
                let _ = expired.send(());
            }
            return Poll::Ready(Some(Err(axum::Error::new(TimedOut))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Middleware: the body must arrive whole within `timeout` of the headers. When it does not,
/// the answer is 408 `body_timeout` whatever the handler would have made of the broken body.
pub async fn limit(State(timeout): State<Duration>, req: Request, next: Next) -> Response {
    if http_body::Body::is_end_stream(req.body()) {
        return next.run(req).await;
    }
    let (expired, timed_out) = oneshot::channel();
    let req = req.map(|inner| {
        Body::new(Deadline {
            inner,
            sleep: Box::pin(tokio::time::sleep(timeout)),
            expired: Some(expired),
        })
    });
    let handled = next.run(req);
    tokio::pin!(handled);
    tokio::pin!(timed_out);
    let res = tokio::select! {
        res = &mut handled => res,
        Ok(()) = &mut timed_out => return too_slow(timeout),
    };
    // The handler may have answered the failed body itself (as a 400) in the same poll.
    match timed_out.try_recv() {
        Ok(()) => too_slow(timeout),
        Err(_) => res,
    }
}

fn too_slow(timeout: Duration) -> Response {
    problem(
        StatusCode::REQUEST_TIMEOUT,
        CODE,
        format!(
            "The request body did not arrive within {} seconds; send it again.",
            timeout.as_secs()
        ),
    )
}
