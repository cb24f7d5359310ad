//! The server answers health on a real socket, on port 0, with a temporary SQLite file.

use drawline_domain::api::Health;
use drawline_server::demo;

use crate::helpers::{assert_status, spawn_demo_app};

#[tokio::test]
async fn health_on_a_real_socket_names_the_seeded_site() {
    let app = spawn_demo_app().await;
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
    let app = spawn_demo_app().await;
    assert_status(app.client.get(app.url("/nope")), 404).await;
}
