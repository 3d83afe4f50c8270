//! Load figures for BENCHMARKS.md (run by `scripts/bench-api`, not by the test suite):
//!
//! 1. authenticated `GET /api/v1/balances` (session cookie, balances of one sim key read
//!    through the signer and cached) against the trivial `GET /healthz`, both under `wrk` on
//!    loopback in the same run: requests/s, p99 and the ratio;
//! 2. WebSocket fan-out: `WS_CLIENTS` (default 1,000) clients of `/api/v1/stream` following
//!    one market; the delivery latency of each price message from the sim's trade time to
//!    the client's receipt (p50, p99, max).
//!
//! Settings from the environment: `WRK_SECS` (10), `WRK_THREADS` (2), `WRK_CONNS` (64),
//! `WS_CLIENTS` (1000), `WS_SECS` (10).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/live/mod.rs"]
mod live;

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::StreamExt;
use serde_json::{json, Value};
use tradeward_auth::Role;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn cookie_value(h: &reqwest::header::HeaderMap, name: &str) -> Option<String> {
    h.get_all("set-cookie").iter().find_map(|v| {
        let pair = v.to_str().ok()?.split(';').next()?;
        let (k, v) = pair.split_once('=')?;
        (k == name && !v.is_empty()).then(|| v.to_owned())
    })
}

