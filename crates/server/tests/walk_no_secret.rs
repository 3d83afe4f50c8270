//! Walks every operation of the OpenAPI document (and the UI pages, the WebSocket stream and
//! the operations endpoints) after an exchange key was stored, as its owner and as an
//! administrator, and checks that the key's secret, raw, hex or base64, appears in no
//! response body, no header, no WebSocket message and no log line (tracing captured at TRACE
//! for the whole process: server, signer, exchange adapter and the sim).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod live;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use futures::{SinkExt, StreamExt};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tradeward_auth::Role;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Everything a client saw.
#[derive(Default)]
struct Seen(Vec<(String, String)>);

impl Seen {
    fn add(&mut self, what: String, text: String) {
        self.0.push((what, text));
    }
}

/// A signed-in API client: session cookie plus the CSRF header, like the web page.
struct Api {
    http: reqwest::Client,
    base: String,
    cookie: String,
    csrf: String,
}

impl Api {
    async fn send(
        &self,
        seen: &mut Seen,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .header("x-csrf-token", &self.csrf)
            .header("origin", &self.base);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let headers = format!("{:?}", resp.headers());
        let text = resp.text().await.unwrap();
        seen.add(format!("{method} {path} headers"), headers);
        seen.add(format!("{method} {path} body"), text.clone());
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

fn cookie_value(resp_headers: &reqwest::header::HeaderMap, name: &str) -> Option<String> {
    resp_headers.get_all("set-cookie").iter().find_map(|v| {
        let s = v.to_str().ok()?;
        let pair = s.split(';').next()?;
        let (k, v) = pair.split_once('=')?;
        (k == name && !v.is_empty()).then(|| v.to_owned())
    })
}

/// Signs in through the API: one-time password, forced change, TOTP enrolment by challenge.
async fn sign_in(
    live: &live::Live,
    seen: &mut Seen,
    email: &str,
    one_time: &str,
    new_pw: &str,
) -> Api {
    let http = live.http();
    let post = |path: &str, body: Value| {
        http.post(format!("{}/api/v1{path}", live.base))
            .json(&body)
            .send()
    };
    let r = post("/session", json!({"email": email, "password": one_time}))
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["status"], "password_change_required", "{v}");
    let r = post(
        "/session/password",
        json!({"challenge": v["challenge"], "new_password": new_pw}),
    )
    .await
    .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["status"], "second_factor_enrollment_required", "{v}");
    let challenge = v["challenge"].clone();
    let r = post("/me/totp", json!({"challenge": challenge}))
        .await
        .unwrap();
    let t: Value = r.json().await.unwrap();
    let seed = t["secret"].as_str().unwrap().to_owned();
    let r = post(
        "/me/totp/confirm",
        json!({"challenge": challenge, "code": live::totp_now(&seed)}),
    )
    .await
    .unwrap();
    let session = cookie_value(r.headers(), "__Host-tradeward_session").expect("session cookie");
    let csrf = cookie_value(r.headers(), "__Host-tradeward_csrf").expect("csrf cookie");
    let body = r.text().await.unwrap();
    seen.add(format!("{email} confirm body"), body);
    Api {
        http,
        base: live.base.clone(),
        cookie: format!("__Host-tradeward_session={session}; __Host-tradeward_csrf={csrf}"),
        csrf,
    }
}

