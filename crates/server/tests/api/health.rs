//! The server answers health on a real socket, on port 0, with a temporary SQLite file.

use std::sync::Arc;

use drawline_domain::api::Health;
use drawline_server::{app, demo, AppState, SqliteStore};

struct TestApp {
    base: String,
    _dir: tempfile::TempDir,
}

async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("test.sqlite")).unwrap();
    demo::seed_if_empty(&store).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = app(AppState::new(Arc::new(store)), None);
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    TestApp {
        base: format!("http://{addr}"),
        _dir: dir,
    }
}

#[tokio::test]
async fn health_on_a_real_socket_names_the_seeded_site() {
    let app = spawn_app().await;
    let res = reqwest::get(format!("{}/api/v1/health", app.base))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let health: Health = res.json().await.unwrap();
    assert!(health.is_ok());
    assert_eq!(health.site, demo::DEMO_SITE);
}

#[tokio::test]
async fn an_unknown_api_path_is_a_404_not_the_app_shell() {
    let app = spawn_app().await;
    let res = reqwest::get(format!("{}/api/v1/nope", app.base))
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}