/// Signs in (forced change, TOTP enrolment) and returns the Cookie header and CSRF token.
async fn sign_in(live: &live::Live) -> (String, String) {
    live.user("bench@example.com", "one-time-Pw-3e4r-plover", Role::User)
        .await;
    let http = live.http();
    let post = |p: &str, b: Value| {
        http.post(format!("{}/api/v1{p}", live.base))
            .json(&b)
            .send()
    };
    let v: Value = post(
        "/session",
        json!({"email": "bench@example.com", "password": "one-time-Pw-3e4r-plover"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let v: Value = post(
        "/session/password",
        json!({"challenge": v["challenge"], "new_password": "saffron-dulcimer-orchard-35"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let challenge = v["challenge"].clone();
    let t: Value = post("/me/totp", json!({"challenge": challenge}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let code = live::totp_now(t["secret"].as_str().unwrap());
    let r = post(
        "/me/totp/confirm",
        json!({"challenge": challenge, "code": code}),
    )
    .await
    .unwrap();
    let s = cookie_value(r.headers(), "__Host-tradeward_session").unwrap();
    let c = cookie_value(r.headers(), "__Host-tradeward_csrf").unwrap();
    (
        format!("__Host-tradeward_session={s}; __Host-tradeward_csrf={c}"),
        c,
    )
}

struct WrkResult {
    rps: f64,
    p99_ms: f64,
}

fn to_ms(s: &str) -> f64 {
    let s = s.trim();
    for (suffix, f) in [("us", 0.001), ("ms", 1.0), ("s", 1000.0), ("m", 60_000.0)] {
        if let Some(n) = s.strip_suffix(suffix) {
            if let Ok(v) = n.parse::<f64>() {
                return v * f;
            }
        }
    }
    f64::NAN
}

fn wrk(url: &str, cookie: Option<&str>) -> WrkResult {
    let mut cmd = Command::new("wrk");
    cmd.args([
        "--latency",
        "-d",
        &format!("{}s", env("WRK_SECS", 10)),
        "-t",
        &env("WRK_THREADS", 2).to_string(),
        "-c",
        &env("WRK_CONNS", 64).to_string(),
    ]);
    if let Some(c) = cookie {
        cmd.args(["-H", &format!("Cookie: {c}")]);
    }
    let out = cmd
        .arg(url)
        .output()
        .expect("wrk (scripts/bench-api installs it)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    println!("{text}");
    let rps = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("wrk printed Requests/sec");
    let p99 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("99%"))
        .map(to_ms)
        .expect("wrk printed the 99th percentile");
    let non2xx = text.lines().find(|l| l.contains("Non-2xx"));
    assert!(non2xx.is_none(), "some answers failed: {non2xx:?}");
    WrkResult { rps, p99_ms: p99 }
}

fn now_ms() -> u64 {
    u64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let live = live::start().await;
    let (cookie, csrf) = sign_in(&live).await;
    let http = live.http();
    let r = http
        .post(format!("{}/api/v1/credentials", live.base))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .json(&json!({"venue": "sim", "label": "bench", "api_key": live.sim_api_key, "api_secret": live.sim_secret}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    live.wait_for_prices(2).await;
    let folio: Value = http
        .get(format!("{}/api/v1/balances", live.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(folio["credentials"][0]["error"].is_null(), "{folio}");

    // 1. HTTP: the trivial endpoint, then authenticated balances, same server, same run.
    let base = format!("https://127.0.0.1:{}", live.port);
    let health = tokio::task::spawn_blocking({
        let u = format!("{base}/healthz");
        move || wrk(&u, None)
    })
    .await
    .unwrap();
    let balances = tokio::task::spawn_blocking({
        let u = format!("{base}/api/v1/balances");
        let c = cookie.clone();
        move || wrk(&u, Some(&c))
    })
    .await
    .unwrap();

    // 2. WebSocket fan-out.
    let clients = env("WS_CLIENTS", 1000) as usize;
    let secs = env("WS_SECS", 10);
    let tls = {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(rustls::pki_types::CertificateDer::from(
                live.cert_der.clone(),
            ))
            .unwrap();
        Arc::new(
            rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
        )
    };
    let mut sockets = Vec::with_capacity(clients);
    for _ in 0..clients {
        let mut req =
            tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
                format!(
                    "wss://localhost:{}/api/v1/stream?markets=sim:BTC/USDT",
                    live.port
                ),
            )
            .unwrap();
        req.headers_mut().insert("cookie", cookie.parse().unwrap());
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", live.port))
            .await
            .unwrap();
        let (ws, _) = tokio_tungstenite::client_async_tls_with_config(
            req,
            tcp,
            None,
            Some(tokio_tungstenite::Connector::Rustls(tls.clone())),
        )
        .await
        .unwrap();
        sockets.push(ws);
    }
    let listeners = live.state.markets().unwrap().listeners();
    let start = tokio::time::Instant::now() + Duration::from_millis(500);
    let end = start + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for mut ws in sockets {
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while let Ok(Some(Ok(msg))) = tokio::time::timeout_at(end, ws.next()).await {
                let Ok(text) = msg.into_text() else { continue };
                let received = now_ms();
                if tokio::time::Instant::now() < start {
                    continue;
                }
                let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                if v["type"] == "price" {
                    lat.push(received.saturating_sub(v["time_ms"].as_u64().unwrap_or(received)));
                }
            }
            lat
        }));
    }
    let mut all = Vec::new();
    let mut starved = 0;
    for t in tasks {
        let l = t.await.unwrap();
        if l.is_empty() {
            starved += 1;
        }
        all.extend(l);
    }
    all.sort_unstable();

    println!("== results");
    println!(
        "GET /healthz:              {:>10.0} req/s  p99 {:>7.2} ms",
        health.rps, health.p99_ms
    );
    println!(
        "GET /api/v1/balances:      {:>10.0} req/s  p99 {:>7.2} ms  (session cookie)",
        balances.rps, balances.p99_ms
    );
    println!(
        "ratio balances/health:     {:>10.3}  (target >= 0.5)",
        balances.rps / health.rps
    );
    println!(
        "WebSocket fan-out: {clients} clients ({listeners} server listeners), {} price deliveries in {secs} s, {starved} clients got none",
        all.len()
    );
    println!(
        "delivery latency sim trade -> client: p50 {} ms, p99 {} ms, max {} ms",
        percentile(&all, 0.50),
        percentile(&all, 0.99),
        all.last().copied().unwrap_or(0)
    );
}
