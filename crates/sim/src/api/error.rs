//! [`ApiError`]: Binance's error answer, `{"code": <i32>, "msg": "<text>"}` with its HTTP
//! status. Every refusal of the REST layer goes through here.

use crate::engine::RejectReason;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// A Binance error answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Binance code (negative).
    pub code: i32,
    /// Binance message text.
    pub msg: String,
    /// `Retry-After` seconds (429 and 418).
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// Any code with status 400.
    pub fn bad(code: i32, msg: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code,
            msg: msg.into(),
            retry_after: None,
        }
    }

    /// -1102 for a missing or empty mandatory parameter.
    pub fn mandatory(param: &str) -> Self {
        Self::bad(
            -1102,
            format!("Mandatory parameter '{param}' was not sent, was empty/null, or malformed."),
        )
    }

    /// -1100 for a value with characters outside the parameter's grammar.
    pub fn illegal(param: &str, range: &str) -> Self {
        Self::bad(
            -1100,
            format!("Illegal characters found in parameter '{param}'; legal range is '{range}'."),
        )
    }

    /// -1101 for a parameter sent twice.
    pub fn duplicate(param: &str) -> Self {
        Self::bad(-1101, format!("Duplicate values for parameter '{param}'."))
    }

    /// -1022.
    pub fn bad_signature() -> Self {
        Self::bad(-1022, "Signature for this request is not valid.")
    }

    /// -2014 (key header missing or malformed).
    pub fn api_key_format() -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            ..Self::bad(-2014, "API-key format invalid.")
        }
    }

    /// -2015 (unknown key, IP not allowed, or missing permission).
    pub fn api_key_rejected() -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            ..Self::bad(-2015, "Invalid API-key, IP, or permissions for action.")
        }
    }

    /// -1003 with 429 (weight exceeded).
    pub fn too_much_weight(limit: u32, retry_after: u64) -> Self {
        Self {
            status: StatusCode::TOO_MANY_REQUESTS,
            retry_after: Some(retry_after),
            ..Self::bad(-1003, format!("Too much request weight used; current limit is {limit} request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API."))
        }
    }

    /// -1003 with 418 (banned until `until_ms`).
    pub fn banned(until_ms: u64, retry_after: u64) -> Self {
        Self {
            status: StatusCode::IM_A_TEAPOT,
            retry_after: Some(retry_after),
            ..Self::bad(-1003, format!("Way too much request weight used; IP banned until {until_ms}. Please use WebSocket Streams for live updates to avoid bans."))
        }
    }

    /// -1015 with 429 (order rate exceeded).
    pub fn too_many_orders(limit: u32, interval: &str, retry_after: u64) -> Self {
        Self {
            status: StatusCode::TOO_MANY_REQUESTS,
            retry_after: Some(retry_after),
            ..Self::bad(
                -1015,
                format!("Too many new orders; current limit is {limit} orders per {interval}."),
            )
        }
    }

    /// -1000 with 500.
    pub fn internal() -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            ..Self::bad(
                -1000,
                "An unknown error occurred while processing the request.",
            )
        }
    }
}

impl From<RejectReason> for ApiError {
    fn from(r: RejectReason) -> Self {
        let status = match r {
            RejectReason::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        };
        Self {
            status,
            code: r.binance_code(),
            msg: r.binance_msg(),
            retry_after: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "code": self.code, "msg": self.msg }).to_string();
        let mut resp = (self.status, body).into_response();
        let h = resp.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json;charset=UTF-8"),
        );
        if let Some(s) = self.retry_after {
            h.insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        resp
    }
}
