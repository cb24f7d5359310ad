//! Security headers on every answer: a strict Content-Security-Policy, `nosniff`, no referrer, no framing.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use sha2::{Digest, Sha256};

/// The Content-Security-Policy header's name.
pub const CSP_HEADER: &str = "content-security-policy";

/// The policy of API answers, and of the app less its inline scripts: only this origin's
/// scripts, styles, workers and connections; the wasm may be compiled (`'wasm-unsafe-eval'`),
/// nothing inline runs, nobody frames the app.
pub const API_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
    style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; worker-src 'self'; \
    manifest-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; \
    form-action 'self'";

/// The headers every answer carries whatever it is.
pub const STATIC_HEADERS: [(&str, &str); 3] = [
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
];

/// `'sha256-...'` sources for each inline `<script>` (one without `src`) of an HTML page, so the
/// loader Trunk writes into `index.html` runs without allowing every inline script.
pub fn inline_script_hashes(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut hashes = Vec::new();
    let mut at = 0;
    while let Some(start) = lower[at..].find("<script").map(|i| i + at) {
        let Some(tag_end) = lower[start..].find('>').map(|i| i + start) else {
            break;
        };
        let Some(close) = lower[tag_end..].find("</script").map(|i| i + tag_end) else {
            break;
        };
        let attributes = &lower[start + "<script".len()..tag_end];
        let has_src = attributes
            .split(|c: char| c.is_ascii_whitespace())
            .any(|a| a == "src" || a.starts_with("src="));
        if !has_src {
            let digest = Sha256::digest(&html.as_bytes()[tag_end + 1..close]);
            hashes.push(format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            ));
        }
        at = close;
    }
    hashes
}

/// [`API_POLICY`] with the given sources added to `script-src`.
pub fn policy_with_scripts(sources: &[String]) -> String {
    if sources.is_empty() {
        return API_POLICY.to_owned();
    }
    API_POLICY.replacen(
        "script-src 'self' 'wasm-unsafe-eval'",
        &format!("script-src 'self' 'wasm-unsafe-eval' {}", sources.join(" ")),
        1,
    )
}

/// Adds the headers; knows the app's `index.html` to allow its inline scripts by hash.
pub struct SecurityHeaders {
    index: Option<PathBuf>,
    /// The app's policy and the modification time of the `index.html` it was computed from: a
    /// build deployed while the server runs gets its own hashes.
    app_policy: Mutex<Option<(SystemTime, HeaderValue)>>,
}

impl SecurityHeaders {
    /// Headers for the API alone, or for the API and the app built into `dist`.
    pub fn new(dist: Option<&Path>) -> Arc<Self> {
        Arc::new(Self {
            index: dist.map(|d| d.join("index.html")),
            app_policy: Mutex::new(None),
        })
    }

    /// The policy for the app's files.
    fn app_policy(&self) -> HeaderValue {
        let api = HeaderValue::from_static(API_POLICY);
        let Some(index) = &self.index else {
            return api;
        };
        let Ok(modified) = std::fs::metadata(index).and_then(|m| m.modified()) else {
            return api;
        };
        let mut cached = self.app_policy.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((at, policy)) = cached.as_ref() {
            if *at == modified {
                return policy.clone();
            }
        }
        let Ok(html) = std::fs::read_to_string(index) else {
            return api;
        };
        let policy = HeaderValue::from_str(&policy_with_scripts(&inline_script_hashes(&html)))
            .unwrap_or(api);
        *cached = Some((modified, policy.clone()));
        policy
    }
}

/// Middleware: the headers on every answer, errors and static files included.
pub async fn add(
    State(headers): State<Arc<SecurityHeaders>>,
    req: Request,
    next: Next,
) -> Response {
    let is_api = req
        .uri()
        .path()
        .starts_with(drawline_domain::api::API_PREFIX);
    let mut res = next.run(req).await;
    let policy = if is_api {
        HeaderValue::from_static(API_POLICY)
    } else {
        headers.app_policy()
    };
    let map = res.headers_mut();
    map.insert(HeaderName::from_static(CSP_HEADER), policy);
    for (name, value) in STATIC_HEADERS {
        map.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_inline_script_is_hashed_and_one_with_src_is_not() {
        let html = "<html><script type=module>run()</script><script src=/a.js></script>\
                    <SCRIPT>x</SCRIPT></html>";
        let hashes = inline_script_hashes(html);
        let expected = |text: &str| {
            format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text))
            )
        };
        assert_eq!(hashes, vec![expected("run()"), expected("x")]);
    }

    #[test]
    fn the_policy_allows_the_hashes_in_script_src_and_never_unsafe_inline() {
        let policy = policy_with_scripts(&["'sha256-abc'".to_owned()]);
        assert!(policy.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-abc';"));
        assert!(policy.contains("frame-ancestors 'none'"));
        assert!(!policy.contains("unsafe-inline"));
        assert_eq!(policy_with_scripts(&[]), API_POLICY);
    }
}
