//! The transport on real sockets: slow clients, the connection and in-flight caps, body deadlines, headers, HTTPS.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use drawline_server::api::{PushResponse, RecordOutcome};
use drawline_server::store::SiteStore;
use drawline_server::transport::{self, Transport};
use drawline_server::{app, AppState, Limits, SqliteStore};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{push_body, spawn_enrolled, spawn_tablet};

/// A generous bound for anything the server must do "soon": far above the configured timeouts.
const SOON: Duration = Duration::from_secs(15);

/// A server run through the transport with the given limits (and app files, and TLS).
struct Served {
    addr: SocketAddr,
    client: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Served {
    fn url(&self, path: &str) -> String {
        format!("http://{}/api/v1{path}", self.addr)
    }
}

async fn spawn_served(
    limits: Limits,
    dist: Option<&Path>,
    tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
) -> Served {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("test.sqlite")).unwrap());
    store.set_site_name("Test Lab").await.unwrap();
    let mut transport = Transport::from_limits(&limits);
    if let Some(tls) = tls {
        transport = transport.with_tls(tls);
    }
    let router = app(AppState::new(store).with_limits(limits), dist);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(transport::serve(
        listener,
        router,
        transport,
        std::future::pending(),
    ));
    Served {
        addr,
        client: reqwest::Client::builder().timeout(SOON).build().unwrap(),
        _dir: dir,
    }
}

fn limits(adjust: impl FnOnce(&mut Limits)) -> Limits {
    let mut limits = Limits::default();
    adjust(&mut limits);
    limits
}

/// A connection that sent part of a request head and then nothing.
async fn half_header(addr: SocketAddr) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: lab\r\nX-Slow: ")
        .await
        .unwrap();
    s
}

/// Everything the server sends until it closes the connection; panics if it does not close soon.
async fn read_until_closed(s: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let read = tokio::time::timeout(SOON, async {
        let mut buf = [0u8; 4096];
        loop {
            match s.read(&mut buf).await {
                Ok(0) => return Ok(()),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) => return Err(e),
            }
        }
    })
    .await
    .expect("the server did not close the connection");
    assert!(read.is_ok(), "the connection was reset: {read:?}");
    String::from_utf8_lossy(&out).into_owned()
}

/// A request whose headers are sent whole and whose body stops after its first bytes.
async fn trickled_enroll(addr: SocketAddr) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(
        b"POST /api/v1/enroll HTTP/1.1\r\nHost: lab\r\nContent-Type: application/json\r\n\
          Content-Length: 100\r\n\r\n{\"code\":",
    )
    .await
    .unwrap();
    s
}

