//! Router tests without a socket: requests go straight into the axum service.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

use drawline_server::store::{OrderStore, PeopleStore, SiteStore};
use drawline_server::{app, AppState, SqliteStore};

#[tokio::test]
async fn health_answers_503_with_a_problem_when_the_site_is_not_set_up() {
    let router = router_over(SqliteStore::open_in_memory().unwrap(), None);
    let (status, problem) = get_json(router, "/api/v1/health").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(problem["code"], "storage_unavailable");
}

#[tokio::test]
async fn the_built_app_is_served_with_no_cache_on_the_shell_and_long_cache_on_hashed_assets() {
    let dist = dist_with(&[("app-0123456789abcdef.css", "body{}")]);
    let store = SqliteStore::open_in_memory().unwrap();
    store.set_site_name("x").await.unwrap();
    let router = router_over(store, Some(dist.path()));

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
        .oneshot(
            Request::get("/app-0123456789abcdef.css")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(css.status(), StatusCode::OK);
    assert!(header(&css, "cache-control").contains("immutable"));
    assert!(header(&css, "content-type").starts_with("text/css"));
}

#[tokio::test]
async fn a_browser_that_accepts_brotli_gets_the_precompressed_copy_and_others_the_plain_file() {
    let dist = dist_with(&[
        ("app-0123456789abcdef.js", "plain()"),
        ("app-0123456789abcdef.js.br", "brotli!"),
    ]);
    let router = router_over(SqliteStore::open_in_memory().unwrap(), Some(dist.path()));
    let get = |accept: Option<&'static str>| {
        let mut req = Request::get("/app-0123456789abcdef.js");
        if let Some(a) = accept {
            req = req.header("accept-encoding", a);
        }
        req.body(Body::empty()).unwrap()
    };

    let br = router.clone().oneshot(get(Some("gzip, br"))).await.unwrap();
    assert_eq!(br.headers()["content-encoding"], "br");
    assert!(header(&br, "content-type").contains("javascript"));
    assert!(header(&br, "vary")
        .to_lowercase()
        .contains("accept-encoding"));
    let body = br.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], b"brotli!");

    let plain = router.oneshot(get(None)).await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    let body = plain.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], b"plain()");
}

#[tokio::test]
async fn an_unknown_api_path_is_a_json_404_even_when_the_app_is_served() {
    let dist = dist_with(&[]);
    let router = router_over(SqliteStore::open_in_memory().unwrap(), Some(dist.path()));
    let (status, problem) = get_json(router, "/api/v1/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(problem["code"], "not_found");
}

/// The app over `store`, serving the built app from `dist` when given.
fn router_over(store: SqliteStore, dist: Option<&std::path::Path>) -> axum::Router {
    app(AppState::new(Arc::new(store)), dist)
}

/// A built app's folder: an `index.html` shell and the other files given (name, content).
fn dist_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dist = tempfile::tempdir().unwrap();
    std::fs::write(dist.path().join("index.html"), "<html>shell</html>").unwrap();
    for (name, content) in files {
        std::fs::write(dist.path().join(name), content).unwrap();
    }
    dist
}

/// A response header as text.
fn header<'a>(res: &'a axum::response::Response, name: &str) -> &'a str {
    res.headers()[name].to_str().unwrap()
}

/// A GET straight into the router; answers the status and the JSON body.
async fn get_json(router: axum::Router, path: &str) -> (StatusCode, serde_json::Value) {
    send_json(router, Request::get(path).body(Body::empty()).unwrap()).await
}

/// A request straight into the router; answers the status and the JSON body.
async fn send_json(router: axum::Router, req: Request<Body>) -> (StatusCode, serde_json::Value) {
    let res = router.oneshot(req).await.unwrap();
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap())
}

#[tokio::test]
async fn the_openapi_document_describes_every_route_and_the_bearer_scheme() {
    let router = router_over(SqliteStore::open_in_memory().unwrap(), None);
    let (status, doc) = get_json(router, "/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["servers"][0]["url"], "/api/v1");
    for path in [
        "/health",
        "/enroll",
        "/sessions",
        "/sessions/current",
        "/me",
        "/worklist",
        "/site",
        "/collections",
        "/collections/{id}",
        "/receipts",
        "/heartbeat",
        "/devices",
        "/devices/{id}/revoke",
        "/orders",
        "/rounds",
        "/fhir/Specimen",
        "/audit",
        "/supervisor/devices",
        "/supervisor/queue",
        "/supervisor/collections/{id}",
        "/supervisor/collections/{id}/review",
        "/supervisor/collections/{id}/notes",
        "/supervisor/collections/{id}/resolve",
        "/supervisor/collections/{id}/recollect",
        "/supervisor/users",
        "/supervisor/users/{username}/deactivate",
        "/supervisor/users/{username}/activate",
        "/supervisor/users/{username}/reset-pin",
        "/supervisor/users/{username}/end-sessions",
        "/me/pin",
        "/devices/current/token",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is not documented");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    assert_eq!(
        doc["paths"]["/fhir/Specimen"]["get"]["parameters"][0]["in"],
        "query"
    );
}

#[tokio::test]
async fn protected_routes_answer_401_problems_without_a_socket() {
    let router = router_over(SqliteStore::open_in_memory().unwrap(), None);
    for path in [
        "/api/v1/worklist",
        "/api/v1/devices",
        "/api/v1/site",
        "/api/v1/me",
    ] {
        let (status, problem) = get_json(router.clone(), path).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(problem["code"], "missing_token");
    }
}

#[tokio::test]
async fn malformed_enrollment_json_is_a_400_problem_and_a_wrong_content_type_a_415() {
    let router = router_over(SqliteStore::open_in_memory().unwrap(), None);
    let res = router
        .clone()
        .oneshot(
            Request::post("/api/v1/enroll")
                .header("content-type", "application/json")
                .body(Body::from("{\"code\":"))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let (status, problem) = send_json(
        router,
        Request::post("/api/v1/enroll")
            .body(Body::from("code=1"))
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(problem["code"], "unsupported_media_type");
}

#[tokio::test]
async fn the_demo_seed_gives_the_demo_device_a_worklist_of_about_twenty_patients() {
    let store = SqliteStore::open_in_memory().unwrap();
    let access = drawline_server::demo::prepare(&store).await.unwrap();
    assert!(access.seeded);
    let code = access.enrollment_code.clone().unwrap();
    assert!(access.banner().contains(&code));
    let device = store
        .device_by_name(drawline_server::demo::DEMO_DEVICE)
        .await
        .unwrap()
        .unwrap();
    let w = store.worklist(device.id, chrono::Utc::now()).await.unwrap();
    assert!(w.patients.len() >= 20);
    assert_eq!(w.rounds.len(), 2);
    assert_eq!(w.orders[0].order.priority, drawline_domain::Priority::Stat);
    assert!(w
        .orders
        .iter()
        .any(|o| o.order.test.as_str() == "VANCT" && o.order.due_at.is_some()));
    // A second start keeps the data and issues a fresh code while the device is not enrolled.
    let again = drawline_server::demo::prepare(&store).await.unwrap();
    assert!(!again.seeded);
    assert_ne!(again.enrollment_code.unwrap(), code);
}
