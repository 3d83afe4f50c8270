//! The REST transport of the Kraken dialect: public calls, private calls signed by the
//! signer, Kraken's call counter, server time.
//!
//! Kraken's REST rate limit is a counter per key: each call adds 1 (history calls 2; order
//! placement and cancellation count against the matching engine's separate limit instead),
//! the counter decays at a tier-dependent rate, and a call that would take it over the
//! ceiling fails with `EAPI:Rate limit exceeded`. The client keeps its own copy of the counter
//! and waits instead of spending a call that would fail. Redirects are never followed and
//! plain HTTP is allowed only to a loopback simulator.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tradeward_domain::CredentialId;
use tradeward_signer::remote::SignerApi;
use tradeward_signer::schemes::{HttpMethod, RequestBody, UnsignedRequest};
use tradeward_signer::CallContext;

use super::common::{parse_envelope_error, parse_server_time};
use super::KrakenConfig;
use crate::clock::Clock;
use crate::error::{ExchangeError, RetryKind};

/// The Kraken REST client. Holds no secret.
#[derive(Debug)]
pub struct KrakenHttp {
    client: reqwest::Client,
    config: KrakenConfig,
    clock: Arc<dyn Clock>,
    /// (counter level in hundredths of a call, when it was last updated in ms).
    counter: Mutex<(u64, u64)>,
}

fn transport_error(e: &reqwest::Error) -> ExchangeError {
    // The error's URL could carry parameters: never render it.
    if e.is_connect() {
        ExchangeError::retry(RetryKind::Connect, "could not connect to the venue")
    } else if e.is_timeout() {
        ExchangeError::retry(RetryKind::Timeout, "no answer from the venue in time")
    } else {
        ExchangeError::retry(RetryKind::Timeout, "the connection to the venue broke")
    }
}

/// What a private call adds to Kraken's counter.
fn call_cost(method: &str) -> u64 {
    match method {
        "AddOrder"
        | "AddOrderBatch"
        | "EditOrder"
        | "AmendOrder"
        | "CancelOrder"
        | "CancelAll"
        | "CancelOrderBatch"
        | "CancelAllOrdersAfter" => 0,
        "ClosedOrders" | "TradesHistory" | "QueryTrades" | "Ledgers" | "QueryLedgers" => 2,
        _ => 1,
    }
}

