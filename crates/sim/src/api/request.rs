//! [`Req`]: the extractor of every Binance REST handler (raw query and body kept for the
//! signature, parameters parsed, peer address), and the layer in front of them that applies
//! injected faults, charges REQUEST_WEIGHT and sets the `X-MBX-USED-WEIGHT-1M` header.

use super::error::ApiError;
use super::params::Params;
use crate::auth::{ApiAccount, Need};
use crate::ratelimit;
use crate::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::Rng;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// A parsed Binance request.
#[derive(Debug)]
pub struct Req {
    /// Method.
    pub method: Method,
    /// Raw query string.
    pub query: String,
    /// Raw body.
    pub body: Bytes,
    /// Headers.
    pub headers: HeaderMap,
    /// Client address.
    pub peer: IpAddr,
    /// Parameters from query and body.
    pub params: Params,
}

impl Req {
    /// Authenticates the request as SIGNED with permission `need`.
    pub fn auth(&self, st: &AppState, need: Need) -> Result<Arc<ApiAccount>, ApiError> {
        st.keys.authenticate(
            &self.headers,
            self.peer,
            &self.query,
            &self.body,
            &self.params,
            st.now_ms(),
            need,
        )
    }
}

/// The client's address (unspecified when the server was not given connection info).
pub fn peer_ip(req: &Request) -> IpAddr {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

impl FromRequest<AppState> for Req {
    type Rejection = ApiError;

    async fn from_request(req: Request, st: &AppState) -> Result<Self, ApiError> {
        let peer = peer_ip(&req);
        let (parts, body) = req.into_parts();
        let query = parts.uri.query().unwrap_or("").to_string();
        let body = read_body(body, st.server.max_body_bytes, st.server.body_timeout_secs).await?;
        let params = Params::parse(&query, &body)?;
        Ok(Req {
            method: parts.method,
            query,
            body,
            headers: parts.headers,
            peer,
            params,
        })
    }
}

/// Reads a body of at most `max` bytes within `timeout_secs` (slow clients are cut off).
pub async fn read_body(body: Body, max: usize, timeout_secs: u64) -> Result<Bytes, ApiError> {
    match tokio::time::timeout(Duration::from_secs(timeout_secs), axum::body::to_bytes(body, max)).await {
        Err(_) => Err(ApiError {
            status: StatusCode::REQUEST_TIMEOUT,
            ..ApiError::bad(-1007, "Timeout waiting for response from backend server. Send status unknown; execution status unknown.")
        }),
        Ok(Err(_)) => Err(ApiError {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            ..ApiError::bad(-1000, format!("Request body larger than {max} bytes."))
        }),
        Ok(Ok(b)) => Ok(b),
    }
}

/// Faults, then weight, then the handler; every answer carries the used weight.
pub async fn binance_layer(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let peer = peer_ip(&req);
    let faults = st.faults();
    let delay = faults.latency_ms
        + if faults.latency_jitter_ms > 0 {
            rand::thread_rng().gen_range(0..=faults.latency_jitter_ms)
        } else {
            0
        };
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    if faults.http_5xx_rate > 0.0 && rand::thread_rng().gen_bool(faults.http_5xx_rate) {
        let mut e = ApiError::bad(
            -1001,
            "Internal error; unable to process your request. Please try again.",
        );
        e.status = StatusCode::SERVICE_UNAVAILABLE;
        return e.into_response();
    }
    if faults.http_429_rate > 0.0 && rand::thread_rng().gen_bool(faults.http_429_rate) {
        let limit = st.limiter.config().request_weight_per_minute;
        return ApiError::too_much_weight(limit, 1).into_response();
    }
    let now = st.now_ms();
    let query = req.uri().query().unwrap_or("");
    let qp = Params::parse(query, b"").unwrap_or_default();
    let limit = qp.uint("limit").ok().flatten();
    let weight = ratelimit::weight(req.method(), req.uri().path(), |p| qp.has(p), limit);
    let used = match st.limiter.charge(peer, weight, now) {
        Ok(u) => u,
        Err(e) => {
            let used = st.limiter.used(peer, now);
            let mut r = e.into_response();
            set_weight(&mut r, used);
            return r;
        }
    };
    let mut resp = next.run(req).await;
    set_weight(&mut resp, used);
    resp
}

fn set_weight(r: &mut Response, used: u32) {
    let v = HeaderValue::from(used);
    r.headers_mut().insert("x-mbx-used-weight", v.clone());
    r.headers_mut().insert("x-mbx-used-weight-1m", v);
}
