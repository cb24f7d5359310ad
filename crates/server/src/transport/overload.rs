//! The answer to a connection over the cap: a minimal 503 with `Retry-After`, then a clean close.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::security_headers;

/// Seconds a refused client is told to wait.
pub const RETRY_AFTER_SECONDS: u64 = 1;
/// The problem code of the answer.
pub const CODE: &str = "too_many_connections";
/// How long the request head may take to arrive before the answer goes anyway.
const READ_HEAD: Duration = Duration::from_secs(1);
/// How long the rest of what the client sent is read (and dropped) after the answer.
const LINGER: Duration = Duration::from_secs(1);
/// The most of a request head read before answering.
const MAX_HEAD: usize = 16 * 1024;

/// The whole answer, as bytes on the wire.
pub(super) fn response(tls: bool) -> Vec<u8> {
    let body = serde_json::json!({
        "code": CODE,
        "message": "The lab server is serving as many connections as it can; try again in a moment.",
    })
    .to_string();
    let mut head = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         retry-after: {RETRY_AFTER_SECONDS}\r\nconnection: close\r\ncache-control: no-store\r\n\
         content-length: {}\r\n",
        body.len()
    );
    for (name, value) in security_headers::STATIC_HEADERS {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "{}: {}\r\n",
        security_headers::CSP_HEADER,
        security_headers::API_POLICY
    ));
    if tls {
        head.push_str(&format!("strict-transport-security: {}\r\n", super::HSTS));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body.as_bytes());
    bytes
}

/// Reads the request head (briefly), answers 503, closes our side, and reads what else comes
/// for a moment: closing a socket with unread data makes the kernel reset it, and the client
/// could then lose the answer.
pub(super) async fn refuse<I: AsyncRead + AsyncWrite + Unpin>(mut io: I, tls: bool) {
    let mut head = vec![0u8; MAX_HEAD];
    let mut read = 0;
    let _ = tokio::time::timeout(READ_HEAD, async {
        while read < head.len() {
            match io.read(&mut head[read..]).await {
                Ok(0) | Err(_) => break,
                Ok(n) => read += n,
            }
            if head[..read].windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
    })
    .await;
    if io.write_all(&response(tls)).await.is_err() {
        return;
    }
    let _ = io.flush().await;
    let _ = io.shutdown().await;
    let _ = tokio::time::timeout(LINGER, async {
        let mut sink = [0u8; 4096];
        while let Ok(n) = io.read(&mut sink).await {
            if n == 0 {
                break;
            }
        }
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_is_a_complete_503_with_retry_after_and_a_problem_body() {
        let text = String::from_utf8(response(false)).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 503 "));
        assert!(head.contains("retry-after: 1\r\n"));
        assert!(head.contains(&format!("content-length: {}\r\n", body.len())));
        assert!(head.contains("x-content-type-options: nosniff"));
        assert!(!head.contains("strict-transport-security"));
        let problem: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(problem["code"], CODE);
        assert!(String::from_utf8(response(true))
            .unwrap()
            .contains("strict-transport-security: max-age=31536000\r\n"));
    }
}