/// The OpenAPI operations as (method, path template), deletions last so the key exists while
/// everything else is called, and signing out last of all.
fn operations(doc: &Value) -> Vec<(Method, String)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (m, _) in item.as_object().unwrap() {
            let method = Method::from_bytes(m.to_uppercase().as_bytes()).unwrap();
            ops.push((method, path.clone()));
        }
    }
    let rank = |(m, p): &(Method, String)| match (m, p.as_str()) {
        (&Method::DELETE, "/api/v1/session") => 3,
        (&Method::DELETE, _) => 2,
        _ => 1,
    };
    ops.sort_by_key(|op| (rank(op), op.1.clone()));
    ops
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_form_of_the_secret_leaves_through_any_endpoint_stream_or_log() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .try_init()
        .unwrap();

    let live = live::start().await;
    let secret = live.sim_secret.clone();
    let forms = [
        secret.clone(),
        hex::encode(secret.as_bytes()),
        hex::encode_upper(secret.as_bytes()),
        base64::engine::general_purpose::STANDARD.encode(secret.as_bytes()),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret.as_bytes()),
    ];
    let mut seen = Seen::default();
    live.user("owner@example.com", "one-time-Pw-4r5t-osprey", Role::User)
        .await;
    live.user("boss@example.com", "one-time-Pw-8u7y-falcon", Role::Admin)
        .await;
    let owner = sign_in(
        &live,
        &mut seen,
        "owner@example.com",
        "one-time-Pw-4r5t-osprey",
        "amber-trellis-gondola-58",
    )
    .await;
    let admin = sign_in(
        &live,
        &mut seen,
        "boss@example.com",
        "one-time-Pw-8u7y-falcon",
        "cobalt-harbor-thistle-64",
    )
    .await;

    // Store the key (the session is fresh: no step-up needed).
    let (status, created) = owner
        .send(
            &mut seen,
            Method::POST,
            "/api/v1/credentials",
            Some(json!({"venue": "sim", "label": "walk", "api_key": live.sim_api_key, "api_secret": secret})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let credential_id = created["id"].as_str().unwrap().to_owned();
    live.wait_for_prices(2).await;

    // The balances really come from the sim through the signer (the walk is not vacuous).
    let (status, folio) = owner
        .send(&mut seen, Method::GET, "/api/v1/balances", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{folio}");
    assert!(folio["credentials"][0]["error"].is_null(), "{folio}");
    assert!(
        !folio["credentials"][0]["balances"]
            .as_array()
            .unwrap()
            .is_empty(),
        "{folio}"
    );

    // The WebSocket stream, with the owner's session cookie.
    let mut req =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(format!(
            "wss://localhost:{}/api/v1/stream?markets=sim:BTC/USDT",
            live.port
        ))
        .unwrap();
    req.headers_mut()
        .insert("cookie", owner.cookie.parse().unwrap());
    req.headers_mut()
        .insert("origin", owner.base.parse().unwrap());
    let tls = tls_config(&live);
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", live.port))
        .await
        .unwrap();
    let (mut ws, resp) = tokio_tungstenite::client_async_tls_with_config(
        req,
        tcp,
        None,
        Some(tokio_tungstenite::Connector::Rustls(tls)),
    )
    .await
    .unwrap();
    seen.add("ws handshake".into(), format!("{:?}", resp.headers()));
    ws.send(tokio_tungstenite::tungstenite::Message::text(
        json!({"op": "subscribe", "markets": ["sim:ETH/USDT", "sim:NOPE/USDT"]}).to_string(),
    ))
    .await
    .unwrap();
    let mut prices = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while prices < 3 {
        let msg = tokio::time::timeout_at(deadline, ws.next())
            .await
            .expect("prices within 10 s");
        let text = msg.unwrap().unwrap().into_text().unwrap().to_string();
        if text.contains("\"price\"") {
            prices += 1;
        }
        seen.add("ws message".into(), text);
    }

    // Every operation of the document, as the owner and as the administrator.
    let (status, doc) = owner
        .send(&mut seen, Method::GET, "/api/v1/openapi.json", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let ops = operations(&doc);
    assert!(ops.len() >= 20, "{} operations", ops.len());
    for who in [&admin, &owner] {
        for (method, template) in &ops {
            let path = template
                .replace("{id}", &credential_id)
                .replace(['{', '}'], "");
            let body =
                matches!(*method, Method::POST | Method::PUT | Method::PATCH).then(|| json!({}));
            let (status, _) = who.send(&mut seen, method.clone(), &path, body).await;
            assert!(
                status.as_u16() < 500 || status == StatusCode::SERVICE_UNAVAILABLE,
                "{method} {path}: {status}"
            );
        }
    }
    // The pages and operations endpoints too.
    for path in [
        "/",
        "/keys/new",
        "/admin",
        "/metrics",
        "/healthz",
        "/readyz",
        "/static/live.js",
    ] {
        admin.send(&mut seen, Method::GET, path, None).await;
    }

    tokio::time::sleep(Duration::from_millis(200)).await;
    let logs = String::from_utf8_lossy(&captured.0.lock().unwrap()).into_owned();
    assert!(logs.lines().count() > 50, "the log capture is working");
    for form in &forms {
        for (what, text) in &seen.0 {
            assert!(
                !text.contains(form.as_str()),
                "{what} carries the secret ({form})"
            );
        }
        assert!(
            !logs.contains(form.as_str()),
            "a log line carries the secret ({form})"
        );
    }
    // The full API key is never echoed either (only its masked form).
    for (what, text) in &seen.0 {
        assert!(
            !text.contains(&live.sim_api_key),
            "{what} carries the whole API key"
        );
    }
}

fn tls_config(live: &live::Live) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from(
            live.cert_der.clone(),
        ))
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Arc::new(
        rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}
