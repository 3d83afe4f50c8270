//! Prometheus metrics at `/metrics` (text exposition format 0.0.4), kept in process-wide
//! atomics so the request path pays a few relaxed increments and no lock.
//!
//! Served only to loopback clients (a scraper on the same host, or a proxy that forwards
//! it deliberately): counts and latencies say little, but nothing about operations needs
//! to be public. Labels never carry user data: paths are not recorded, only status classes.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{ConnectInfo, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

/// Upper bounds of the request-latency histogram, seconds.
const BUCKETS: [f64; 12] = [
    0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// The process's counters.
#[derive(Debug)]
pub struct Metrics {
    /// Responses by status class: 1xx .. 5xx.
    responses: [AtomicU64; 5],
    /// Cumulative histogram buckets (+Inf is `count`).
    latency_buckets: [AtomicU64; BUCKETS.len()],
    latency_sum_us: AtomicU64,
    latency_count: AtomicU64,
    ws_opened: AtomicU64,
    ws_closed: AtomicU64,
    ws_messages: AtomicU64,
    price_updates: AtomicU64,
    balance_reads: AtomicU64,
    balance_failures: AtomicU64,
}

/// The one instance.
pub static METRICS: Metrics = Metrics::new();

impl Metrics {
    const fn new() -> Self {
        // `AtomicU64` is not Copy: arrays are spelled out with a const item.
        #[allow(clippy::declare_interior_mutable_const)]
        const Z: AtomicU64 = AtomicU64::new(0);
        Self {
            responses: [Z; 5],
            latency_buckets: [Z; BUCKETS.len()],
            latency_sum_us: Z,
            latency_count: Z,
            ws_opened: Z,
            ws_closed: Z,
            ws_messages: Z,
            price_updates: Z,
            balance_reads: Z,
            balance_failures: Z,
        }
    }

    /// One response with `status`, after `seconds`.
    pub fn request(&self, status: u16, seconds: f64) {
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        self.responses[class].fetch_add(1, Ordering::Relaxed);
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                self.latency_buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        // Truncation is fine: microsecond resolution of a sum of latencies.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let us = (seconds * 1e6) as u64;
        self.latency_sum_us.fetch_add(us, Ordering::Relaxed);
        self.latency_count.fetch_add(1, Ordering::Relaxed);
    }

    /// A WebSocket client connected.
    pub fn ws_open(&self) {
        self.ws_opened.fetch_add(1, Ordering::Relaxed);
    }

    /// A WebSocket client left.
    pub fn ws_close(&self) {
        self.ws_closed.fetch_add(1, Ordering::Relaxed);
    }

    /// A message was sent to a WebSocket client.
    pub fn ws_message(&self) {
        self.ws_messages.fetch_add(1, Ordering::Relaxed);
    }

    /// A new market price arrived.
    pub fn price_update(&self) {
        self.price_updates.fetch_add(1, Ordering::Relaxed);
    }

    /// Balances were read from a venue (`ok` or not).
    pub fn balance_read(&self, ok: bool) {
        self.balance_reads.fetch_add(1, Ordering::Relaxed);
        if !ok {
            self.balance_failures.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The exposition text; `staleness` is (venue, symbol, seconds since data) per market.
    pub fn render(
        &self,
        staleness: &[(String, String, f64)],
        trading_enabled: Option<bool>,
    ) -> String {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = writeln!(
            out,
            "# HELP tradeward_http_responses_total HTTP responses by status class."
        );
        let _ = writeln!(out, "# TYPE tradeward_http_responses_total counter");
        for (i, c) in self.responses.iter().enumerate() {
            let _ = writeln!(
                out,
                "tradeward_http_responses_total{{class=\"{}xx\"}} {}",
                i + 1,
                get(c)
            );
        }
        let _ = writeln!(
            out,
            "# HELP tradeward_http_request_duration_seconds Time to answer a request."
        );
        let _ = writeln!(
            out,
            "# TYPE tradeward_http_request_duration_seconds histogram"
        );
        for (i, bound) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "tradeward_http_request_duration_seconds_bucket{{le=\"{bound}\"}} {}",
                get(&self.latency_buckets[i])
            );
        }
        let count = get(&self.latency_count);
        let _ = writeln!(
            out,
            "tradeward_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        #[allow(clippy::cast_precision_loss)]
        let sum = get(&self.latency_sum_us) as f64 / 1e6;
        let _ = writeln!(out, "tradeward_http_request_duration_seconds_sum {sum}");
        let _ = writeln!(out, "tradeward_http_request_duration_seconds_count {count}");
        let opened = get(&self.ws_opened);
        let closed = get(&self.ws_closed);
        for (name, help, kind, value) in [
            (
                "tradeward_ws_clients",
                "WebSocket clients connected now.",
                "gauge",
                opened.saturating_sub(closed),
            ),
            (
                "tradeward_ws_messages_total",
                "Messages sent to WebSocket clients.",
                "counter",
                get(&self.ws_messages),
            ),
            (
                "tradeward_price_updates_total",
                "Market prices received.",
                "counter",
                get(&self.price_updates),
            ),
            (
                "tradeward_balance_reads_total",
                "Balance reads from venues (through the signer).",
                "counter",
                get(&self.balance_reads),
            ),
            (
                "tradeward_balance_read_failures_total",
                "Balance reads that failed.",
                "counter",
                get(&self.balance_failures),
            ),
        ] {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} {kind}");
            let _ = writeln!(out, "{name} {value}");
        }
        if let Some(enabled) = trading_enabled {
            let _ = writeln!(
                out,
                "# HELP tradeward_trading_enabled Whether the global trading switch is on."
            );
            let _ = writeln!(out, "# TYPE tradeward_trading_enabled gauge");
            let _ = writeln!(out, "tradeward_trading_enabled {}", u8::from(enabled));
        }
        let _ = writeln!(
            out,
            "# HELP tradeward_market_data_age_seconds Time since a market last sent data."
        );
        let _ = writeln!(out, "# TYPE tradeward_market_data_age_seconds gauge");
        for (venue, symbol, age) in staleness {
            let _ = writeln!(
                out,
                "tradeward_market_data_age_seconds{{venue=\"{venue}\",symbol=\"{symbol}\"}} {age}"
            );
        }
        out
    }
}

/// `GET /metrics`: loopback clients only (others get 404, as if it did not exist).
pub async fn serve(State(state): State<AppState>, req: axum::extract::Request) -> Response {
    let peer = req.extensions().get::<ConnectInfo<std::net::SocketAddr>>();
    if !peer.is_some_and(|c| c.0.ip().is_loopback()) {
        return crate::error::ApiError::not_found("route").into_response();
    }
    let mut staleness = Vec::new();
    if let Some(m) = state.markets() {
        let now = m.now_ms();
        for b in m.boards() {
            #[allow(clippy::cast_precision_loss)]
            let age = b
                .last_data_ms()
                .map_or(f64::INFINITY, |t| now.saturating_sub(t) as f64 / 1000.0);
            staleness.push((
                b.market.venue.as_str().to_owned(),
                b.market.symbol.to_string(),
                age,
            ));
        }
    }
    let trading = state.store().global_trading_enabled().await.ok();
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        METRICS.render(&staleness, trading),
    )
        .into_response()
}

