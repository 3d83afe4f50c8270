//! The REST transport of Coinbase Advanced Trade: every private request gets a fresh JWT from
//! the signer (which names method, host and path). Redirects are never followed.

use std::time::Duration;

use tradeward_domain::CredentialId;
use tradeward_signer::remote::SignerApi;
use tradeward_signer::schemes::{HttpMethod, RequestBody, UnsignedRequest};
use tradeward_signer::CallContext;

use super::common::parse_error;
use super::CoinbaseConfig;
use crate::error::{ExchangeError, RetryKind};

/// The Coinbase REST client. Holds no secret.
#[derive(Debug)]
pub struct CoinbaseHttp {
    client: reqwest::Client,
    config: CoinbaseConfig,
}

fn transport_error(e: &reqwest::Error) -> ExchangeError {
    if e.is_connect() {
        ExchangeError::retry(RetryKind::Connect, "could not connect to the venue")
    } else if e.is_timeout() {
        ExchangeError::retry(RetryKind::Timeout, "no answer from the venue in time")
    } else {
        ExchangeError::retry(RetryKind::Timeout, "the connection to the venue broke")
    }
}

impl CoinbaseHttp {
    /// A client for `config` (validated here).
    pub fn new(config: CoinbaseConfig) -> Result<Self, ExchangeError> {
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
        Ok(Self { client, config })
    }

    /// The configuration.
    pub fn config(&self) -> &CoinbaseConfig {
        &self.config
    }

    /// A signed request: `query` for GET, `json` body for POST.
    #[allow(clippy::too_many_arguments)] // the parts of one request, from two callers
    pub async fn signed(
        &self,
        signer: &dyn SignerApi,
        ctx: &CallContext,
        credential: CredentialId,
        method: HttpMethod,
        path: &str,
        query: Vec<(String, String)>,
        json: Option<String>,
    ) -> Result<Vec<u8>, ExchangeError> {
        let mut req = UnsignedRequest::new(method, path).with_host(self.config.host());
        req.query = query;
        if let Some(j) = json {
            req = req.with_body(RequestBody::Json(j));
        }
        let parts = signer.sign(ctx, credential, &req).await?;
        let url = format!("{}{}", self.config.rest_base, parts.path_and_query(path));
        let m = match method {
            HttpMethod::Get => reqwest::Method::GET,
            HttpMethod::Post => reqwest::Method::POST,
            HttpMethod::Put => reqwest::Method::PUT,
            HttpMethod::Delete => reqwest::Method::DELETE,
        };
        let mut rb = self.client.request(m, url);
        for (name, value) in &parts.headers {
            rb = rb.header(name.as_str(), value.as_str());
        }
        if let Some(b) = parts.body {
            rb = rb.body(b);
        }
        let mut resp = rb.send().await.map_err(|e| transport_error(&e))?;
        let status = resp.status().as_u16();
        if status == 429 {
            return Err(ExchangeError::Retryable {
                kind: RetryKind::RateLimited,
                retry_after: Some(Duration::from_secs(1)),
                detail: "venue answered HTTP 429; backing off".into(),
            });
        }
        let max = self.config.max_response_bytes;
        if resp.content_length().is_some_and(|n| n > max as u64) {
            return Err(ExchangeError::malformed(
                "response",
                format!("larger than {max} bytes"),
            ));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| transport_error(&e))? {
            if body.len() + chunk.len() > max {
                return Err(ExchangeError::malformed(
                    "response",
                    format!("larger than {max} bytes"),
                ));
            }
            body.extend_from_slice(&chunk);
        }
        if status >= 500 {
            return Err(ExchangeError::retry(
                RetryKind::ServerError(status),
                "the venue failed; the request's outcome is unknown",
            ));
        }
        if (200..300).contains(&status) {
            return Ok(body);
        }
        Err(match parse_error(&body) {
            Some(e) => e,
            None => ExchangeError::rejected(i64::from(status), &format!("HTTP {status}")),
        })
    }
}
