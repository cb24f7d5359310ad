//! Serves the built PWA: hashed assets cached for a year, the shell and service worker never cached.

use std::path::Path;

use axum::http::{header, HeaderValue, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use tower_http::services::{ServeDir, ServeFile};

const NO_CACHE: &str = "no-cache";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Trunk names assets `name-<16 hex>.ext`; only those may be cached forever.
fn is_hashed_asset(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or(path);
    let stem = file.split('.').next().unwrap_or(file);
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-').is_some_and(|(_, hash)| {
        (8..=16).contains(&hash.len()) && hash.chars().all(|c| c.is_ascii_hexdigit())
    })
}

async fn cache_headers(req: Request<axum::body::Body>, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let mut res = next.run(req).await;
    let value = if is_hashed_asset(&path) {
        IMMUTABLE
    } else {
        NO_CACHE
    };
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    // The body depends on Accept-Encoding (precompressed copies): caches must key on it.
    res.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if path.ends_with(".webmanifest") {
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/manifest+json"),
        );
    }
    res
}

/// The app at `/`; unknown paths get `index.html` so client-side routes survive a reload.
pub fn service(dist: &Path) -> Router {
    let index = dist.join("index.html");
    // The build writes `.br` and `.gz` copies beside each asset: sent to browsers that accept
    // them, they cut the first download to about a third, at no cost per request.
    let files = ServeDir::new(dist)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(
            ServeFile::new(index)
                .precompressed_br()
                .precompressed_gzip(),
        );
    Router::new()
        .fallback_service(files)
        .layer(middleware::from_fn(cache_headers))
}

#[cfg(test)]
mod tests {
    use super::is_hashed_asset;

    #[test]
    fn trunk_hashed_assets_are_recognised_and_the_shell_is_not() {
        assert!(is_hashed_asset("/drawline-4f1c2a9b8e7d6c5b_bg.wasm"));
        assert!(is_hashed_asset("/style-0123456789abcdef.css"));
        assert!(!is_hashed_asset("/index.html"));
        assert!(!is_hashed_asset("/sw.js"));
        assert!(!is_hashed_asset("/drawline-notahash_bg.wasm"));
    }
}
