//! Router tests without a socket: requests go straight into the axum service.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

use drawline_server::{app, AppState, SqliteStore, Store};

#[tokio::test]
async fn health_answers_503_with_a_problem_when_the_site_is_not_set_up() {
    let store = SqliteStore::open_in_memory().unwrap();
    let router = app(AppState { store: Arc::new(store) }, None);
    let res = router
        .oneshot(Request::get("/api/v1/health").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = res.into_body().collect().await.unwrap().to_bytes();
    let problem: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(problem["code"], "storage_unavailable");
}

#[tokio::test]
async fn the_built_app_is_served_with_no_cache_on_the_shell_and_long_cache_on_hashed_assets() {
    let dist = tempfile::tempdir().unwrap();
    std::fs::write(dist.path().join("index.html"), "<html>shell</html>").unwrap();
    std::fs::write(dist.path().join("app-0123456789abcdef.css"), "body{}").unwrap();
    let store = SqliteStore::open_in_memory().unwrap();
    store.set_site_name("x").await.unwrap();
    let router = app(AppState { store: Arc::new(store) }, Some(dist.path()));

    let shell = router
        .clone()
        .oneshot(Request::get("/draw-list").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(shell.status(), StatusCode::OK);
    assert_eq!(shell.headers()["cache-control"], "no-cache");
    let body = shell.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], b"<html>shell</html>");

    let css = router
        .oneshot(Request::get("/app-0123456789abcdef.css").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(css.status(), StatusCode::OK);
    assert!(css.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    assert!(css.headers()["content-type"].to_str().unwrap().starts_with("text/css"));
}

#[tokio::test]
async fn an_unknown_api_path_is_a_json_404_even_when_the_app_is_served() {
    let dist = tempfile::tempdir().unwrap();
    std::fs::write(dist.path().join("index.html"), "<html>shell</html>").unwrap();
    let store = SqliteStore::open_in_memory().unwrap();
    let router = app(AppState { store: Arc::new(store) }, Some(dist.path()));
    let res = router
        .oneshot(Request::get("/api/v1/nope").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let body = res.into_body().collect().await.unwrap().to_bytes();
    let problem: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(problem["code"], "not_found");
}