impl KrakenHttp {
    /// A client for `config` (validated here).
    pub fn new(config: KrakenConfig, clock: Arc<dyn Clock>) -> Result<Self, ExchangeError> {
        config.validate()?;
        let client = reqwest::Client::builder()
            .use_rustls_tls()
            .https_only(!config.plain_http())
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.request_timeout)
            .connect_timeout(config.request_timeout)
            .user_agent(concat!("tradeward/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|_| ExchangeError::Invalid("the HTTP client could not be built".into()))?;
        Ok(Self {
            client,
            config,
            clock,
            counter: Mutex::new((0, 0)),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &KrakenConfig {
        &self.config
    }

    /// Charges `cost` calls to the counter, or says how long to wait.
    fn charge(&self, cost: u64) -> Result<(), ExchangeError> {
        if cost == 0 {
            return Ok(());
        }
        let now = self.clock.now_ms();
        let mut c = self.counter.lock().unwrap_or_else(PoisonError::into_inner);
        let decay = u64::from(self.config.rate_decay_centi_per_sec);
        let elapsed = now.saturating_sub(c.1);
        c.0 = c.0.saturating_sub(elapsed.saturating_mul(decay) / 1000);
        c.1 = now;
        let max = u64::from(self.config.rate_counter_max) * 100;
        let add = cost * 100;
        if c.0 + add > max {
            let wait_ms = (c.0 + add - max).saturating_mul(1000) / decay.max(1) + 1;
            return Err(ExchangeError::Retryable {
                kind: RetryKind::RateLimited,
                retry_after: Some(Duration::from_millis(wait_ms)),
                detail: "Kraken's call counter is full; waiting for it to decay".into(),
            });
        }
        c.0 += add;
        Ok(())
    }

    /// Server time minus local time (ms), measured at the midpoint of the round trip. The
    /// signer's nonces come from its own clock and Kraken only needs them to increase, so
    /// an offset is reported, not corrected.
    pub async fn sync_time(&self) -> Result<i64, ExchangeError> {
        let before = self.clock.now_ms();
        let body = self.public("Time", &[]).await?;
        let after = self.clock.now_ms();
        let server = parse_server_time(&body)?;
        let mid = before / 2 + after / 2;
        i64::try_from(i128::from(server) - i128::from(mid))
            .map_err(|_| ExchangeError::malformed("server time", "out of range"))
    }

    /// A public call (`/0/public/<method>`).
    pub async fn public(
        &self,
        method: &str,
        query: &[(String, String)],
    ) -> Result<Vec<u8>, ExchangeError> {
        let qs = serde_urlencoded::to_string(query)
            .map_err(|_| ExchangeError::Invalid("query cannot be encoded".into()))?;
        let mut url = format!("{}/0/public/{method}", self.config.rest_base);
        if !qs.is_empty() {
            url.push('?');
            url.push_str(&qs);
        }
        self.send(self.client.get(url)).await
    }

    /// A private call (`POST /0/private/<method>`) signed by the signer.
    pub async fn private(
        &self,
        signer: &dyn SignerApi,
        ctx: &CallContext,
        credential: CredentialId,
        method: &str,
        params: Vec<(String, String)>,
    ) -> Result<Vec<u8>, ExchangeError> {
        // Before signing: a signature spent on a call we will not send is an audit entry for
        // nothing.
        self.charge(call_cost(method))?;
        let path = format!("/0/private/{method}");
        let req = UnsignedRequest::new(HttpMethod::Post, path.clone())
            .with_body(RequestBody::Form(params));
        let parts = signer.sign(ctx, credential, &req).await?;
        let url = format!("{}{}", self.config.rest_base, parts.path_and_query(&path));
        let mut rb = self.client.post(url);
        for (name, value) in &parts.headers {
            rb = rb.header(name.as_str(), value.as_str());
        }
        if let Some(b) = parts.body {
            rb = rb.body(b);
        }
        self.send(rb).await
    }

    async fn send(&self, rb: reqwest::RequestBuilder) -> Result<Vec<u8>, ExchangeError> {
        let mut resp = rb.send().await.map_err(|e| transport_error(&e))?;
        let status = resp.status().as_u16();
        if status == 429 {
            return Err(ExchangeError::Retryable {
                kind: RetryKind::RateLimited,
                retry_after: Some(Duration::from_secs(1)),
                detail: "venue answered HTTP 429; backing off".into(),
            });
        }
        let body = read_capped(&mut resp, self.config.max_response_bytes).await?;
        if status >= 500 {
            return Err(ExchangeError::retry(
                RetryKind::ServerError(status),
                "the venue failed; the request's outcome is unknown",
            ));
        }
        if (200..300).contains(&status) {
            return Ok(body);
        }
        Err(parse_envelope_error(&body).unwrap_or_else(|| {
            ExchangeError::rejected(0, &format!("HTTP {status} without an error body"))
        }))
    }
}

/// Reads a body of at most `max` bytes.
async fn read_capped(resp: &mut reqwest::Response, max: usize) -> Result<Vec<u8>, ExchangeError> {
    if resp.content_length().is_some_and(|n| n > max as u64) {
        return Err(ExchangeError::malformed(
            "response",
            format!("larger than {max} bytes"),
        ));
    }
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| transport_error(&e))? {
        if out.len() + chunk.len() > max {
            return Err(ExchangeError::malformed(
                "response",
                format!("larger than {max} bytes"),
            ));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn the_call_counter_fills_and_decays() {
        let clock = Arc::new(ManualClock::new(1_000_000));
        let http = KrakenHttp::new(
            KrakenConfig::sim("http://127.0.0.1:1", "ws://127.0.0.1:1"),
            clock.clone(),
        )
        .unwrap_or_else(|_| unreachable!());
        for _ in 0..15 {
            assert!(http.charge(1).is_ok());
        }
        let e = http.charge(1).unwrap_err();
        assert!(e.is_retryable());
        // 0.33 calls/s: three seconds free one call.
        clock.advance(3_100);
        assert!(http.charge(1).is_ok());
        assert!(http.charge(1).is_err());
        assert!(http.charge(0).is_ok(), "orders do not count");
    }
}
