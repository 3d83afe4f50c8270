//! Latency from `POST /sim/v1/trade` to the `btcusdt@trade` WebSocket message on loopback:
//! 1,000 price moves, printing the median and p99 (target: median under 1 ms).
//!
//! `cargo bench -p tradeward-sim --bench ws_latency`
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed step should panic

#[path = "support/rawhttp.rs"]
mod rawhttp;

use futures::StreamExt;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;
use tradeward_sim::SimConfig;

const MOVES: usize = 1000;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run());
}

async fn run() {
    let mut cfg = SimConfig::default_demo();
    cfg.price.process = tradeward_sim::config::PriceProcessKind::Static;
    cfg.price.tick_ms = 1000;
    let sim = tradeward_sim::spawn(cfg, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("sim");
    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("{}/ws/btcusdt@trade", sim.ws_url()))
            .await
            .expect("ws");
    let mut http = rawhttp::Conn::connect(sim.addr).await;
    let mut samples = Vec::with_capacity(MOVES);
    for i in 0..MOVES + 50 {
        // Alternate between two distinct prices so each move prints a trade.
        let price = if i % 2 == 0 { "49000.00" } else { "51000.00" };
        let body = format!("{{\"symbol\":\"BTCUSDT\",\"price\":\"{price}\"}}");
        let t0 = Instant::now();
        let send = http.request(
            "POST",
            "/sim/v1/trade",
            &[("content-type", "application/json")],
            body.as_bytes(),
        );
        let recv = async {
            loop {
                match ws.next().await {
                    Some(Ok(Message::Text(t)))
                        if t.contains("\"e\":\"trade\"") && t.contains(price) =>
                    {
                        return t0.elapsed()
                    }
                    Some(Ok(_)) => continue,
                    other => panic!("ws ended: {other:?}"),
                }
            }
        };
        let ((status, _), dt) = tokio::join!(send, recv);
        assert_eq!(status, 200);
        if i >= 50 {
            samples.push(dt); // the first 50 warm up
        }
    }
    samples.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "ws_latency: {} moves, POST /sim/v1/trade -> btcusdt@trade message: median {:.0} µs, p99 {:.0} µs, max {:.0} µs",
        samples.len(),
        us(samples[samples.len() / 2]),
        us(samples[samples.len() * 99 / 100]),
        us(samples[samples.len() - 1]),
    );
    sim.stop().await.expect("stop");
}