/// `GET /healthz`: the process answers.
pub async fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`: the database answers (and, when markets are connected, the server is
/// following them). 503 otherwise.
pub async fn readyz(State(state): State<AppState>) -> Response {
    match state.store().global_trading_enabled().await {
        Ok(_) => (StatusCode::OK, "ready").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness: the database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_counts_classes_and_buckets() {
        let m = Metrics::new();
        m.request(200, 0.0007);
        m.request(404, 0.2);
        m.request(503, 9.0);
        let text = m.render(&[("sim".into(), "BTC/USDT".into(), 1.5)], Some(false));
        assert!(text.contains("tradeward_http_responses_total{class=\"2xx\"} 1"));
        assert!(text.contains("tradeward_http_responses_total{class=\"4xx\"} 1"));
        assert!(text.contains("tradeward_http_responses_total{class=\"5xx\"} 1"));
        assert!(text.contains("tradeward_http_request_duration_seconds_bucket{le=\"0.001\"} 1"));
        assert!(text.contains("tradeward_http_request_duration_seconds_bucket{le=\"0.25\"} 2"));
        assert!(text.contains("tradeward_http_request_duration_seconds_bucket{le=\"+Inf\"} 3"));
        assert!(text.contains("tradeward_trading_enabled 0"));
        assert!(text
            .contains("tradeward_market_data_age_seconds{venue=\"sim\",symbol=\"BTC/USDT\"} 1.5"));
    }
}
