//! The REST transport of the Binance dialect: public and signed requests, request-weight
//! tracking, 429/418 backoff and the server-time offset.
//!
//! Signed requests are built unsigned and handed to the signer; the signer's `query_string`
//! and `body` go on the wire byte for byte. Redirects are never followed (a redirect could
//! carry the API-key header to another host), TLS is rustls with webpki roots, and plain
//! HTTP is refused for anything but a loopback simulator ([`BinanceConfig::validate`]).

mod weight;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tradeward_domain::CredentialId;
use tradeward_signer::remote::SignerApi;
use tradeward_signer::schemes::{HttpMethod, UnsignedRequest};
use tradeward_signer::CallContext;

use super::common::{parse_error, parse_server_time};
use super::BinanceConfig;
use crate::clock::Clock;
use crate::error::{ExchangeError, RetryKind};
pub use weight::WeightTracker;

/// The Binance REST client. Holds no secret; cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct BinanceHttp {
    client: reqwest::Client,
    config: BinanceConfig,
    clock: Arc<dyn Clock>,
    weight: WeightTracker,
    offset_ms: AtomicI64,
}

/// How long to wait after a 429 / 418 when the venue gives no `Retry-After`.
const DEFAULT_429_WAIT: Duration = Duration::from_secs(1);
const DEFAULT_418_WAIT: Duration = Duration::from_secs(120);

fn transport_error(e: &reqwest::Error) -> ExchangeError {
    // The error's URL carries the query (signatures, listen keys): never render it.
    if e.is_connect() {
        ExchangeError::retry(RetryKind::Connect, "could not connect to the venue")
    } else if e.is_timeout() {
        ExchangeError::retry(RetryKind::Timeout, "no answer from the venue in time")
    } else {
        // The request may have reached the venue: treat like a timeout (outcome unknown).
        ExchangeError::retry(RetryKind::Timeout, "the connection to the venue broke")
    }
}

impl BinanceHttp {
    /// A client for `config` (validated here), reading time from `clock`.
    pub fn new(config: BinanceConfig, clock: Arc<dyn Clock>) -> Result<Self, ExchangeError> {
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
            weight: WeightTracker::default(),
            offset_ms: AtomicI64::new(0),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &BinanceConfig {
        &self.config
    }

    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Request weight and rate-limit state.
    pub fn weight(&self) -> &WeightTracker {
        &self.weight
    }

    /// Server time minus local time (ms), as last measured by [`Self::sync_time`].
    pub fn time_offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::Relaxed)
    }

    /// Measures the offset between the venue's clock and ours (midpoint of the round trip).
    /// The signer stamps `timestamp` with its own clock, so a large offset cannot be
    /// corrected here: it is logged, and signed requests would fail with -1021 until the
    /// host's clock is fixed.
    pub async fn sync_time(&self) -> Result<i64, ExchangeError> {
        let before = self.clock.now_ms();
        let body = self.public("/api/v3/time", &[]).await?;
        let after = self.clock.now_ms();
        let server = parse_server_time(&body)?;
        let local_mid = before / 2 + after / 2;
        let offset = i64::try_from(i128::from(server) - i128::from(local_mid))
            .map_err(|_| ExchangeError::malformed("server time", "out of range"))?;
        self.offset_ms.store(offset, Ordering::Relaxed);
        let limit = i64::try_from(self.config.recv_window_ms / 2).unwrap_or(i64::MAX);
        if offset.abs() > limit {
            tracing::warn!(
                offset_ms = offset,
                "local clock differs from the venue's by more than half the recvWindow"
            );
        }
        Ok(offset)
    }

    /// An unsigned request (market data, exchange information).
    pub async fn public(
        &self,
        path: &str,
        query: &[(String, String)],
    ) -> Result<Vec<u8>, ExchangeError> {
        let qs = serde_urlencoded::to_string(query)
            .map_err(|_| ExchangeError::Invalid("query cannot be encoded".into()))?;
        let path_and_query = if qs.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{qs}")
        };
        self.send(HttpMethod::Get, &path_and_query, &[], None).await
    }

    /// A request signed by the signer with credential `credential`.
    pub async fn signed(
        &self,
        signer: &dyn SignerApi,
        ctx: &CallContext,
        credential: CredentialId,
        request: &UnsignedRequest,
    ) -> Result<Vec<u8>, ExchangeError> {
        // Refuse before signing too: a signature spent on a request we will not send is an
        // audit entry for nothing.
        self.weight.check(self.clock.now_ms())?;
        let parts = signer.sign(ctx, credential, request).await?;
        let path_and_query = parts.path_and_query(&request.path);
        self.send(request.method, &path_and_query, &parts.headers, parts.body)
            .await
    }

    async fn send(
        &self,
        method: HttpMethod,
        path_and_query: &str,
        headers: &[(String, String)],
        body: Option<String>,
    ) -> Result<Vec<u8>, ExchangeError> {
        self.weight.check(self.clock.now_ms())?;
        let url = format!("{}{}", self.config.rest_base, path_and_query);
        let method = match method {
            HttpMethod::Get => reqwest::Method::GET,
            HttpMethod::Post => reqwest::Method::POST,
            HttpMethod::Put => reqwest::Method::PUT,
            HttpMethod::Delete => reqwest::Method::DELETE,
        };
        let mut rb = self.client.request(method, url);
        for (name, value) in headers {
            rb = rb.header(name.as_str(), value.as_str());
        }
        if let Some(b) = body {
            rb = rb.body(b);
        }
        let mut resp = rb.send().await.map_err(|e| transport_error(&e))?;
        let status = resp.status().as_u16();
        self.weight.record_headers(resp.headers());
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|s| Duration::from_secs(s.min(24 * 3600)));
        if status == 429 || status == 418 {
            let (kind, default) = if status == 418 {
                (RetryKind::IpBanned, DEFAULT_418_WAIT)
            } else {
                (RetryKind::RateLimited, DEFAULT_429_WAIT)
            };
            let wait = retry_after.unwrap_or(default);
            self.weight.block_for(self.clock.now_ms(), wait);
            return Err(ExchangeError::Retryable {
                kind,
                retry_after: Some(wait),
                detail: format!("venue answered HTTP {status}; backing off"),
            });
        }
        let body = read_capped(&mut resp, self.config.max_response_bytes).await?;
        if (200..300).contains(&status) {
            return Ok(body);
        }
        if status >= 500 {
            return Err(ExchangeError::Retryable {
                kind: RetryKind::ServerError(status),
                retry_after,
                detail: "the venue failed; the request's outcome is unknown".into(),
            });
        }
        Err(match parse_error(&body) {
            Some((code, msg)) => ExchangeError::rejected(code, &msg),
            None => ExchangeError::rejected(0, &format!("HTTP {status} without an error body")),
        })
    }
}

/// Reads a response body, refusing one larger than `max` bytes (without buffering it all).
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
