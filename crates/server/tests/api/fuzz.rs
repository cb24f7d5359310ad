//! Malformed input at every documented route: always a 4xx JSON problem, never a 5xx, a panic or a hang.

use drawline_server::api::MAX_PUSH_BODY_BYTES;
use drawline_server::{MAX_BODY_BYTES, MAX_IMPORT_BYTES};
use reqwest::Method;

use crate::helpers::{assert_problem, spawn_app, spawn_supervised, TestApp};

/// Every (method, path) in the OpenAPI document, with path parameters filled in.
fn documented_routes() -> Vec<(Method, String)> {
    let (_, doc) = drawline_server::routes::openapi_router();
    let mut out = Vec::new();
    for (path, item) in doc.paths.paths {
        let methods = [
            (Method::GET, item.get.is_some()),
            (Method::POST, item.post.is_some()),
            (Method::PUT, item.put.is_some()),
            (Method::DELETE, item.delete.is_some()),
        ];
        for (m, present) in methods {
            if present {
                out.push((
                    m.clone(),
                    path.replace("{id}", &uuid::Uuid::new_v4().to_string()),
                ));
                if path.contains("{id}") {
                    out.push((m, path.replace("{id}", "not-a-uuid")));
                }
            }
        }
    }
    assert!(out.len() >= 15, "the document lists the routes: {out:?}");
    out
}

fn bodies(path: &str) -> Vec<(&'static str, Vec<u8>)> {
    let limit = match path {
        "/orders" => MAX_IMPORT_BYTES,
        "/sync/push" => MAX_PUSH_BODY_BYTES,
        _ => MAX_BODY_BYTES,
    };
    vec![
        ("truncated JSON", br#"{"code": "#.to_vec()),
        ("wrong shape", br#"[1, 2, 3]"#.to_vec()),
        (
            "wrong types",
            br#"{"code": 5, "username": [], "pin": {}, "name": null, "queue_length": -1}"#.to_vec(),
        ),
        ("binary", vec![0xff, 0x00, 0xfe, 0x80, b'{', 0x01]),
        ("empty", Vec::new()),
        ("deep nesting", "[".repeat(10_000).into_bytes()),
        ("oversized", vec![b'a'; limit + 1]),
    ]
}

async fn check(app: &TestApp, method: &Method, path: &str, token: Option<&str>, must_be_4xx: bool) {
    for (what, body) in bodies(path) {
        let mut req = app
            .client
            .request(
                method.clone(),
                app.url(&format!(
                    "{path}?since=garbage&limit=-1&device=zz&round=%00"
                )),
            )
            .header("content-type", "application/json")
            .body(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path} with {what}: no answer ({e})"));
        let status = res.status();
        assert!(
            !status.is_server_error(),
            "{method} {path} with {what}: {status}"
        );
        if must_be_4xx {
            assert!(
                status.is_client_error(),
                "{method} {path} with {what}: {status}"
            );
            let problem: serde_json::Value = res.json().await.unwrap_or_else(|e| {
                panic!("{method} {path} with {what}: not a JSON problem ({e})")
            });
            assert!(
                problem["code"].is_string(),
                "{method} {path} with {what}: {problem}"
            );
        }
    }
}

#[tokio::test]
async fn malformed_requests_without_credentials_get_a_4xx_problem_on_every_route() {
    let app = spawn_app().await;
    for (method, path) in documented_routes() {
        let open = path == "/health";
        check(&app, &method, &path, None, !open).await;
        check(&app, &method, &path, Some("dls_garbage"), !open).await;
    }
}

#[tokio::test]
async fn malformed_requests_from_a_supervisor_never_get_a_5xx_and_bodies_get_a_4xx() {
    let (app, supervisor) = spawn_supervised().await;
    for (method, path) in documented_routes() {
        // Signing out would end the session the rest of the test uses.
        if path == "/sessions/current" {
            continue;
        }
        // Rotating the device token reads no body: any body is a 200 with a new token.
        let takes_body =
            (method == Method::POST || method == Method::PUT) && path != "/devices/current/token";
        let reads_query = [
            "/fhir/Specimen",
            "/receipts",
            "/audit",
            "/collections",
            "/sync/pull",
        ]
        .contains(&path.as_str());
        let bad_path = path.contains("not-a-uuid");
        check(
            &app,
            &method,
            &path,
            Some(&supervisor),
            takes_body || reads_query || bad_path,
        )
        .await;
    }
}

#[tokio::test]
async fn a_wrong_method_is_a_405_problem() {
    let app = spawn_app().await;
    assert_problem(
        app.client.delete(app.url("/health")),
        405,
        "method_not_allowed",
    )
    .await;
}