#[tokio::test]
async fn over_the_connection_cap_a_client_gets_503_with_retry_after_and_slow_clients_are_timed_out()
{
    let served = spawn_served(
        limits(|l| {
            l.max_connections = 4;
            l.header_read_timeout = Duration::from_secs(2);
        }),
        None,
        None,
    )
    .await;
    let mut slow = Vec::new();
    for _ in 0..2 {
        slow.push(half_header(served.addr).await);
        // One that connects and never sends a byte.
        slow.push(TcpStream::connect(served.addr).await.unwrap());
    }
    let res = served
        .client
        .get(served.url("/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503);
    assert_eq!(res.headers()["retry-after"], "1");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["code"], "too_many_connections");

    // A raw client over the cap reads the whole answer and a clean close, never a reset.
    let mut raw = TcpStream::connect(served.addr).await.unwrap();
    raw.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: lab\r\n\r\n")
        .await
        .unwrap();
    let answer = read_until_closed(&mut raw).await;
    assert!(answer.starts_with("HTTP/1.1 503 "), "{answer}");
    assert!(answer.contains("retry-after: 1"), "{answer}");

    // The slow ones are closed by the header timeout, and the server is free again.
    for s in &mut slow {
        read_until_closed(s).await;
    }
    let res = served
        .client
        .get(served.url("/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn health_answers_while_slow_clients_hold_connections_under_the_cap() {
    let served = spawn_served(
        limits(|l| l.header_read_timeout = Duration::from_secs(60)),
        None,
        None,
    )
    .await;
    let mut slow = Vec::new();
    for _ in 0..40 {
        slow.push(half_header(served.addr).await);
        slow.push(TcpStream::connect(served.addr).await.unwrap());
    }
    for _ in 0..5 {
        let res = served
            .client
            .get(served.url("/health"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    drop(slow);
}

#[tokio::test]
async fn a_body_trickled_past_its_deadline_is_answered_408_body_timeout() {
    let served = spawn_served(
        limits(|l| l.body_read_timeout = Duration::from_secs(1)),
        None,
        None,
    )
    .await;
    let mut s = trickled_enroll(served.addr).await;
    let answer = read_until_closed(&mut s).await;
    assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
    assert!(answer.contains("\"code\":\"body_timeout\""), "{answer}");
}

#[tokio::test]
async fn over_the_in_flight_cap_the_api_answers_503_busy_and_health_still_answers() {
    let served = spawn_served(
        limits(|l| {
            l.max_in_flight = 2;
            l.body_read_timeout = Duration::from_secs(4);
        }),
        None,
        None,
    )
    .await;
    let mut slow = vec![
        trickled_enroll(served.addr).await,
        trickled_enroll(served.addr).await,
    ];
    let enroll = || {
        served
            .client
            .post(served.url("/enroll"))
            .json(&json!({ "code": "NOT-A-CODE" }))
    };
    // The two trickled requests hold both permits as soon as the server has read their heads.
    let mut busy = None;
    for _ in 0..100 {
        let res = enroll().send().await.unwrap();
        if res.status() == 503 {
            busy = Some(res);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let busy = busy.expect("a third request was never turned away");
    assert_eq!(busy.headers()["retry-after"], "1");
    let problem: Value = busy.json().await.unwrap();
    assert_eq!(problem["code"], "busy");
    let res = served
        .client
        .get(served.url("/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "health is never turned away");

    // Once the slow ones are answered (408), the API works again.
    for s in &mut slow {
        let answer = read_until_closed(s).await;
        assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
    }
    let res = enroll().send().await.unwrap();
    assert_ne!(res.status(), 503);
    assert!(res.status().is_client_error(), "{}", res.status());
}

fn assert_security_headers(res: &reqwest::Response) {
    let h = res.headers();
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("'wasm-unsafe-eval'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert_eq!(h["x-frame-options"], "DENY");
    assert!(h.get("strict-transport-security").is_none());
}

#[tokio::test]
async fn api_answers_errors_and_static_files_carry_the_security_headers() {
    let dist = tempfile::tempdir().unwrap();
    let loader = "import init from '/app-0123456789abcdef.js'; await init();";
    std::fs::write(
        dist.path().join("index.html"),
        format!("<!doctype html><title>x</title><script type=module>{loader}</script>"),
    )
    .unwrap();
    std::fs::write(
        dist.path().join("app-0123456789abcdef.js"),
        "export default 1",
    )
    .unwrap();
    let served = spawn_served(Limits::default(), Some(dist.path()), None).await;
    let base = format!("http://{}", served.addr);

    let health = served
        .client
        .get(served.url("/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    assert_security_headers(&health);
    let missing = served.client.get(served.url("/nope")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert_security_headers(&missing);
    let unauthorized = served.client.get(served.url("/me")).send().await.unwrap();
    assert_eq!(unauthorized.status(), 401);
    assert_security_headers(&unauthorized);
    let asset = served
        .client
        .get(format!("{base}/app-0123456789abcdef.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(asset.status(), 200);
    assert_security_headers(&asset);

    // The shell's inline loader is allowed by its hash, and only it.
    let shell = served.client.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(shell.status(), 200);
    assert_security_headers(&shell);
    let expected = transport::security_headers::inline_script_hashes(&format!(
        "<script type=module>{loader}</script>"
    ));
    let csp = shell.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains(&expected[0]), "{csp}");
}

/// A self-signed certificate for `localhost` and its key, written as PEM files in `dir`.
fn self_signed(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf, String) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let cert_pem = certified.cert.pem();
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::write(&cert, &cert_pem).unwrap();
    std::fs::write(&key, certified.key_pair.serialize_pem()).unwrap();
    (cert, key, cert_pem)
}

#[tokio::test]
async fn https_serves_with_the_configured_certificate_and_sends_hsts() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, cert_pem) = self_signed(dir.path());
    let tls = transport::tls::load(&cert, &key).unwrap();
    let served = spawn_served(Limits::default(), None, Some(tls)).await;
    let client = reqwest::Client::builder()
        .use_rustls_tls()
        .add_root_certificate(reqwest::Certificate::from_pem(cert_pem.as_bytes()).unwrap())
        .resolve("localhost", served.addr)
        .timeout(SOON)
        .build()
        .unwrap();
    let url = format!("https://localhost:{}/api/v1/health", served.addr.port());
    let res = client.get(&url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["strict-transport-security"],
        "max-age=31536000"
    );
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");

    // Plain HTTP to the HTTPS port gets no answer from the app.
    let plain = served.client.get(served.url("/health")).send().await;
    assert!(plain.is_err() || plain.unwrap().status() != 200);
}

fn serve_binary(args: &[&str], dir: &Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_drawline"))
        .arg("serve")
        .args(args)
        .args(["--addr", "127.0.0.1:0"])
        .env("DRAWLINE_DB", dir.join("lab.sqlite"))
        .env_remove("DRAWLINE_CONFIG")
        .env_remove("DRAWLINE_TLS_CERT")
        .env_remove("DRAWLINE_TLS_KEY")
        .output()
        .unwrap()
}

#[test]
fn serve_with_a_certificate_but_no_key_refuses_to_start_and_names_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, _key, _) = self_signed(dir.path());
    let out = serve_binary(&["--tls-cert", cert.to_str().unwrap()], dir.path());
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--tls-cert was given without --tls-key"),
        "{err}"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("serving at"));
}

#[test]
fn serve_with_a_key_file_that_is_not_pem_refuses_to_start_and_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, _key, _) = self_signed(dir.path());
    let bad = dir.path().join("not-a-key.txt");
    std::fs::write(&bad, "hello").unwrap();
    let out = serve_binary(
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            bad.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not-a-key.txt") && err.contains("no PEM"),
        "{err}"
    );
}

#[tokio::test]
async fn the_server_stops_accepting_at_shutdown_and_serve_returns() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("test.sqlite")).unwrap());
    store.set_site_name("Test Lab").await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(transport::serve(
        listener,
        app(AppState::new(store), None),
        Transport::from_limits(&Limits::default()),
        async {
            let _ = stopped.await;
        },
    ));
    let url = format!("http://{addr}/api/v1/health");
    assert_eq!(reqwest::get(&url).await.unwrap().status(), 200);
    stop.send(()).unwrap();
    tokio::time::timeout(SOON, server)
        .await
        .expect("serve did not return")
        .unwrap()
        .unwrap();
    assert!(TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn a_big_body_is_parsed_off_the_workers_with_the_same_answers_as_a_small_one() {
    let (app, device) = spawn_enrolled().await;
    let padding = "x".repeat(100 * 1024);
    let big_broken = format!("{{\"padding\": \"{padding}\", ");
    let res = app
        .post("/sync/push", &device.token)
        .header("content-type", "application/json")
        .body(big_broken)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(crate::helpers::problem_code(res).await, "malformed_json");
    let res = app
        .post("/sync/push", &device.token)
        .header("content-type", "application/json")
        .body(json!({ "records": padding }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert_eq!(crate::helpers::problem_code(res).await, "invalid_body");
    let res = app
        .post("/sync/push", &device.token)
        .header("content-type", "text/plain")
        .body(json!({ "records": padding }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
    assert_eq!(
        crate::helpers::problem_code(res).await,
        "unsupported_media_type"
    );
}

#[tokio::test]
async fn a_big_batch_is_checked_off_the_workers_with_one_result_per_record_in_order() {
    let (app, _device, token) = spawn_tablet().await;
    let records: Vec<Value> = (0..20)
        .map(|i| json!({ "id": i, "junk": "y".repeat(8 * 1024) }))
        .collect();
    let res = app
        .push_raw(
            &token,
            &push_body(records, chrono::Utc::now().fixed_offset()),
        )
        .await;
    assert_eq!(res.status(), 200);
    let answer: PushResponse = res.json().await.unwrap();
    assert_eq!(answer.results.len(), 20);
    assert!(answer
        .results
        .iter()
        .all(|r| r.outcome == RecordOutcome::Rejected));
}
